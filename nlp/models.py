"""Plain data shared by the analyzer, the store and the handlers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EntityType = Literal[
    "person", "organisation", "product", "model", "place", "licence", "event", "other"
]
SalienceLevel = Literal["low", "medium", "high"]
SALIENCE_LEVELS: tuple[SalienceLevel, ...] = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class EntityInfo:
    """An entity the bot knows: from the catalog, or discovered in articles."""

    id: str  # lowercase slug, e.g. "elon-musk"
    name: str  # display name, e.g. "Elon Musk"
    type: str  # one of EntityType
    aliases: tuple[str, ...] = ()  # every name it may be written as, all languages
    description: str = ""
    source: Literal["catalog", "discovered"] = "catalog"


@dataclass(frozen=True, slots=True)
class Mention:
    """One place in a document where an entity was matched."""

    entity_id: str
    surface: str  # the words as written in the document
    start: int  # character offsets into the analysed text (title + "\n\n" + body)
    end: int
    sentence: str  # the sentence holding the mention, whitespace-normalised
    sent_index: int  # 0 is the title


@dataclass(slots=True)
class EntityResult:
    """One entity as it appears in one document."""

    id: str
    name: str
    type: str
    source: Literal["catalog", "discovered"]
    mentions: int
    salience: float  # 0..1
    level: SalienceLevel
    matched: list[str] = field(default_factory=list)  # distinct surfaces, first seen first
    snippet: str = ""  # the first sentence that mentions it
    positions: list[tuple[int, int]] = field(default_factory=list)  # (start, end) per mention

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["positions"] = [list(p) for p in self.positions]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EntityResult:
        data = dict(data)
        data["positions"] = [tuple(p) for p in data.get("positions", [])]
        return cls(**data)


@dataclass(slots=True)
class Analysis:
    """What the analyzer says about one document."""

    lang: str  # "fr", "en", "other" (a language we do not handle) or "und"
    title: str
    entities: list[EntityResult]
    sentences: list[str] = field(default_factory=list)
    words: int = 0

    def entity_ids(self) -> list[str]:
        return [e.id for e in self.entities]
