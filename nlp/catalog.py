"""The entity catalog: our own list of people, companies, models, licences and places.

The catalog is a YAML file (``nlp/data/catalog.yaml`` by default). Each entry names an entity,
the ways it is written, and the rules that keep ambiguous names (the *mistral* wind, *Nikola*
Tesla, *rayons* X) from raising false alerts. :class:`Catalog` loads and validates it, and
answers look-ups by name (:meth:`Catalog.resolve`) and did-you-mean suggestions
(:meth:`Catalog.suggest`). The matching itself lives in :mod:`nlp.matcher`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final, get_args

import yaml
from rapidfuzz import fuzz, process

from .models import EntityInfo, EntityType
from .text import alias_key, fold

logger = logging.getLogger(__name__)

__all__ = ["CASE_RULES", "AliasRule", "Catalog", "CatalogEntry", "CatalogError", "context_key"]

ENTITY_TYPES: Final[frozenset[str]] = frozenset(get_args(EntityType))
CASE_RULES: Final[frozenset[str]] = frozenset({"any", "cap", "exact", "not-upper"})
LANGS: Final[frozenset[str]] = frozenset({"any", "fr", "en"})
NUMBER_WORD: Final = "#num"

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ENTRY_KEYS = frozenset(
    {
        "id",
        "name",
        "type",
        "description",
        "aliases",
        "short",
        "anchors",
        "case",
        "versioned",
        "forbid_left",
        "forbid_right",
        "forbid_left_cap",
        "forbid_context",
        "guarded",
    }
)
_GUARD_KEYS = frozenset(
    {
        "text",
        "case",
        "lang",
        "context",
        "context_left",
        "forbid_left",
        "forbid_right",
        "forbid_left_cap",
        "forbid_context",
    }
)
_VERSION_TAIL = re.compile(r"(?:[\s-]+v?[\w.]*\d[\w.]*)+$", re.IGNORECASE)


def _punctuation_table() -> dict[int, str]:
    table = {ord(c): " " for c in '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~«»“”„‹›…–—·•‐‑'}
    table[ord("'")] = "' "
    return table


_PUNCTUATION = str.maketrans(_punctuation_table())


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the entry at fault."""


def context_key(phrase: str) -> str:
    """Normalise a context word, phrase or window of text for comparison.

    Lower-cased, accents removed, punctuation read as spaces, an apostrophe closing its word
    ("De l'IA-gen" -> "de l' ia gen"), runs of spaces collapsed. :mod:`nlp.matcher`
    normalises the text around a match the same way (all of it in C-level string methods).
    """
    return " ".join(fold(phrase).translate(_PUNCTUATION).split())


@dataclass(frozen=True, slots=True)
class AliasRule:
    """One way an entity is written, with the conditions under which a match counts."""

    entity_id: str
    text: str
    lang: str = "any"  # "any", "fr" or "en"
    case: str = "any"  # one of CASE_RULES
    short: bool = False  # only after the long form, or with an anchor entity in the document
    context: tuple[str, ...] = ()  # at least one must occur in the window (context_key form)
    forbid_left: frozenset[str] = frozenset()
    forbid_right: frozenset[str] = frozenset()
    forbid_left_cap: bool = False
    forbid_context: tuple[str, ...] = ()
    context_left: frozenset[str] = frozenset()  # a left neighbour that counts as context

    @property
    def guarded(self) -> bool:
        """Whether the match needs any check beyond the case rule."""
        return bool(
            self.short
            or self.context
            or self.forbid_left
            or self.forbid_right
            or self.forbid_left_cap
            or self.forbid_context
        )


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A catalog entity with its matching rules."""

    info: EntityInfo
    rules: tuple[AliasRule, ...]
    anchors: tuple[str, ...] = ()
    versioned: bool = False


@dataclass(slots=True)
class _Index:
    by_key: dict[str, str] = field(default_factory=dict)
    fuzzy_choices: dict[str, str] = field(default_factory=dict)  # folded name -> id


def _flatten(value: Any, where: str, what: str) -> list[str]:
    """Flatten nested lists of strings (YAML anchors make lists of lists)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(_flatten(item, where, what))
        return out
    raise CatalogError(f"{where}: {what} must be a string or a list of strings, got {value!r}")


def _words(value: Any, where: str, what: str) -> frozenset[str]:
    keys = {
        NUMBER_WORD if w == NUMBER_WORD else context_key(w) for w in _flatten(value, where, what)
    }
    keys.discard("")
    return frozenset(keys)


def _case(value: Any, where: str, default: str = "any") -> str:
    if value is None:
        return default
    if value not in CASE_RULES:
        raise CatalogError(
            f"{where}: unknown case rule {value!r} (expected one of {sorted(CASE_RULES)})"
        )
    return str(value)


def _parse_entry(raw: Any, position: int) -> CatalogEntry:
    where = f"catalog entry #{position}"
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where}: expected a mapping, got {type(raw).__name__}")
    ident = raw.get("id")
    if not isinstance(ident, str) or not _ID_RE.match(ident):
        raise CatalogError(f"{where}: 'id' must be a lowercase slug, got {ident!r}")
    where = f"catalog entry #{position} (id {ident!r})"
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {sorted(unknown)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CatalogError(f"{where}: 'name' is missing or empty")
    etype = raw.get("type")
    if etype not in ENTITY_TYPES:
        raise CatalogError(
            f"{where}: unknown type {etype!r} (expected one of {sorted(ENTITY_TYPES)})"
        )
    case = _case(raw.get("case"), where)
    left = _words(raw.get("forbid_left"), where, "forbid_left")
    right = _words(raw.get("forbid_right"), where, "forbid_right")
    left_cap = bool(raw.get("forbid_left_cap", False))
    forbid_ctx = tuple(sorted(_words(raw.get("forbid_context"), where, "forbid_context")))
    rules: list[AliasRule] = []

    aliases = raw.get("aliases") or {}
    if isinstance(aliases, list):
        aliases = {"any": aliases}
    if not isinstance(aliases, Mapping):
        raise CatalogError(f"{where}: 'aliases' must map a language (any/fr/en) to names")
    for lang, names in aliases.items():
        if lang not in LANGS:
            raise CatalogError(f"{where}: unknown alias language {lang!r} (expected any/fr/en)")
        for text in _flatten(names, where, f"aliases.{lang}"):
            rules.append(
                AliasRule(ident, text, lang, case, False, (), left, right, left_cap, forbid_ctx)
            )
    for text in _flatten(raw.get("short"), where, "short"):
        rules.append(
            AliasRule(ident, text, "any", case, True, (), left, right, left_cap, forbid_ctx)
        )
    guarded = raw.get("guarded") or []
    if not isinstance(guarded, list):
        raise CatalogError(f"{where}: 'guarded' must be a list")
    for g in guarded:
        if not isinstance(g, Mapping) or not isinstance(g.get("text"), str):
            raise CatalogError(f"{where}: each guarded alias needs a 'text'")
        bad = set(g) - _GUARD_KEYS
        if bad:
            raise CatalogError(
                f"{where}: guarded alias {g['text']!r}: unknown field(s) {sorted(bad)}"
            )
        lang = g.get("lang", "any")
        if lang not in LANGS:
            raise CatalogError(f"{where}: guarded alias {g['text']!r}: unknown language {lang!r}")
        gwhere = f"{where}, guarded alias {g['text']!r}"
        rules.append(
            AliasRule(
                ident,
                g["text"],
                lang,
                _case(g.get("case"), gwhere, case),
                False,
                tuple(sorted(_words(g.get("context"), gwhere, "context"))),
                left | _words(g.get("forbid_left"), gwhere, "forbid_left"),
                right | _words(g.get("forbid_right"), gwhere, "forbid_right"),
                left_cap or bool(g.get("forbid_left_cap", False)),
                tuple(
                    sorted(
                        set(forbid_ctx) | _words(g.get("forbid_context"), gwhere, "forbid_context")
                    )
                ),
                _words(g.get("context_left"), gwhere, "context_left"),
            )
        )
    if not rules:
        raise CatalogError(f"{where}: no aliases: give at least one name to match")
    for rule in rules:
        if not alias_key(rule.text):
            raise CatalogError(f"{where}: alias {rule.text!r} has no letters or digits")
    anchors = tuple(_flatten(raw.get("anchors"), where, "anchors"))
    if anchors and not any(r.short for r in rules):
        raise CatalogError(f"{where}: 'anchors' only make sense with 'short' forms")
    all_names: list[str] = []
    for text in [name, *(r.text for r in rules)]:
        if text not in all_names:
            all_names.append(text)
    info = EntityInfo(
        id=ident,
        name=name.strip(),
        type=str(etype),
        aliases=tuple(all_names),
        description=str(raw.get("description") or ""),
        source="catalog",
    )
    return CatalogEntry(info, tuple(rules), anchors, bool(raw.get("versioned", False)))


class Catalog:
    """A validated set of entities, looked up by id, by name, or fuzzily."""

    def __init__(self, entries: Iterable[CatalogEntry], *, origin: str = "<memory>") -> None:
        """Index ``entries``; raise :class:`CatalogError` on duplicate ids or shared aliases."""
        self.origin = origin
        self._entries: dict[str, CatalogEntry] = {}
        self._index = _Index()
        claimed: dict[str, tuple[str, str]] = {}  # alias key -> (entity id, alias text)
        for position, entry in enumerate(entries, 1):
            ident = entry.info.id
            if ident in self._entries:
                raise CatalogError(
                    f"catalog entry #{position} (id {ident!r}): duplicate id, already defined "
                    f"by an earlier entry"
                )
            self._entries[ident] = entry
            for text in entry.info.aliases:
                key = alias_key(text)
                owner = claimed.get(key)
                if owner is not None and owner[0] != ident:
                    raise CatalogError(
                        f"catalog entry #{position} (id {ident!r}): alias {text!r} is already "
                        f"claimed by {owner[0]!r} (as {owner[1]!r})"
                    )
                claimed[key] = (ident, text)
                self._index.fuzzy_choices[fold(text)] = ident
        for ident, entry in self._entries.items():
            for anchor in entry.anchors:
                if anchor not in self._entries:
                    raise CatalogError(
                        f"catalog entry {ident!r}: anchor {anchor!r} is not a catalog id"
                    )
        self._index.by_key = {k: v[0] for k, v in claimed.items()}
        for ident in self._entries:
            self._index.by_key.setdefault(alias_key(ident), ident)
            self._index.fuzzy_choices.setdefault(fold(ident.replace("-", " ")), ident)
        logger.debug("catalog %s: %d entities", origin, len(self._entries))

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, *, origin: str = "<dict>") -> Catalog:
        """Build a catalog from parsed YAML (a mapping with an ``entities`` list)."""
        raw_entries = data.get("entities") if isinstance(data, Mapping) else data
        if not isinstance(raw_entries, list):
            raise CatalogError(f"{origin}: expected an 'entities' list at the top level")
        entries = [_parse_entry(raw, i) for i, raw in enumerate(raw_entries, 1)]
        return cls(entries, origin=origin)

    @classmethod
    def load(cls, path: Path | None = None) -> Catalog:
        """Load a catalog file; without ``path``, the catalog packaged with grokwatch."""
        if path is None:
            resource = resources.files(__package__ or "nlp").joinpath("data", "catalog.yaml")
            text = resource.read_text(encoding="utf-8")
            origin = "nlp/data/catalog.yaml"
        else:
            text = Path(path).read_text(encoding="utf-8")
            origin = str(path)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise CatalogError(f"{origin}: not valid YAML: {exc}") from exc
        try:
            return cls.from_dict(data, origin=origin)
        except CatalogError as exc:
            raise CatalogError(f"{origin}: {exc}") from exc

    # --- look-ups -------------------------------------------------------------------------
    def get(self, ident: str) -> EntityInfo | None:
        """The entity with this id, or ``None``."""
        entry = self._entries.get(ident)
        return entry.info if entry else None

    def entry(self, ident: str) -> CatalogEntry | None:
        """The entity with this id together with its matching rules, or ``None``."""
        return self._entries.get(ident)

    def entries(self) -> list[CatalogEntry]:
        """Every entry, in catalog order."""
        return list(self._entries.values())

    def ids(self) -> list[str]:
        """Every id, in catalog order."""
        return list(self._entries)

    def resolve(self, name: str) -> EntityInfo | None:
        """The entity a name refers to, or ``None``.

        Any name, alias, short form or id matches, in any case, with or without accents,
        hyphens, spaces or dots, with a French elided article ("d'OpenAI") or an English
        possessive ("OpenAI's"). A version suffix is accepted on versioned entities
        ("Grok-1.5" -> grok), but only when the versioned name is not itself an entity
        ("GPT-4o" stays gpt-4o).
        """
        key = alias_key(name)
        if not key:
            return None
        ident = self._index.by_key.get(key)
        if ident is not None:
            return self._entries[ident].info
        base = _VERSION_TAIL.sub("", name.strip())
        if base and base != name.strip():
            ident = self._index.by_key.get(alias_key(base))
            if ident is not None and self._entries[ident].versioned:
                return self._entries[ident].info
        return None

    def suggest(
        self, name: str, limit: int = 3, *, score_cutoff: float = 60.0
    ) -> list[tuple[EntityInfo, float]]:
        """The entities whose names look most like ``name``, best first (did-you-mean).

        Scores are rapidfuzz ``WRatio`` scores, 0..100, over every name and alias (the best
        alias counts for each entity); entities scoring below ``score_cutoff`` are left out.
        """
        query = fold(name.strip())
        if not query or limit <= 0:
            return []
        found = process.extract(
            query,
            list(self._index.fuzzy_choices),
            scorer=fuzz.WRatio,
            limit=limit * 8,
            score_cutoff=score_cutoff,
        )
        best: dict[str, float] = {}
        for choice, score, _ in found:
            ident = self._index.fuzzy_choices[choice]
            if score > best.get(ident, -1.0):
                best[ident] = float(score)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [(self._entries[i].info, round(s, 1)) for i, s in ranked]

    # --- container protocol ----------------------------------------------------------------
    def __iter__(self) -> Iterator[EntityInfo]:
        return (e.info for e in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, ident: object) -> bool:
        return ident in self._entries

    def __repr__(self) -> str:
        return f"Catalog({self.origin!r}, {len(self)} entities)"
