"""Turning what a user typed into an entity: the catalog first, then discovered names."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from handlers.context import HandlerContext
from handlers.model import EntityInfo
from handlers.registry import Param
from handlers.texts import t
from nlp.text import fold

# the entity argument of track, untrack, mentions (and later who, quotes, trend)
ENTITY = Param(
    "entity",
    "a person, company or product, e.g. Elon Musk",
    kind="entity",
    rest=True,
    description_fr="une personne, une entreprise ou un produit, p. ex. Elon Musk",
)

SUGGEST_MIN = 0.75  # below this a "did you mean" is noise ("Qwxzz" → "X")


@dataclass(slots=True, frozen=True)
class Resolution:
    entity: EntityInfo | None
    error: str = ""
    exact: bool = True  # False when the user typed an alias or another spelling


def _key(name: str) -> str:
    return " ".join(fold(name).replace("-", " ").split())


def _closeness(wanted: str, entity: EntityInfo) -> float:
    """0..1: how close what the user typed is to the entity's name or one of its aliases."""
    names = [entity.name, *entity.aliases]
    return max(fuzz.token_sort_ratio(wanted, _key(n)) for n in names) / 100.0


async def resolve_entity(ctx: HandlerContext, name: str, lang: str = "en") -> Resolution:
    """Resolve a name or alias, any case or accents; suggest close names when unknown."""
    name = name.strip()
    found = ctx.catalog.get(name.casefold()) or ctx.catalog.resolve(name)
    if found is not None:
        return Resolution(found, exact=_key(found.name) == _key(name))
    wanted = _key(name)
    discovered = await ctx.store.articles.discovered_entities()
    for ent in discovered:
        if ent.id == name.casefold() or wanted in {_key(ent.name), *map(_key, ent.aliases)}:
            return Resolution(ent, exact=_key(ent.name) == wanted)
    # The catalog proposes candidates; each is scored here on whole names (not partial
    # matches), so a one-letter alias such as "X" never looks like a near-miss.
    suggestions: list[tuple[str, float]] = [
        (e.name, _closeness(wanted, e)) for e, _ in ctx.catalog.suggest(name, limit=5)
    ]
    names = {_key(e.name): e.name for e in discovered}
    for match, score, _ in process.extract(
        wanted, list(names), scorer=fuzz.token_sort_ratio, limit=3
    ):
        suggestions.append((names[match], score / 100.0))
    suggestions.sort(key=lambda x: -x[1])
    top = suggestions[0][1] if suggestions else 0.0
    alts = list(
        dict.fromkeys(n for n, score in suggestions if score >= SUGGEST_MIN and score >= top - 0.15)
    )[:3]
    hint = (
        t(lang, "did_you_mean", alts=", ".join(f"**{a}**" for a in alts))
        if alts
        else t(lang, "no_suggestion")
    )
    return Resolution(None, error=t(lang, "unknown_entity", name=name, hint=hint))


def entity_name(ctx: HandlerContext, entity_id: str) -> str:
    info = ctx.catalog.get(entity_id)
    return info.name if info else entity_id


async def complete_entity(ctx: HandlerContext, prefix: str, limit: int = 25) -> list[EntityInfo]:
    """Entities for autocomplete: names or aliases starting with what was typed first, then
    close spellings; catalog and discovered entities alike."""
    typed = _key(prefix)
    pool = list(ctx.catalog) + await ctx.store.articles.discovered_entities()
    if not typed:
        return sorted(ctx.catalog, key=lambda e: e.name.casefold())[:limit]
    starts: list[EntityInfo] = []
    contains: list[EntityInfo] = []
    for ent in pool:
        keys = [_key(ent.name), *map(_key, ent.aliases)]
        if any(k.startswith(typed) for k in keys):
            starts.append(ent)
        elif len(typed) >= 3 and any(typed in k for k in keys):
            contains.append(ent)
    found = sorted(starts, key=lambda e: (e.source != "catalog", len(e.name))) + contains
    if len(found) < limit and len(typed) >= 3:
        names = {_key(e.name): e for e in pool}
        for match, _, _ in process.extract(
            typed, list(names), scorer=fuzz.WRatio, limit=limit, score_cutoff=75
        ):
            found.append(names[match])
    return list({e.id: e for e in found}.values())[:limit]
