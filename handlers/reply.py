"""The neutral reply every handler returns; only transports turn it into Embeds, Block
Kit or terminal output. What a platform cannot show falls back to `Reply.as_text()`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ReplyKind = Literal["info", "error", "alert"]

# no word boundary after the name: Discord pings on "@everyone_" and "@here2" too
_PINGS = re.compile(r"@(everyone|here|channel)|<(?=[!@#])", re.IGNORECASE)


def defang(text: str) -> str:
    """Neutralise mass and user pings in text that comes from articles or users.

    "@everyone", "@here", "@channel" and Slack/Discord mention syntax ("<!channel>",
    "<@U123>", "<#C1>") get a zero-width space so no platform reads them as a ping.
    Transports also disable mentions; this is the second lock on the door.
    """
    return _PINGS.sub(lambda m: ("@\u200b" + m.group(1)) if m.group(1) else "<\u200b", text)


@dataclass(slots=True, frozen=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(slots=True, frozen=True)
class Citation:
    n: int
    title: str
    url: str | None = None
    source: str | None = None


@dataclass(slots=True, frozen=True)
class Button:
    label: str
    action: str  # a command name, e.g. "untrack"
    value: str  # its argument, e.g. an entity id
    style: Literal["default", "primary", "danger"] = "default"


@dataclass(slots=True)
class Reply:
    """Text in markdown plus optional structure; `kind` says how to present it."""

    text: str
    title: str | None = None
    url: str | None = None  # where the title links to
    fields: list[Field] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    image: Path | None = None
    footer: str | None = None
    kind: ReplyKind = "info"
    ephemeral: bool = False
    # alerts: replies with the same key in a channel belong together (the same story);
    # platforms with threads post the later ones in the thread of the first
    thread_key: str | None = None
    # the only pings a message may make: "role:<id>", "group:<id>" (a Slack user group)
    # or "user:<id>", opted into by a channel for its urgent alerts; never @everyone/@here
    mentions: tuple[str, ...] = ()

    @classmethod
    def error(cls, text: str) -> Reply:
        return cls(text=text, kind="error", ephemeral=True)

    def as_text(self) -> str:
        """Everything in plain markdown, for transports without rich layouts."""
        parts: list[str] = []
        if self.title:
            parts.append(f"**{self.title}**" + (f" <{self.url}>" if self.url else ""))
        if self.text:
            parts.append(self.text)
        for f in self.fields:
            parts.append(f"**{f.name}:** {f.value}")
        if self.citations:
            parts.append(
                "\n".join(
                    f"[{c.n}] {c.title}"
                    + (f" — {c.source}" if c.source else "")
                    + (f" <{c.url}>" if c.url else "")
                    for c in self.citations
                )
            )
        if self.image:
            parts.append(f"(chart: {self.image})")
        if self.footer:
            parts.append(f"_{self.footer}_")
        return "\n\n".join(parts)
