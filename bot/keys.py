"""Every Redis key grokwatch uses, in one place, under one prefix (default "gw")."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.ports import platform_of, scope_of

__all__ = ["SCHEMA_VERSION", "Keys", "platform_of", "scope_of"]

SCHEMA_VERSION = 1

# consumer groups
G_ANALYZE = "analyze"
G_FANOUT = "fanout"
G_ENRICH = "enrich"
G_DELIVER = "deliver"


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "gw"

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # meta
    @property
    def schema(self) -> str:
        return self._k("schema")

    @property
    def stats(self) -> str:
        return self._k("stats")

    # articles
    def article(self, article_id: str) -> str:
        return self._k("article", article_id)

    @property
    def articles(self) -> str:
        """zset article id → publication (or ingestion) timestamp."""
        return self._k("articles")

    @property
    def content_hashes(self) -> str:
        """hash content hash → article id (same text under another URL)."""
        return self._k("contenthash")

    def queued_alerts(self, article_id: str) -> str:
        """list of JSON alerts the fan-out queued for an article (for ingest reports)."""
        return self._k("article", article_id, "alerts")

    # index
    def entity_articles(self, entity_id: str) -> str:
        """zset article id → timestamp: the articles mentioning an entity."""
        return self._k("entity", entity_id, "articles")

    @property
    def discovered(self) -> str:
        """hash entity id → JSON EntityInfo of entities found by NER, not in the catalog."""
        return self._k("discovered")

    def term(self, term: str) -> str:
        """zset article id → term weight."""
        return self._k("term", term)

    @property
    def sources(self) -> str:
        """set of outlet names."""
        return self._k("sources")

    def source_articles(self, name: str) -> str:
        """zset article id → timestamp for one outlet."""
        return self._k("source", name)

    # stories
    def story(self, story_id: str) -> str:
        """hash: id, title, first article."""
        return self._k("story", story_id)

    def story_articles(self, story_id: str) -> str:
        """zset article id → timestamp."""
        return self._k("story", story_id, "articles")

    @property
    def stories(self) -> str:
        """zset story id → number of articles."""
        return self._k("stories")

    @property
    def undated(self) -> str:
        """set of article ids with no publication date (they fit any time window)."""
        return self._k("undated")

    def lsh_band(self, band_key: str) -> str:
        """set of article ids sharing one MinHash band (near-duplicate candidates)."""
        return self._k("lsh", band_key)

    # subscriptions: the inverted index entity → channels, and channel → entities
    def subscribers(self, entity_id: str) -> str:
        return self._k("subs", entity_id)

    def channel_subs(self, channel: str) -> str:
        return self._k("chan", channel, "subs")

    @property
    def channels(self) -> str:
        return self._k("channels")

    # alert idempotency
    def alerted(self, channel: str) -> str:
        """set of article ids an alert was queued for in this channel (queued once, ever)."""
        return self._k("chan", channel, "alerted")

    def delivered(self, channel: str) -> str:
        """set of article ids whose alert reached this channel."""
        return self._k("chan", channel, "delivered")

    # paused deliveries: the platform refused (channel gone, access lost)
    def paused(self, scope: str) -> str:
        """hash channel → JSON {reason, at}: channels of one guild/workspace whose alerts are
        paused. `scope` is the channel id up to its last part ("discord:<guild>")."""
        return self._k("paused", scope)

    def parked(self, channel: str) -> str:
        """list of outbox entries (JSON) kept for a paused channel, re-queued on resume."""
        return self._k("chan", channel, "parked")

    def threads(self, channel: str) -> str:
        """hash thread key → platform reference of the message that opened the thread."""
        return self._k("chan", channel, "threads")

    # streams
    @property
    def ingest_stream(self) -> str:
        return self._k("stream", "ingest")

    @property
    def analyzed_stream(self) -> str:
        return self._k("stream", "analyzed")

    @property
    def enriched_stream(self) -> str:
        return self._k("stream", "enriched")

    def outbox(self, platform: str) -> str:
        return self._k("outbox", platform)

    @property
    def dead_letters(self) -> str:
        return self._k("stream", "dead")
