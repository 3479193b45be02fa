"""Reply → Discord messages: embeds within every Discord limit (pure, no I/O).

Owns `render` (a neutral `Reply` as the keyword arguments of one or more messages: embeds
split over as many embeds and messages as it takes, the chart as an attachment, buttons on
the last message, mentions off, content inert: no ping, no masked link, and only absolute
http(s) URLs as links), the limits it keeps, and the nonce of each message
(`nonce_for`): the same alert rendered again gives the same nonce, so Discord, with
`enforce_nonce`, returns the message already posted instead of a duplicate.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence

import discord

from bot.transports.discord.commands import ReplyButton, button_custom_id
from bot.transports.discord.types import MessageKwargs
from bot.transports.text import clip, names_an_address, split_text, unmask, web_url
from handlers.reply import Button, Reply, defang

logger = logging.getLogger(__name__)

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000  # per message, all its embeds together
EMBEDS_PER_MESSAGE = 10
BUTTONS_MAX = 25
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
# a description chunk leaves room for the title and the footer in one 6,000-character embed
DESCRIPTION_CHUNK = 3500
NONCE_MAX = 25

COLOURS = {"info": 0x5865F2, "error": 0xED4245, "alert": 0xFEE75C}
CONTINUED = "\u200b"  # the name of a field that continues the previous one
NO_MENTIONS = discord.AllowedMentions.none()


def inert(text: str) -> str:
    """Content made inert for Discord markdown: no ping (`defang`), no masked link
    (`unmask`); only the links `render` makes itself are links."""
    return unmask(defang(text))


def _citation_lines(reply: Reply) -> list[str]:
    lines = []
    for c in reply.citations:
        title = defang(c.title).replace("[", "(").replace("]", ")")
        url = web_url(c.url)
        if url and names_an_address(title):  # a label that could pass for another address
            head = f"{inert(title)} <{url}>"
        else:
            head = f"[{title}]({url})" if url else inert(title)
        lines.append(f"`[{c.n}]` {head}" + (f" — {inert(c.source)}" if c.source else ""))
    return lines


def _embed_size(embed: discord.Embed) -> int:
    return len(embed)  # discord.py counts title, description, fields, footer and author


def _buttons_view(buttons: Sequence[Button]) -> discord.ui.View | None:
    view = discord.ui.View(timeout=None)
    for b in buttons[:BUTTONS_MAX]:
        custom_id = button_custom_id(b.action, b.value)
        if len(custom_id) > CUSTOM_ID_MAX or not ReplyButton.matches(custom_id):
            logger.debug("button %r left out: its custom id would not fit", b.label)
            continue
        view.add_item(ReplyButton(b.action, b.value, clip(b.label, BUTTON_LABEL_MAX), b.style))
    return view if view.children else None


def _embeds(reply: Reply) -> list[discord.Embed]:
    """Every embed of `reply`, each within the limits (not yet packed into messages)."""
    colour = COLOURS.get(reply.kind, COLOURS["info"])
    footer = clip(inert(reply.footer), FOOTER_MAX) if reply.footer else ""
    cap = EMBED_TOTAL_MAX - len(footer)  # every embed leaves room for the footer
    title = (
        clip(("🔔 " if reply.kind == "alert" else "") + inert(reply.title), TITLE_MAX)
        if reply.title
        else None
    )

    description = inert(reply.text or "")
    url = web_url(reply.url) if title else None
    if url and reply.title and names_an_address(reply.title):
        # a title that reads as an address links nowhere; the real address is shown
        description = f"<{url}>" + ("\n\n" + description if description else "")
        url = None
    cites = _citation_lines(reply)
    if cites:
        description = (description + "\n\n" if description else "") + "\n".join(cites)
    chunks = split_text(description, DESCRIPTION_CHUNK)

    embeds: list[discord.Embed] = []
    # Discord refuses (400) an embed whose URL is not absolute http(s)
    first = discord.Embed(title=title, url=url, colour=colour)
    if chunks:
        first.description = chunks[0]
    embeds.append(first)
    for chunk in chunks[1:]:
        embeds.append(discord.Embed(description=chunk, colour=colour))

    for f in reply.fields:
        name = clip(inert(f.name), FIELD_NAME_MAX) or CONTINUED
        for i, value in enumerate(split_text(inert(f.value), FIELD_VALUE_MAX) or ["—"]):
            field_name = name if i == 0 else CONTINUED
            current = embeds[-1]
            if (
                len(current.fields) >= FIELDS_MAX
                or _embed_size(current) + len(field_name) + len(value) > cap
            ):
                current = discord.Embed(colour=colour)
                embeds.append(current)
            current.add_field(name=field_name, value=value, inline=f.inline and i == 0)

    if reply.image is not None:
        embeds[0].set_image(url=f"attachment://{reply.image.name}")
    if not any(e.title or e.description or e.fields or e.image for e in embeds):
        embeds[0].description = CONTINUED  # an embed must show something
    if footer:
        embeds[-1].set_footer(text=footer)
    return embeds


def ping_of(targets: Sequence[str]) -> tuple[str, discord.AllowedMentions] | None:
    """The content and allowed mentions that ping exactly the roles and users named
    ("role:<id>", "user:<id>"); never everyone. None when there is nobody to ping."""
    roles = [
        int(i) for k, _, i in (x.partition(":") for x in targets) if k == "role" and i.isdigit()
    ]
    users = [
        int(i) for k, _, i in (x.partition(":") for x in targets) if k == "user" and i.isdigit()
    ]
    if not roles and not users:
        return None
    content = " ".join([f"<@&{r}>" for r in roles] + [f"<@{u}>" for u in users])
    allowed = discord.AllowedMentions(
        everyone=False,
        roles=[discord.Object(r) for r in roles],
        users=[discord.Object(u) for u in users],
        replied_user=False,
    )
    return content, allowed


def render(reply: Reply) -> list[MessageKwargs]:
    """The messages that show `reply`: embeds within every Discord limit, split over as
    many embeds and messages as it takes; the chart as an attachment, buttons on the last."""
    # pack the embeds into messages: 10 embeds and 6,000 characters each
    groups: list[list[discord.Embed]] = [[]]
    for embed in _embeds(reply):
        used = sum(_embed_size(e) for e in groups[-1])
        if groups[-1] and (
            len(groups[-1]) >= EMBEDS_PER_MESSAGE or used + _embed_size(embed) > EMBED_TOTAL_MAX
        ):
            groups.append([])
        groups[-1].append(embed)

    messages: list[MessageKwargs] = [
        {"embeds": group, "files": [], "allowed_mentions": NO_MENTIONS} for group in groups
    ]
    ping = ping_of(reply.mentions)
    if ping is not None:  # the channel's opt-in ping of an urgent alert, nothing else
        messages[0]["content"], messages[0]["allowed_mentions"] = ping
    if reply.image is not None:
        messages[0]["files"] = [discord.File(reply.image, filename=reply.image.name)]
    view = _buttons_view(reply.buttons)
    if view is not None:
        messages[-1]["view"] = view
    return messages


def close_files(messages: Sequence[MessageKwargs]) -> None:
    """Close the attachments `render` opened."""
    for m in messages:
        for f in m["files"]:
            f.close()


def message_fingerprint(message: MessageKwargs) -> str:
    """A stable digest of what a message shows (its embeds, attachments and buttons)."""
    data = {
        "embeds": [e.to_dict() for e in message["embeds"]],
        "files": [f.filename for f in message["files"]],
        "view": [c.to_component_dict() for c in message["view"].children]
        if "view" in message
        else [],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def nonce_for(target: str, destination: int, index: int, message: MessageKwargs) -> str:
    """The nonce of one message of an alert: the same alert gets the same nonce, so Discord
    (with enforce_nonce) returns the message already created instead of a second one.

    The formula is the one earlier releases used, so an alert retried across an upgrade
    still finds the message it posted."""
    seed = f"{target}|{destination}|{index}|{message_fingerprint(message)}"
    return hashlib.sha256(seed.encode()).hexdigest()[:NONCE_MAX]


def first_message_nonce(target: str, destination: int, reply: Reply) -> str:
    """The nonce of the first message `reply` makes when posted to `destination`."""
    messages = render(reply)
    try:
        return nonce_for(target, destination, 0, messages[0])
    finally:
        close_files(messages)
