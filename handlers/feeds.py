"""Feeds: /grok feeds add|remove|follow|unfollow URL, /grok feeds list."""

from __future__ import annotations

import logging
from datetime import datetime

from handlers.context import CommandRequest, HandlerContext
from handlers.format import clip
from handlers.model import FeedInfo
from handlers.registry import Param, command
from handlers.reply import Field, Reply, defang
from handlers.texts import t

logger = logging.getLogger(__name__)

ACTIONS = ("add", "remove", "list", "follow", "unfollow")


def _when(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M UTC") if dt else "—"


def _state(feed: FeedInfo, lang: str) -> str:
    if feed.paused:
        return t(lang, "feed_state_paused", n=feed.failures)
    if feed.failures:
        return t(lang, "feed_state_failing", n=feed.failures)
    return t(lang, "feed_state_ok")


def _feed_field(feed: FeedInfo, lang: str) -> Field:
    lines = [
        f"<{feed.url}>",
        t(
            lang,
            "feed_line",
            state=_state(feed, lang),
            articles=feed.articles,
            last=_when(feed.last_poll),
            next=_when(feed.next_poll),
        ),
    ]
    if feed.every_item:
        lines.append(t(lang, "feed_every_item"))
    if feed.last_error:
        lines.append(t(lang, "feed_last_error", error=defang(clip(feed.last_error, 200))))
    return Field(defang(clip(feed.title or feed.url, 100)), "\n".join(lines))


@command(
    "feeds",
    Param(
        "action",
        "add, remove, list (the default), follow (post every new item) or unfollow",
        kind="choice",
        required=False,
        choices=ACTIONS,
        positional=True,
        description_fr="add (ajouter), remove (retirer), list (lister, par défaut), "
        "follow (publier chaque article) ou unfollow",
    ),
    Param(
        "url",
        "the feed's address (RSS or Atom), for add, remove, follow and unfollow",
        required=False,
        rest=True,
        description_fr="l'adresse du flux (RSS ou Atom), pour add, remove, follow et unfollow",
    ),
    manage_when={"action": ("add", "remove", "follow", "unfollow")},  # listing is open to everyone
    help_fr="Les flux RSS/Atom suivis pour ce salon : ajouter, retirer, lister, tout publier.",
)
async def feeds(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """The RSS/Atom feeds this channel added: `/grok feeds add URL`, `remove URL`, `list`.

    The bot polls each feed on its own; new articles alert the channels that track what
    they mention. A new feed's existing items are indexed without alerts. A feed that
    keeps failing is paused with a notice here; adding it again resumes it.
    `follow URL` posts every new item of the feed here, whatever it mentions (what
    Slack's /feed and RSS bots do; the filters of `/grok settings` still apply);
    `unfollow URL` goes back to matches only.
    """
    if ctx.feeds is None:
        return Reply.error(t(req.lang, "feeds_unavailable"))
    action = req.args.get("action", "list")
    url = req.args.get("url", "").strip().strip("<>")
    if action == "list":
        listed = await ctx.feeds.feeds(req.where)
        if not listed:
            return Reply(text=t(req.lang, "feeds_none"))
        return Reply(
            text="",
            title=t(req.lang, "feeds_title", n=len(listed)),
            fields=[_feed_field(f, req.lang) for f in listed[:20]],
        )
    if not url:
        return Reply.error(t(req.lang, "feeds_need_url", action=action))
    if action == "unfollow":
        changed = await ctx.feeds.follow_feed(url, req.where, on=False)
        if changed is None:
            return Reply.error(t(req.lang, "feeds_not_found", url=url))
        return Reply(
            text=t(req.lang, "feeds_unfollowed" if changed else "feeds_not_following", url=url)
        )
    if action == "remove":
        if await ctx.feeds.remove_feed(url, req.where):
            logger.info("%s removed feed %s in %s", req.user, url, req.channel)
            return Reply(text=t(req.lang, "feeds_removed", url=url))
        return Reply.error(t(req.lang, "feeds_not_found", url=url))
    change = await ctx.feeds.add_feed(url, req.where, lang=req.lang)
    if not change.ok:
        return Reply.error(t(req.lang, "feeds_refused", url=url, error=defang(change.error)))
    logger.info("%s added feed %s in %s (%s)", req.user, url, req.channel, change.status)
    if action == "follow":
        changed = await ctx.feeds.follow_feed(url, req.where, on=True)
        if changed is None:  # not expected: the add above linked it
            return Reply.error(t(req.lang, "feeds_not_found", url=url))
        text = t(req.lang, "feeds_following" if changed else "feeds_already_following", url=url)
    else:
        key = {"added": "feeds_added", "resumed": "feeds_resumed"}.get(
            change.status, "feeds_exists"
        )
        text = t(req.lang, key, url=url, n=change.indexed)
    if change.error:
        text += " " + t(req.lang, "feeds_first_poll_failed", error=defang(change.error))
    if change.feed is not None and action == "follow":
        change.feed.every_item = True
    fields = [_feed_field(change.feed, req.lang)] if change.feed else []
    return Reply(text=text, fields=fields)
