"""Text cut to a platform's limits, the same way on every platform.

`split_text` cuts long text into chunks (a long reply is split, never rejected), `clip`
shortens a title or a label with an ellipsis. Cuts fall at the last paragraph, line or
word break in the second half of the allowance; a platform whose markup has units that
must stay whole (Slack's `<link|label>` and `&amp;`) passes a `guard` that moves a cut
back out of them.

Link hygiene, the same on every platform: `web_url` says whether a URL may be a link at
all (absolute http(s) only: Discord refuses anything else in an embed, and a `javascript:`
or relative link is never ours to make), and `unmask` makes markdown's masked-link syntax
in content inert, so `[https://bank.example](https://evil.example/x)` in an outlet name or
an article shows as what it is instead of a link that lies about where it goes. Only the
bot's own links (a reply's title link, its citations) are links.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, urlsplit, urlunsplit

BREAKS = ("\n\n", "\n", " ")
ELLIPSIS = "…"

Guard = Callable[[str, int], int]
"""(text, cut) → a cut at or before `cut` that splits no unit of the platform's markup."""


def cut_at(text: str, limit: int, *, at_break: bool = True, guard: Guard | None = None) -> int:
    """Where to cut `text` so that at most `limit` characters stay before the cut."""
    if len(text) <= limit:
        return len(text)
    cut = limit
    if at_break:
        for sep in BREAKS:
            at = text.rfind(sep, limit // 2 + 1, limit + 1)
            if at > 0:
                cut = at
                break
    if guard is not None:
        cut = guard(text, cut)
    return max(cut, 1)


def split_text(text: str, limit: int, *, guard: Guard | None = None) -> list[str]:
    """`text` (stripped) in chunks of at most `limit` characters, cut at breaks; the
    whitespace at a cut goes, nothing else."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        at = cut_at(rest, limit, guard=guard)
        chunk = rest[:at].rstrip()
        if chunk:
            chunks.append(chunk)
        rest = rest[at:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def clip(text: str, limit: int, *, guard: Guard | None = None) -> str:
    """`text` (stripped) in at most `limit` characters; an ellipsis marks a cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: cut_at(text, limit - 1, at_break=False, guard=guard)].rstrip() + ELLIPSIS


URL_MAX = 2048  # longer URLs are not linked (Discord's embed URL limit)
_MASKED_LINK = re.compile(r"\](\s*)\(")
# what markup (markdown, mrkdwn) or a platform's link parser reads inside a URL
_URL_UNSAFE = re.compile(r"[\s<>\"'()\[\]|\\`{}^]|[\x00-\x1f\x7f]")


def unmask(text: str) -> str:
    """`text` with markdown's masked links made inert: `[label](url)` keeps its characters
    but the `(` after `]` is escaped, so no markdown parser reads a link there."""
    return _MASKED_LINK.sub(lambda m: "]" + m.group(1) + "\\(", text)


def web_url(url: str | None) -> str | None:
    """`url` as a link target when it is an absolute http(s) URL with a host (what goes
    into an embed URL or a `<url|label>`), with the characters markup reads in a URL
    percent-encoded; None for anything else (ftp:, javascript:, mailto:, relative...)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if _URL_UNSAFE.search(parts.netloc.replace("[", "").replace("]", "")):
        return None  # a host part no browser would read the same way
    rest = [_URL_UNSAFE.sub(lambda m: quote(m.group(0)), p) for p in parts[2:]]
    safe = urlunsplit((parts.scheme.lower(), parts.netloc, *rest))
    return safe if len(safe) <= URL_MAX else None


_ADDRESS_LIKE = re.compile(
    r"[a-z][a-z0-9+.-]*:/|\bwww\.|\b(?:[a-z0-9-]+\.)+[a-z]{2,}(?:[/:]|\s|$)", re.IGNORECASE
)


def names_an_address(label: str) -> bool:
    """True when a link's label reads as a web address (`https://bank.example`,
    `bank.example/login`): from content, such a label on a link to another address would
    lie about where the link goes, so it is shown beside the real URL, not over it."""
    return _ADDRESS_LIKE.search(label) is not None
