"""Reply → Slack Block Kit (pure, no I/O).

Owns: mrkdwn escaping (`escape`, `safe`, `link`, `to_mrkdwn`: everything from articles or
users is made inert, so it cannot ping, mention or link anyone; only the bot's own links,
to absolute http(s) URLs, are links), the block builders the
App Home view shares, and `render`: a neutral `Reply` as one or more `chat.postMessage`
kwargs, blocks within Slack's limits, split across messages when long, with a fallback
text. Cuts never fall inside a `<link>` or an `&entity;` (`keep_markup_whole`).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from bot.transports import text
from bot.transports.slack.types import MessageKwargs
from bot.transports.text import names_an_address, web_url
from handlers.reply import Reply, defang

logger = logging.getLogger(__name__)

# Slack's Block Kit limits
MAX_BLOCKS = 50  # blocks in a message
MAX_SECTION = 3000  # characters of a section's text
MAX_HEADER = 150  # characters of a header
MAX_FIELDS = 10  # fields in a section
MAX_FIELD = 2000  # characters of a field
MAX_BUTTONS = 25  # elements of an actions block
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT = 3000  # characters of a context element
# Our own budgets: characters of block text per message, and of the fallback text
MESSAGE_BUDGET = 12_000
MAX_FALLBACK = 3000

ACTION_PREFIX = "grok_"  # action ids of reply buttons: grok_<command>:<index>
_ICONS = {"alert": "🔔 ", "error": "⚠️ ", "info": ""}


# --------------------------------------------------------------------------- mrkdwn
def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe(text: str) -> str:
    """Text from articles or users, made inert: no ping, no link, no mention."""
    return escape(defang(text))


def link(url: str | None, label: str) -> str:
    """A mrkdwn link `<url|label>`, the bot's own (a title, a citation); the label is
    escaped, only absolute http(s) URLs link (`web_url`), anything else is the label."""
    target = web_url(url)
    shown = safe(label).replace("|", "¦") or escape(target or url or "")
    if target is None:
        return shown
    if names_an_address(label):  # the label could pass for another address: show both
        return f"{shown} <{escape(target)}>"
    return f"<{escape(target)}|{shown}>"


_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
_MD_BULLET = re.compile(r"^(\s*)[-+]\s+", re.MULTILINE)
_MD_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")


def to_mrkdwn(markdown: str) -> str:
    """A Reply's markdown as Slack mrkdwn: escaped and defanged, with **bold**, headings
    and bullets translated. A markdown link `[t](url)` is not: in a Reply's text it comes
    from content (an outlet name, an article), and shown as a link it could lie about
    where it goes; it stays as its characters. The bot's own links are structure (a
    title's URL, citations) and `link` makes them."""
    out = safe(markdown)
    out = _MD_HEADING.sub(r"*\1*", out)
    out = _MD_BULLET.sub(r"\1• ", out)
    out = _MD_BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", out)
    return _MD_STRIKE.sub(r"~\1~", out)


def keep_markup_whole(mrkdwn: str, cut: int) -> int:
    """A cut moved back out of a `<link|label>` or an `&entity;` it would split."""
    opened = mrkdwn.rfind("<", 0, cut)
    if opened > mrkdwn.rfind(">", 0, cut) and opened > 0:
        cut = opened
    amp = mrkdwn.rfind("&", 0, cut)
    if amp >= 0 and cut - amp < 6 and ";" not in mrkdwn[amp:cut]:
        cut = amp
    return cut


def clip(mrkdwn: str, limit: int) -> str:
    """At most `limit` characters; an ellipsis marks a cut (never inside markup)."""
    return text.clip(mrkdwn, limit, guard=keep_markup_whole)


def split_text(mrkdwn: str, limit: int = MAX_SECTION) -> list[str]:
    """Chunks of at most `limit` characters, cut at breaks, never inside markup (long
    replies are split, never rejected)."""
    return text.split_text(mrkdwn, limit, guard=keep_markup_whole)


# --------------------------------------------------------------------------- blocks
def mrkdwn(content: str) -> dict[str, Any]:
    # verbatim: Slack must not turn bare names or URLs into mentions or links
    return {"type": "mrkdwn", "text": content, "verbatim": True}


def plain(content: str, limit: int) -> dict[str, Any]:
    return {
        "type": "plain_text",
        "text": clip(defang(content).strip() or "·", limit),
        "emoji": True,
    }


def section(content: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(content)}


def sections(content: str) -> list[dict[str, Any]]:
    return [section(chunk) for chunk in split_text(content, MAX_SECTION)]


def footer_block(footer: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(clip(to_mrkdwn(footer), MAX_CONTEXT))]}


def _packed(entries: list[str]) -> list[dict[str, Any]]:
    """Entries (already mrkdwn) packed into as few sections as the limit allows."""
    blocks: list[dict[str, Any]] = []
    buf = ""
    for entry in entries:
        if buf and len(buf) + 2 + len(entry) > MAX_SECTION:
            blocks.extend(sections(buf))
            buf = ""
        buf = f"{buf}\n\n{entry}" if buf else entry
    if buf:
        blocks.extend(sections(buf))
    return blocks


def _field_text(name: str, value: str, limit: int) -> str:
    return clip(f"*{safe(name)}*\n{to_mrkdwn(value)}" if name else to_mrkdwn(value), limit)


def field_blocks(reply: Reply) -> list[dict[str, Any]]:
    """Inline fields as section fields (10 a section); the others as packed text."""
    blocks: list[dict[str, Any]] = []
    inline: list[dict[str, Any]] = []
    wide: list[str] = []

    def flush() -> None:
        if inline:
            for i in range(0, len(inline), MAX_FIELDS):
                blocks.append({"type": "section", "fields": inline[i : i + MAX_FIELDS]})
            inline.clear()
        if wide:
            blocks.extend(_packed(wide))
            wide.clear()

    for f in reply.fields:
        if f.inline:
            if wide:
                flush()
            inline.append(mrkdwn(_field_text(f.name, f.value, MAX_FIELD)))
        else:
            if inline:
                flush()
            wide.append(_field_text(f.name, f.value, MAX_SECTION))
    flush()
    return blocks


def _citation_blocks(reply: Reply) -> list[dict[str, Any]]:
    lines = []
    for c in reply.citations:
        title = clip(c.title, 300)
        line = f"[{c.n}] " + (link(c.url, title) if c.url else safe(title))
        if c.source:
            line += f" — {safe(clip(c.source, 200))}"
        lines.append(line)
    return _packed(["\n".join(lines)]) if lines else []


def action_id(action: str, index: int, prefix: str = ACTION_PREFIX) -> str:
    """Unique within its block: `grok_untrack:0`, `grok_untrack:1`, ..."""
    return f"{prefix}{action}:{index}"


def button(label: str, action: str, value: str, style: str) -> dict[str, Any]:
    """A button element; `action` is its action id."""
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(label, MAX_BUTTON_TEXT),
        "action_id": action,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style in ("primary", "danger"):
        element["style"] = style
    return element


def _button_blocks(reply: Reply) -> list[dict[str, Any]]:
    buttons = [
        button(b.label, action_id(b.action, i), b.value, b.style)
        for i, b in enumerate(reply.buttons)
    ]
    return [
        {"type": "actions", "elements": buttons[i : i + MAX_BUTTONS]}
        for i in range(0, len(buttons), MAX_BUTTONS)
    ]


def reply_blocks(reply: Reply) -> list[dict[str, Any]]:
    """Every block of a Reply, each within Slack's limits (not yet split in messages)."""
    icon = _ICONS.get(reply.kind, "")
    blocks: list[dict[str, Any]] = []
    if reply.title:
        url = web_url(reply.url)
        if url is not None:
            label = clip(reply.title, MAX_SECTION - 3 * len(url) - 40)
            blocks.append(section(f"{icon}*{link(url, label)}*"))
        else:
            blocks.append({"type": "header", "text": plain(icon + reply.title, MAX_HEADER)})
    if reply.text:
        lead = icon if not reply.title and icon else ""
        blocks.extend(sections(lead + to_mrkdwn(reply.text)))
    blocks.extend(field_blocks(reply))
    blocks.extend(_citation_blocks(reply))
    blocks.extend(_button_blocks(reply))
    if reply.footer:
        blocks.append(footer_block(reply.footer))
    if not blocks:
        blocks.append(section(icon + "(nothing to show)"))
    return blocks


def _block_chars(block: dict[str, Any]) -> int:
    return len(json.dumps(block, ensure_ascii=False))


def fallback_text(reply: Reply) -> str:
    """The notification text of a message (shown where blocks are not)."""
    icon = _ICONS.get(reply.kind, "")
    head = safe(reply.title or "")
    body = to_mrkdwn(reply.text) if reply.text else ""
    out = f"{icon}{head}: {body}" if head and body else icon + (head or body or "grokwatch")
    return clip(out, MAX_FALLBACK)


def mention(target: str) -> str:
    """A ping target of a Reply ("group:S…", "user:U…") as Slack mrkdwn; "" for anything
    else (a Discord role, a malformed id)."""
    kind, _, ident = target.partition(":")
    if not re.fullmatch(r"[A-Z0-9]{3,21}", ident):
        return ""
    if kind == "group" and ident.startswith("S"):
        return f"<!subteam^{ident}>"
    if kind == "user" and ident[0] in "UW":
        return f"<@{ident}>"
    return ""


def render(reply: Reply) -> list[MessageKwargs]:
    """A Reply as one or more `chat.postMessage` kwargs: blocks within Slack's limits,
    split across messages when a reply is long, and a fallback text."""
    groups: list[list[dict[str, Any]]] = [[]]
    used = 0
    for block in reply_blocks(reply):
        size = _block_chars(block)
        if groups[-1] and (len(groups[-1]) >= MAX_BLOCKS or used + size > MESSAGE_BUDGET):
            groups.append([])
            used = 0
        groups[-1].append(block)
        used += size
    first = fallback_text(reply)
    ping = " ".join(m for m in map(mention, reply.mentions) if m)
    if ping:  # the channel's opt-in ping of an urgent alert: the only mention ever made
        groups[0].insert(0, {"type": "section", "text": {"type": "mrkdwn", "text": ping}})
        if len(groups[0]) > MAX_BLOCKS:
            groups.insert(1, [groups[0].pop()])
        first = clip(f"{ping} {first}", MAX_FALLBACK)
    messages: list[MessageKwargs] = []
    for i, group in enumerate(groups):
        fallback = (
            first
            if i == 0
            else clip(f"{safe(reply.title or 'grokwatch')} ({i + 1}/{len(groups)})", MAX_FALLBACK)
        )
        messages.append(
            MessageKwargs(text=fallback, blocks=group, unfurl_links=False, unfurl_media=False)
        )
    return messages
