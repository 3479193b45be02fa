"""Ingestion: everything that turns outside input into articles on the ingest stream.

- `readers/`: files and folders, one reader per format (text and markdown, HTML, JSON);
- `fetch`: safe HTTP (address checks after DNS and on every redirect, caps, timeouts);
- `web`: feeds (feedparser) and web pages (the readers' one HTML-to-text path);
- `feeds`: the feed scheduler and manager (polling policy; state in `bot.store.feeds`);
- `service`: the `Ingestor`, which stores articles, skips near-copies and reports what
  became of each input;
- `api`: the HTTP API of `grokwatch run` (`POST /v1/articles`, `/healthz`, `/metrics`).
"""
