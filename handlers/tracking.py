"""Tracking: /grok track, /grok untrack, /grok tracked."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import cast

from handlers.context import CommandRequest, HandlerContext
from handlers.entities import ENTITY, entity_name, resolve_entity
from handlers.model import SALIENCE_LEVELS, SalienceLevel, Subscription
from handlers.registry import Param, command
from handlers.reply import Button, Field, Reply
from handlers.texts import t

logger = logging.getLogger(__name__)

MIN_LEVEL = Param(
    "min",
    "only alert when the entity is at least this central to the article",
    kind="choice",
    required=False,
    choices=SALIENCE_LEVELS,
    description_fr="n'alerter que si l'entité est au moins aussi centrale dans l'article",
)


@command(
    "track",
    ENTITY,
    MIN_LEVEL,
    manage=True,
    help_fr="Suivre une entité : une alerte dans ce salon à chaque nouvel article qui la cite.",
)
async def track(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """Track an entity: post an alert here when a new article mentions it.

    Names, aliases and other spellings are accepted in any case ("x.AI", "Open AI").
    `min:high` alerts only when the entity is a main actor of the article, `min:medium`
    skips passing mentions.
    """
    if req.channel_kind == "forum":
        return Reply.error(t(req.lang, "track_forum"))
    if req.bot_missing:
        return Reply.error(t(req.lang, "track_bot_missing", perms=", ".join(req.bot_missing)))
    res = await resolve_entity(ctx, req.args["entity"], req.lang)
    if res.entity is None:
        return Reply.error(res.error)
    ent = res.entity
    level = cast(SalienceLevel, req.args.get("min", "low"))
    is_new = await ctx.store.subscriptions.track(
        Subscription(
            channel=req.where,
            entity_id=ent.id,
            min_level=level,
            added_by=req.user,
            added_at=datetime.now(UTC),
        )
    )
    level_note = t(req.lang, "level_note", level=level) if level != "low" else ""
    key = "tracked_new" if is_new else "tracked_update"
    text = t(req.lang, key, name=ent.name, type=ent.type, id=ent.id, level=level_note)
    if not res.exact:
        text = t(req.lang, "resolved_from", given=req.args["entity"], name=ent.name) + " " + text
    logger.info("%s tracks %s in %s (min %s)", req.user, ent.id, req.channel, level)
    return Reply(text=text, buttons=[Button("Untrack", "untrack", ent.id, style="danger")])


@command(
    "untrack",
    ENTITY,
    manage=True,
    help_fr="Ne plus suivre une entité dans ce salon.",
)
async def untrack(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """Stop tracking an entity in this channel."""
    res = await resolve_entity(ctx, req.args["entity"], req.lang)
    if res.entity is None:
        return Reply.error(res.error)
    ent = res.entity
    removed = await ctx.store.subscriptions.untrack(req.where, ent.id)
    if not removed:
        return Reply.error(t(req.lang, "not_tracked", name=ent.name, id=ent.id))
    logger.info("%s untracks %s in %s", req.user, ent.id, req.channel)
    return Reply(text=t(req.lang, "untracked", name=ent.name, id=ent.id))


@command("tracked", help_fr="Ce que ce salon suit.")
async def tracked(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """List the entities tracked in this channel."""
    subs = await ctx.store.subscriptions.of_channel(req.where)
    if not subs:
        return Reply(text=t(req.lang, "tracked_none"))
    fields = []
    for sub in subs:
        info = ctx.catalog.get(sub.entity_id) or await ctx.store.articles.discovered(sub.entity_id)
        name = info.name if info else entity_name(ctx, sub.entity_id)
        since = sub.added_at.strftime("%Y-%m-%d") if sub.added_at else "?"
        detail = f"`{sub.entity_id}` · min {sub.min_level} · since {since}"
        fields.append(Field(name, detail, inline=True))
    return Reply(
        text="",
        title=t(req.lang, "tracked_title"),
        fields=fields,
        buttons=[
            Button(f"Untrack {f.name}", "untrack", s.entity_id)
            for f, s in zip(fields, subs, strict=True)
        ][:5],
    )


@command("resume", manage=True, help_fr="Reprendre les alertes suspendues dans ce salon.")
async def resume(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """Resume alerts in this channel after the bot lost access to it (kept alerts are sent)."""
    paused = await ctx.store.delivery.paused_channels(req.channel.scope_key)
    if req.where not in paused:
        return Reply(text=t(req.lang, "not_paused"))
    n = await ctx.store.delivery.resume_channel(req.where, req.channel.platform)
    logger.info("%s resumed alerts in %s (%d re-queued)", req.user, req.channel, n)
    return Reply(text=t(req.lang, "resumed", n=n))
