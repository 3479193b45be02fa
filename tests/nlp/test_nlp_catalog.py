"""The entity catalog: packaged data, look-ups, suggestions, validation errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nlp.catalog import Catalog, CatalogError

FIXED_IDS = [
    "elon-musk",
    "xai",
    "grok",
    "openai",
    "sam-altman",
    "meta",
    "llama",
    "google",
    "gemma",
    "mistral-ai",
    "microsoft",
    "tesla",
    "spacex",
    "x-twitter",
    "anthropic",
    "gpt-4",
    "chatgpt",
    "groq",
    "satya-nadella",
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_packaged_catalog_has_the_fixed_ids_and_enough_entities(catalog: Catalog) -> None:
    assert len(catalog) >= 45
    for ident in FIXED_IDS:
        assert ident in catalog.ids(), ident
    for ident in (
        "greg-brockman",
        "jonathan-ross",
        "andreessen-horowitz",
        "apache-2-0",
        "gpt-4o",
        "california",
        "paris",
        "hugging-face",
    ):
        assert catalog.get(ident) is not None, ident


def test_types_are_known_and_ids_are_slugs(catalog: Catalog) -> None:
    types = {"person", "organisation", "product", "model", "place", "licence", "event", "other"}
    for info in catalog:
        assert info.type in types
        assert info.id == info.id.lower() and " " not in info.id
        assert info.source == "catalog"
        assert info.name in info.aliases
    assert catalog.get("apache-2-0").type == "licence"  # type: ignore[union-attr]
    assert catalog.get("paris").type == "place"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("OpenAI", "openai"),
        ("openai", "openai"),
        ("d'OpenAI", "openai"),
        ("d’OpenAI", "openai"),
        ("OpenAI's", "openai"),
        ("Open AI", "openai"),
        ("Open-AI", "openai"),
        ("x.AI", "xai"),
        ("X.ai", "xai"),
        ("Space X", "spacex"),
        ("spacex", "spacex"),
        ("Elon Musk", "elon-musk"),
        ("elon-musk", "elon-musk"),
        ("MUSK", "elon-musk"),
        ("qu'Elon Musk", "elon-musk"),
        ("Californie", "california"),
        ("californie", "california"),
        ("Grok-1", "grok"),
        ("Grok 1.5", "grok"),
        ("Llama 2", "llama"),
        ("GPT-4", "gpt-4"),
        ("GPT-4o", "gpt-4o"),
        ("gpt 4o", "gpt-4o"),
        ("Groq", "groq"),
        ("Twitter", "x-twitter"),
        ("Hugging-Face", "hugging-face"),
    ],
)
def test_resolve_tolerates_spelling_variants(catalog: Catalog, name: str, expected: str) -> None:
    found = catalog.resolve(name)
    assert found is not None, name
    assert found.id == expected


def test_resolve_unknown_names(catalog: Catalog) -> None:
    assert catalog.resolve("Vivatech") is None
    assert catalog.resolve("") is None
    assert catalog.resolve("'") is None
    # a version suffix only applies to versioned entities
    assert catalog.resolve("Tesla 3") is None


def test_suggest_did_you_mean(catalog: Catalog) -> None:
    best, score = catalog.suggest("Elon Muks")[0]
    assert best.id == "elon-musk" and 0 < score <= 100
    assert catalog.suggest("antropic")[0][0].id == "anthropic"
    assert catalog.suggest("Grock")[0][0].id in {"grok", "groq"}
    assert len(catalog.suggest("Tesla", limit=2)) <= 2
    assert catalog.suggest("zzzzqqq") == []
    ids = [e.id for e, _ in catalog.suggest("mistral")]
    assert ids[0] == "mistral-ai" and len(set(ids)) == len(ids)


def _entry(ident: str, name: str, etype: str = "organisation", **extra: Any) -> dict[str, Any]:
    return {"id": ident, "name": name, "type": etype, "aliases": {"any": [name]}, **extra}


def test_duplicate_id_is_rejected_with_the_entry_named() -> None:
    data = {"entities": [_entry("acme", "Acme"), _entry("acme", "Acme Corp")]}
    with pytest.raises(CatalogError, match=r"#2 \(id 'acme'\).*duplicate id"):
        Catalog.from_dict(data)


def test_alias_claimed_by_two_entities_is_rejected() -> None:
    data = {
        "entities": [
            _entry("acme", "Acme"),
            _entry("acme-labs", "Acme Labs", aliases={"any": ["ACME"]}),
        ]
    }
    with pytest.raises(CatalogError, match=r"'acme-labs'.*'ACME'.*already claimed by 'acme'"):
        Catalog.from_dict(data)


def test_unknown_type_is_rejected() -> None:
    with pytest.raises(CatalogError, match=r"#1 \(id 'acme'\): unknown type 'company'"):
        Catalog.from_dict({"entities": [_entry("acme", "Acme", "company")]})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (_entry("Acme Inc", "Acme"), "lowercase slug"),
        (_entry("acme", "Acme", forbid_rigth=["x"]), r"unknown field\(s\) \['forbid_rigth'\]"),
        (_entry("acme", "Acme", case="title"), "unknown case rule 'title'"),
        (_entry("acme", "Acme", aliases={"de": ["Acme"]}), "unknown alias language 'de'"),
        (_entry("acme", "Acme", short=["Ac"], anchors=["nobody"]), "anchor 'nobody'"),
        (_entry("acme", "Acme", anchors=["acme"]), "only make sense with 'short'"),
        ({"id": "acme", "name": "", "type": "organisation"}, "'name' is missing"),
        ({"id": "acme", "name": "Acme", "type": "organisation"}, "no aliases"),
        (
            _entry("acme", "Acme", guarded=[{"text": "A", "contexte": ["x"]}]),
            r"guarded alias 'A': unknown field",
        ),
        # YAML reads a bare `on` as a boolean: the error says so instead of matching "True"
        (_entry("acme", "Acme", forbid_left=[True]), "must be a string"),
    ],
)
def test_other_validation_errors(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        Catalog.from_dict({"entities": [raw]})


def test_load_a_catalog_file_and_report_its_path(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "entities:\n"
        "  - id: acme\n    name: Acme\n    type: organisation\n"
        "    aliases: {any: [Acme, Acme Corp]}\n",
        encoding="utf-8",
    )
    catalog = Catalog.load(good)
    assert catalog.ids() == ["acme"] and catalog.resolve("acme corp") is not None
    bad = tmp_path / "bad.yaml"
    bad.write_text("entities:\n  - id: acme\n    name: Acme\n    type: gadget\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"bad\.yaml: catalog entry #1 \(id 'acme'\)"):
        Catalog.load(bad)
    broken = tmp_path / "broken.yaml"
    broken.write_text("entities: [\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid YAML"):
        Catalog.load(broken)


def test_container_protocol(catalog: Catalog) -> None:
    assert len(list(catalog)) == len(catalog) == len(catalog.ids())
    assert "grok" in catalog and "nobody" not in catalog
    assert catalog.get("nobody") is None
    entry = catalog.entry("x-twitter")
    assert entry is not None and any(r.context for r in entry.rules)
