"""Reading the store: /grok mentions, /grok search, /grok sources, /grok ingest."""

from __future__ import annotations

import logging

from handlers.context import CommandRequest, HandlerContext
from handlers.entities import ENTITY, resolve_entity
from handlers.format import citation, clip, day, outlet, quote
from handlers.registry import Param, command
from handlers.reply import Field, Reply, defang
from handlers.texts import t

logger = logging.getLogger(__name__)


@command(
    "mentions",
    ENTITY,
    help_fr="Les articles récents qui citent une entité, avec la phrase qui la cite.",
)
async def mentions(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """The latest articles that mention an entity, with the sentence that mentions it."""
    res = await resolve_entity(ctx, req.args["entity"], req.lang)
    if res.entity is None:
        return Reply.error(res.error)
    ent = res.entity
    total, articles = await ctx.store.index.mentioning(ent.id, limit=ctx.max_results)
    if not total:
        return Reply(text=t(req.lang, "mentions_none", name=ent.name))
    fields = []
    citations = []
    for n, art in enumerate(articles, start=1):
        hit = art.entity(ent.id)
        snippet = quote(hit.snippet) if hit and hit.snippet else quote(art.title)
        how = ""
        if hit:
            words = ", ".join(f"“{quote(w, 60)}”" for w in hit.matched[:3])
            how = f"\n{hit.mentions}× · {hit.level} · {words}"
        fields.append(
            Field(
                f"[{n}] {clip(art.title, 200)}",
                f"{outlet(art, req.lang)} · {day(art.published_at, req.lang)}\n> {snippet}{how}",
            )
        )
        citations.append(citation(n, art))
    return Reply(
        text="",
        title=t(req.lang, "mentions_title", name=ent.name, total=total),
        fields=fields,
        citations=citations,
    )


@command(
    "search",
    Param(
        "query",
        "words to look for, e.g. licence Apache",
        rest=True,
        description_fr="des mots à chercher, p. ex. licence Apache",
    ),
    help_fr="Chercher des mots dans les articles stockés.",
)
async def search(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """Search the stored articles for words (any language, accents and case ignored)."""
    query = req.args["query"]
    hits = await ctx.store.index.search([query], limit=ctx.max_results)
    if not hits:
        return Reply(text=t(req.lang, "search_none", query=clip(query, 100)))
    fields = []
    citations = []
    for n, hit in enumerate(hits, start=1):
        art = hit.article
        fields.append(
            Field(
                f"[{n}] {clip(art.title, 200)}",
                f"{outlet(art, req.lang)} · {day(art.published_at, req.lang)}\n"
                f"> {quote(hit.snippet)}",
            )
        )
        citations.append(citation(n, art))
    return Reply(
        text="",
        title=t(req.lang, "search_title", query=clip(query, 100)),
        fields=fields,
        citations=citations,
    )


@command("sources", help_fr="Les médias des articles stockés, avec leur nombre d'articles.")
async def sources(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """The outlets of the stored articles, with how many articles each."""
    stats = await ctx.store.index.sources()
    total = await ctx.store.articles.count()
    if not total:
        return Reply(text=t(req.lang, "sources_none"))
    lines = [f"- **{s.name}**: {s.articles} · latest {day(s.latest, req.lang)}" for s in stats]
    unknown = total - sum(s.articles for s in stats)
    if unknown > 0:
        lines.append(f"- _{t(req.lang, 'unknown_outlet')}_: {unknown}")
    return Reply(
        text="\n".join(lines),
        title=t(req.lang, "sources_title", n=len(stats), total=total),
    )


@command(
    "ingest",
    Param(
        "path",
        "a page or feed URL, or a file or folder in the bot's ingest folder",
        kind="path",
        rest=True,
        description_fr="l'adresse d'une page ou d'un flux, ou un fichier ou un dossier du dossier d'ingestion du bot",
    ),
    manage=True,
    help_fr="Ingérer un fichier, un dossier, une page web ou un flux.",
)
async def ingest(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """Ingest the article of a web page or the items of a feed by URL (fetched safely), or
    a file or folder of articles (.txt, .md, .html, .json, .jsonl) inside the bot's ingest
    folder (GROKWATCH_INGEST_DIR; no other path of the bot's machine is read from Discord
    or Slack).

    Alerts for the new articles go to every channel that tracks what they mention.
    """
    if ctx.ingest is None:
        return Reply.error(t(req.lang, "ingest_unavailable"))
    path = req.args["path"].strip().strip("<>")  # Slack wraps links in <>
    if req.channel.platform == "console":
        # the console is the bot's own terminal (`grokwatch demo`, `say`): its user is on
        # the bot's machine already, as with `grokwatch ingest`, so any path is read
        outcomes = await ctx.ingest.ingest_paths([path], wait=True, owner=req.tenant)
    else:  # the articles belong to this guild/workspace: no other one sees them
        outcomes = await ctx.ingest.ingest_from_chat(path, wait=True, owner=req.tenant)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("new", "duplicate", "rejected")}
    alerts = sum(len(o.alerts) for o in outcomes)
    text = t(
        req.lang,
        "ingest_summary",
        new=counts["new"],
        dup=counts["duplicate"],
        rej=counts["rejected"],
        alerts=alerts,
    )
    lines = []
    for o in outcomes[:15]:
        label = clip(o.title or o.path or o.url or "?", 90)
        extra = f": {o.reason}" if o.reason else ""
        lines.append(f"- `{o.status}` {label}{extra}")
    if len(outcomes) > 15:
        lines.append(f"- … {len(outcomes) - 15} more")
    return Reply(
        text=text + ("\n" + "\n".join(lines) if lines else ""),
        title=t(req.lang, "ingest_title", path=defang(clip(path, 80))),
        kind="error" if outcomes and counts["rejected"] == len(outcomes) else "info",
    )
