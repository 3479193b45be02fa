"""The domain model: the one place for the data every layer passes around.

* where a message goes: `ChannelAddress` (platform, workspace/guild, channel, optional
  thread), parsed once at the edge from its string form;
* articles before analysis (`RawArticle`, `Rejected`, the identity rules `canonical_url`
  and `normalise_for_hash`) and as stored (`ArticleRecord`);
* what the store answers (`StoryRecord`, `Subscription`, `SearchHit`, `SourceStat`,
  `QueuedAlert`, `IngestOutcome`, `FeedInfo`, `FeedChange`);
* the analyzer's results (`EntityInfo`, `EntityResult`, `Mention`, `Analysis`), defined in
  `nlp.models` because `nlp` may import nothing of ours, and re-exported here so that
  `bot` and `handlers` import every domain type from this module.

Nothing here does I/O or imports a client library.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from nlp.models import (
    SALIENCE_LEVELS,
    Analysis,
    EntityInfo,
    EntityResult,
    EntityType,
    Mention,
    SalienceLevel,
)

__all__ = [
    "PLATFORMS",
    "SALIENCE_LEVELS",
    "Analysis",
    "ArticleRecord",
    "BadChannel",
    "ChannelAddress",
    "EntityInfo",
    "EntityResult",
    "EntityType",
    "FeedChange",
    "FeedInfo",
    "IngestOutcome",
    "Mention",
    "QueuedAlert",
    "RawArticle",
    "Rejected",
    "SalienceLevel",
    "SearchHit",
    "SourceStat",
    "StoryRecord",
    "Subscription",
    "canonical_url",
    "normalise_for_hash",
]

# --------------------------------------------------------------------------------------
# Channel addresses
# --------------------------------------------------------------------------------------

PLATFORMS: Final = ("console", "discord", "slack")
"""The platforms a channel can be on; each has a transport of the same name."""

_CONSOLE_NAME_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.#@-]{0,99}$")
_SNOWFLAKE_RE: Final = re.compile(r"^[1-9][0-9]{0,19}$")
_SLACK_TEAM_RE: Final = re.compile(r"^[TE][A-Z0-9]{1,20}$")
_SLACK_CHANNEL_RE: Final = re.compile(r"^[CGD][A-Z0-9]{1,20}$")
_SLACK_THREAD_RE: Final = re.compile(r"^[0-9]{1,12}\.[0-9]{1,8}$")


class BadChannel(ValueError):
    """A channel address that no transport could ever deliver to; the message says why."""


@dataclass(frozen=True, slots=True)
class ChannelAddress:
    """Where a reply or an alert goes.

    The string form, used in the store and on streams, is
    ``console:<name>``, ``discord:<guild id>:<channel id>`` or ``slack:<team id>:<channel id>``,
    with ``:<thread>`` appended when the address is a thread (a Discord thread's channel id,
    a Slack message ``ts``). Parse it with `ChannelAddress.parse`, once, where it enters.
    """

    platform: str
    channel: str
    scope: str = ""  # the Discord guild or Slack workspace; "" on the console
    thread: str | None = None

    @classmethod
    def parse(cls, text: str, *, default_platform: str | None = None) -> ChannelAddress:
        """Read an address; raise `BadChannel` with a user-facing reason when it is malformed.

        With `default_platform` ("console"), a bare name without a platform prefix
        ("found") is a channel of that platform; without it, the prefix is required.
        """
        text = text.strip()
        head, sep, rest = text.partition(":")
        if not sep or head not in PLATFORMS:
            if default_platform is not None and head not in PLATFORMS:
                head, rest = default_platform, text
            else:
                raise BadChannel(
                    f"channel {text!r} must start with a platform: "
                    + ", ".join(f"{p}:…" for p in PLATFORMS)
                )
        if head == "console":
            if not _CONSOLE_NAME_RE.fullmatch(rest):
                raise BadChannel(
                    f"console channel name {rest!r} must be 1-100 letters, digits or _.#@-"
                )
            return cls("console", rest)
        parts = rest.split(":")
        if len(parts) not in (2, 3):
            raise BadChannel(f"{head} channel {text!r} must look like {head}:<workspace>:<channel>")
        scope, channel = parts[0], parts[1]
        thread = parts[2] if len(parts) == 3 else None
        if head == "discord":
            ok = (scope == "@me" or bool(_SNOWFLAKE_RE.fullmatch(scope))) and all(
                _SNOWFLAKE_RE.fullmatch(p) for p in parts[1:]
            )
            what = "a Discord guild id and channel id are numbers (discord:<guild>:<channel>)"
        else:
            ok = bool(
                _SLACK_TEAM_RE.fullmatch(scope)
                and _SLACK_CHANNEL_RE.fullmatch(channel)
                and (thread is None or _SLACK_THREAD_RE.fullmatch(thread))
            )
            what = "a Slack address is slack:<team id T…>:<channel id C…, G… or D…>"
        if not ok:
            raise BadChannel(f"channel {text!r} is not valid: {what}")
        return cls(head, channel, scope, thread)

    @classmethod
    def try_parse(cls, text: str) -> ChannelAddress | None:
        try:
            return cls.parse(text)
        except BadChannel:
            return None

    @property
    def scope_key(self) -> str:
        """The workspace as one string: "discord:<guild>", "slack:<team>", "console"."""
        return f"{self.platform}:{self.scope}" if self.scope else self.platform

    @property
    def base(self) -> ChannelAddress:
        """The channel itself, without the thread."""
        return ChannelAddress(self.platform, self.channel, self.scope) if self.thread else self

    def __str__(self) -> str:
        parts = [self.platform, self.scope, self.channel, self.thread or ""]
        return ":".join(p for p in parts if p)


# --------------------------------------------------------------------------------------
# Articles
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class RawArticle:
    """One article as read from its source, before any analysis."""

    title: str
    text: str  # body without the title line
    url: str | None = None
    path: str | None = None  # the file it came from
    source: str | None = None  # the outlet's name, None when unknown
    published_at: datetime | None = None  # timezone-aware, UTC
    lang: str | None = None  # "fr", "en"... when the input says so
    feed: str | None = None  # the id of the feed it came from

    def article_id(self) -> str:
        """Return a stable id: 16 hex chars of sha256.

        Over the canonical URL when there is one (so tracking parameters, a
        fragment or a trailing slash do not make a new article), else over the
        normalised title and text. The same article gets the same id on every run
        and every machine.
        """
        if self.url:
            key = "url\n" + canonical_url(self.url)
        else:
            key = "text\n" + normalise_for_hash(self.title) + "\n" + normalise_for_hash(self.text)
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    def content_hash(self) -> str:
        """Return 16 hex chars of sha256 over the normalised text only.

        Catches the same text published under another URL.
        """
        return hashlib.sha256(normalise_for_hash(self.text).encode("utf-8")).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict that :func:`parse_json_article` reads back."""
        return {
            "title": self.title,
            "text": self.text,
            "url": self.url,
            "path": self.path,
            "source": self.source,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "lang": self.lang,
        }


@dataclass(slots=True)
class Rejected:
    """An input that could not be read as an article, and why."""

    where: str  # the path, or path#line for JSON lines, path#item for JSON lists
    reason: str  # one sentence for a user: what is wrong and what to do


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_QUOTE_MAP: Final = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
_WS_RE: Final = re.compile(r"\s+")


def normalise_for_hash(text: str) -> str:
    """Fold ``text`` for hashing: NFKC, straight quotes, collapsed whitespace, casefold."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MAP)
    return _WS_RE.sub(" ", text).strip().casefold()


_TRACKING_PARAMS: Final = _words(
    "fbclid gclid gclsrc dclid gbraid wbraid msclkid yclid twclid ttclid li_fat_id igshid "
    "igsh _ga _gl _hsenc _hsmi hsctatracking mkt_tok oly_anon_id oly_enc_id vero_id "
    "vero_conv wt.mc_id wt_mc s_cid icid ncid cmpid xtor at_medium at_campaign at_xtor "
    "ref_src ref_url spm smid smtyp sr_share share ito cid guccounter guce_referrer "
    "guce_referrer_sig"
)
_TRACKING_PREFIXES: Final = ("utm_", "mc_", "pk_", "mtm_", "at_", "hsa_")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_PCT_RE: Final = re.compile(r"%[0-9a-fA-F]{2}")


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in _TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Return the canonical form of ``url`` used for identity.

    Lowercases the scheme and host, drops the fragment, a default port, a
    trailing dot on the host and a trailing slash on the path (but keeps "/" for
    the root), removes tracking parameters (``utm_*``, ``fbclid``, ``gclid``,
    ``mc_*``, ``xtor``...), sorts the remaining parameters and re-encodes them
    consistently. An unparseable URL comes back stripped but otherwise unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if parts.username is not None:
        userinfo = parts.username
        if parts.password is not None:
            userinfo += ":" + parts.password
        netloc = f"{userinfo}@{host}"
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    path = _PCT_RE.sub(lambda m: m.group(0).upper(), parts.path)
    if netloc and not path:
        path = "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query = urlencode(sorted(pairs), quote_via=quote)
    return urlunsplit((scheme, netloc, path, query, ""))


# --------------------------------------------------------------------------------------
# What the store keeps and answers
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class ArticleRecord:
    """An article as stored."""

    id: str
    title: str
    text: str = ""
    url: str | None = None
    path: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    ingested_at: datetime | None = None
    lang: str | None = None
    entities: list[EntityResult] = field(default_factory=list)
    analysed: str = ""  # "", "fast" or "full"
    fanned: str = ""  # the last pass whose alerts the fan-out queued: "", "fast" or "full"
    story: str | None = None  # the story it belongs to
    sentences: list[str] = field(default_factory=list)  # from the analyzer; [0] is the title
    quiet: bool = False  # indexed without alerts (the backlog of a feed's first poll)
    minhash: str = ""  # its near-duplicate signature as stored, once computed
    # the tenants it belongs to ("public": the shared corpus; a Discord guild
    # "discord:<id>", a Slack workspace "slack:<id>", "console"): who may see it
    owners: tuple[str, ...] = ("public",)
    feed: str | None = None  # the id of the feed it came from, if any

    @property
    def where(self) -> str:
        return self.url or self.path or self.id

    def entity(self, entity_id: str) -> EntityResult | None:
        for ent in self.entities:
            if ent.id == entity_id:
                return ent
        return None


@dataclass(slots=True)
class StoryRecord:
    id: str
    title: str
    articles: int
    first: datetime | None = None
    last: datetime | None = None


@dataclass(slots=True, frozen=True)
class Subscription:
    """One entity tracked in one channel."""

    channel: str
    entity_id: str
    min_level: SalienceLevel = "low"
    added_by: str = ""
    added_at: datetime | None = None


@dataclass(slots=True, frozen=True)
class SearchHit:
    article: ArticleRecord
    score: float
    snippet: str


@dataclass(slots=True, frozen=True)
class SourceStat:
    name: str
    articles: int
    latest: datetime | None
    languages: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class QueuedAlert:
    channel: str
    article_id: str
    entity_ids: tuple[str, ...]


@dataclass(slots=True)
class IngestOutcome:
    """What became of one input in an ingest batch."""

    status: str  # "new", "duplicate" or "rejected"
    id: str | None = None
    path: str | None = None
    url: str | None = None
    title: str | None = None
    reason: str | None = None
    alerts: list[QueuedAlert] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.path is not None:
            data["path"] = self.path
        if self.url is not None:
            data["url"] = self.url
        if self.title is not None:
            data["title"] = self.title
        if self.reason is not None:
            data["reason"] = self.reason
        data["alerts"] = [
            {"channel": a.channel, "entities": list(a.entity_ids)} for a in self.alerts
        ]
        return data


@dataclass(slots=True)
class FeedInfo:
    """A feed's state, as `/grok feeds list` shows it."""

    url: str
    title: str = ""
    added_by: str = ""
    paused: bool = False
    failures: int = 0
    last_error: str = ""
    last_poll: datetime | None = None
    next_poll: datetime | None = None
    articles: int = 0
    first_poll_done: bool = False
    every_item: bool = False  # the channel asked gets every new item (`/grok feeds follow`)


@dataclass(slots=True)
class FeedChange:
    """What `/grok feeds add` did."""

    ok: bool
    url: str = ""
    status: str = ""  # "added", "exists", "resumed"
    feed: FeedInfo | None = None
    indexed: int = 0  # articles of the backlog indexed by the first poll (no alerts)
    error: str = ""  # why it was refused, or the first poll's problem when ok


# /grok ask's optional generative reader (`handlers.ports.AnswerReader`): a citation is
# written [n] or [n, m], n the place of a given passage counted from 1
CITATION: Final = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True, slots=True)
class ReaderPassage:
    """One numbered passage given to the reader (its number is its place, from 1)."""

    text: str
    outlet: str
    day: str


@dataclass(frozen=True, slots=True)
class ReaderAnswer:
    """A checked reply: an answer whose every sentence cites given passages, or a refusal."""

    kind: Literal["answer", "refusal"]
    text: str = ""
    cited: tuple[int, ...] = ()
