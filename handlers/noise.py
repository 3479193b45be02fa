"""Noise control per channel, the pure rules: what a channel asked for (`ChannelSettings`),
whether an alert goes now, waits for the next digest or is filtered out (`decide`), when
that digest is due (`next_digest`), the include/exclude filters (`TextFilter`), who an
urgent alert may ping (`parse_ping`), and the digest message (`render_digest`).

Filters are words and phrases (`grok, open source`: any of them, as whole words, in any
case), or a regular expression between slashes (`/grok-?1(\\.5)?/`). A regular expression
is bounded (at most `PATTERN_MAX` characters, no backreference, no lookaround) and matched
with a time limit (`MATCH_TIMEOUT_S`, the `regex` package's timeout) over at most
`TEXT_MAX` characters, so no pattern can hold the fan-out: a match that runs out of time
counts as no match, and is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import regex  # type: ignore[import-untyped]

from handlers.reply import Field, Reply, defang
from handlers.texts import t

logger = logging.getLogger(__name__)

PATTERN_MAX = 200
TEXT_MAX = 20_000
MATCH_TIMEOUT_S = 0.05
DIGEST_MAX = 50  # alerts listed in one digest (the rest are counted)
DIGEST_MODES = ("off", "hourly", "daily")
Decision = Literal["now", "digest", "drop"]
_FORBIDDEN = regex.compile(r"\\[1-9]|\\g|\(\?P=|\(\?<?[=!]|\(\?[\d+-]|\(\?R|\(\?&")
_SLACK_GROUP = regex.compile(r"^(?:<!subteam\^)?(S[A-Z0-9]{2,20})(?:\|[^>]*)?>?$")
_SLACK_USER = regex.compile(r"^(?:<@)?([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>?$")
_DISCORD_ROLE = regex.compile(r"^(?:<@&|role:)([1-9][0-9]{5,19})>?$")
_DISCORD_USER = regex.compile(r"^(?:<@!?|user:)([1-9][0-9]{5,19})>?$")


class BadSetting(ValueError):
    """A setting a channel cannot have; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class TextFilter:
    """Words/phrases or a bounded regular expression, matched case-insensitively."""

    source: str
    compiled: Any  # a `regex` pattern

    @classmethod
    def parse(cls, text: str) -> TextFilter:
        """Read a filter; raise BadSetting (its message for the user) when it is unsafe
        or malformed."""
        text = text.strip()
        if not text:
            raise BadSetting("an empty filter matches nothing; give words or /a pattern/")
        if len(text) > PATTERN_MAX + 2:
            raise BadSetting(f"a filter is at most {PATTERN_MAX} characters")
        if len(text) > 2 and text.startswith("/") and text.endswith("/"):
            pattern = text[1:-1]
            if _FORBIDDEN.search(pattern):
                raise BadSetting(
                    "backreferences, lookarounds and recursion are not allowed in a filter"
                )
            try:
                compiled = regex.compile(pattern, regex.IGNORECASE | regex.V0)
            except regex.error as exc:
                raise BadSetting(f"not a valid pattern: {exc}") from None
            return cls(text, compiled)
        phrases = [p.strip() for p in text.split(",") if p.strip()]
        if not phrases:
            raise BadSetting("give words, separated by commas, or /a pattern/")
        words = "|".join(r"\s+".join(map(regex.escape, p.split())) for p in phrases)
        return cls(text, regex.compile(rf"(?<!\w)(?:{words})(?!\w)", regex.IGNORECASE))

    def matches(self, text: str) -> bool:
        """Whether the filter finds something in `text` (its first TEXT_MAX characters);
        False when the match runs out of time."""
        try:
            return self.compiled.search(text[:TEXT_MAX], timeout=MATCH_TIMEOUT_S) is not None
        except TimeoutError:
            logger.warning("filter %r ran out of time; counted as no match", self.source)
            return False


def parse_ping(text: str, platform: str) -> str:
    """A role/user (Discord) or user group/user (Slack) to ping for urgent alerts, as
    "role:<id>", "group:<id>" or "user:<id>"; raise BadSetting for anything else
    (@everyone, @here and @channel above all)."""
    text = text.strip()
    lowered = text.casefold().lstrip("<!@")
    if lowered.startswith(("everyone", "here", "channel")):
        raise BadSetting("the bot never pings @everyone, @here or @channel")
    checks = (
        [("group", _SLACK_GROUP), ("user", _SLACK_USER)]
        if platform == "slack"
        else [("role", _DISCORD_ROLE), ("user", _DISCORD_USER)]
    )
    for kind, pattern in checks:
        m = pattern.fullmatch(text)
        if m:
            return f"{kind}:{m.group(1)}"
    if platform == "slack":
        raise BadSetting("name a user group (<!subteam^S…>, S…) or a user (<@U…>, U…)")
    raise BadSetting("mention a role (@role) or a user (@user), or give role:<id>")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadSetting(f"unknown time zone {name!r}; use a name like Europe/Paris") from None


def parse_quiet(text: str) -> tuple[int, int] | None:
    """`22-7` (local hours: from 22:00 to 07:00) or `off`."""
    if text.strip().casefold() in ("off", "none", "no"):
        return None
    start, sep, end = text.replace("h", "").partition("-")
    if not sep or not start.strip().isdigit() or not end.strip().isdigit():
        raise BadSetting("quiet hours look like 22-7 (from 22:00 to 07:00), or off")
    a, b = int(start), int(end)
    if not (0 <= a <= 23 and 0 <= b <= 23) or a == b:
        raise BadSetting("quiet hours are two different hours from 0 to 23, like 22-7")
    return a, b


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    """What a channel asked for. Defaults: every alert at once, in the bot's language."""

    digest: str = "off"  # "off", "hourly", "daily"
    digest_hour: int = 9  # local hour of the daily digest
    cap: int = 0  # alerts per hour posted at once (0: no cap); the rest go to the digest
    quiet: tuple[int, int] | None = None  # local hours [start, end) held for later
    tz: str = "UTC"
    lang: str = ""  # the alerts' language ("": the bot's default)
    include: str = ""  # a filter an article must match
    exclude: str = ""  # a filter an article must not match
    ping: str = ""  # "role:<id>", "group:<id>", "user:<id>": pinged on urgent alerts

    def to_hash(self) -> dict[str, str]:
        return {
            "digest": self.digest,
            "digest_hour": str(self.digest_hour),
            "cap": str(self.cap),
            "quiet": f"{self.quiet[0]}-{self.quiet[1]}" if self.quiet else "",
            "tz": self.tz,
            "lang": self.lang,
            "include": self.include,
            "exclude": self.exclude,
            "ping": self.ping,
        }

    @classmethod
    def from_hash(cls, raw: Mapping[str, str]) -> ChannelSettings:
        def num(key: str, default: int) -> int:
            value = raw.get(key, "")
            return int(value) if value.isdigit() else default

        try:
            quiet = parse_quiet(raw["quiet"]) if raw.get("quiet") else None
        except BadSetting:
            quiet = None
        digest = raw.get("digest", "off")
        return cls(
            digest=digest if digest in DIGEST_MODES else "off",
            digest_hour=num("digest_hour", 9) % 24,
            cap=num("cap", 0),
            quiet=quiet,
            tz=raw.get("tz") or "UTC",
            lang=raw.get("lang", ""),
            include=raw.get("include", ""),
            exclude=raw.get("exclude", ""),
            ping=raw.get("ping", ""),
        )

    def with_changes(self, **changes: Any) -> ChannelSettings:
        return replace(self, **changes)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return zone(self.tz)
        except BadSetting:
            return ZoneInfo("UTC")

    def passes(self, text: str) -> bool:
        """Whether an article's title and text pass the include and exclude filters."""
        try:
            if self.include and not TextFilter.parse(self.include).matches(text):
                return False
            return not (self.exclude and TextFilter.parse(self.exclude).matches(text))
        except BadSetting:  # stored before a rule changed: the filter is ignored
            return True

    def is_quiet(self, now: datetime) -> bool:
        if self.quiet is None:
            return False
        hour = now.astimezone(self.zone).hour
        start, end = self.quiet
        return start <= hour < end if start < end else hour >= start or hour < end


def decide(settings: ChannelSettings, now: datetime, sent_this_hour: int) -> Decision:
    """An alert that passed the filters: post it now, or hold it for the next digest
    (digest mode, quiet hours, or over the hourly cap)."""
    if settings.digest != "off" or settings.is_quiet(now):
        return "digest"
    if settings.cap and sent_this_hour >= settings.cap:
        return "digest"
    return "now"


def next_digest(settings: ChannelSettings, now: datetime) -> datetime:
    """When the digest that an alert held now goes out: the next hour (hourly, or the
    cap's next window), the daily hour (daily), or the end of quiet hours."""
    local = now.astimezone(settings.zone)
    top = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if settings.digest == "daily":
        due = local.replace(hour=settings.digest_hour, minute=0, second=0, microsecond=0)
        return due if due > local else due + timedelta(days=1)
    if settings.is_quiet(now) and settings.quiet is not None:
        due = local.replace(hour=settings.quiet[1], minute=0, second=0, microsecond=0)
        return due if due > local else due + timedelta(days=1)
    return top


def render_digest(items: Sequence[Mapping[str, Any]], lang: str, tz: str) -> Reply:
    """One message for the alerts a channel held: each article's title (linked), outlet
    and what it matched, the newest last; article text stays inert (`defang`)."""
    try:
        where = zone(tz)
    except BadSetting:
        where = ZoneInfo("UTC")
    shown = list(items)[-DIGEST_MAX:]
    fields = []
    for item in shown:
        when = datetime.fromtimestamp(float(item.get("at", 0)), where).strftime("%H:%M")
        title = defang(str(item.get("title") or item.get("id") or "?"))[:200]
        url = str(item.get("url") or "")
        names = ", ".join(defang(str(n)) for n in item.get("entities") or []) or t(
            lang, "digest_feed_item"
        )
        head = f"{when} · {defang(str(item.get('source') or '—'))[:80]}"
        fields.append(Field(title, f"{head} · {names}" + (f"\n<{url}>" if url else "")))
    more = len(items) - len(shown)
    return Reply(
        text=t(lang, "digest_text", n=len(items))
        + (t(lang, "digest_more", n=more) if more else ""),
        title=t(lang, "digest_title"),
        fields=fields,
        kind="alert",
    )
