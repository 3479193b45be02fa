"""Tests of nlp.neardup: shingles, MinHash signatures and the LSH banding index."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest

from nlp.neardup import EMPTY_SLOT, LSHIndex, MinHasher, jaccard, normalize_words, shingles

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"

# Our own article, four paragraphs, for rewrite tests.
ARTICLE = [
    "La jeune société lyonnaise Oréade a annoncé mardi qu'elle publierait le code complet de "
    "son assistant vocal, un programme capable de répondre aux questions des agriculteurs sur "
    "la météo, les semis et le prix des céréales sur les marchés régionaux.",
    "Jusqu'ici, l'outil n'était accessible qu'aux coopératives abonnées, qui payaient une "
    "redevance annuelle pour l'installer dans leurs entrepôts et leurs bureaux de conseil. "
    "La direction explique que ce modèle freinait la diffusion de l'assistant dans les petites "
    "exploitations.",
    "Le code sera déposé sur une plateforme publique sous une licence permissive, avec les "
    "poids du modèle et une documentation détaillée. Les données d'entraînement, elles, "
    "resteront privées, car elles contiennent des relevés fournis par des fermes partenaires.",
    "Plusieurs chercheurs saluent un geste rare dans le secteur agricole, tout en rappelant "
    "qu'un modèle ouvert demande des machines puissantes et des équipes formées pour être "
    "adapté aux besoins de chaque région.",
]
ORIGINAL = "\n\n".join(ARTICLE)


def rewrite(paragraphs: list[str]) -> str:
    """A syndicated copy: a byline, one word in forty changed, two paragraphs swapped."""
    edited = []
    for paragraph in paragraphs:
        words = paragraph.split(" ")
        edited.append(" ".join("modifié" if i % 40 == 39 else w for i, w in enumerate(words)))
    edited[1], edited[2] = edited[2], edited[1]
    return "Par Claire Fontaine, avec agences – publié le 12 mars\n\n" + "\n\n".join(edited)


UNRELATED = (
    "Le festival de musique de la vallée ouvre ses portes vendredi soir avec une affiche "
    "consacrée aux fanfares de village, aux chorales d'enfants et aux orchestres de chambre "
    "venus de toute l'Europe pour trois jours de concerts gratuits en plein air."
)


# --------------------------------------------------------------------------------------
# Shingles and Jaccard
# --------------------------------------------------------------------------------------


def test_normalisation_ignores_case_accents_and_punctuation() -> None:
    assert normalize_words("L\u2019IA « Open-Source » d\u2019Élodie !") == [
        "l",
        "ia",
        "open",
        "source",
        "d",
        "elodie",
    ]
    assert shingles("Élodie a publié LE code, enfin !") == shingles("elodie a publie le code enfin")


def test_shingle_count_and_k() -> None:
    text = "un deux trois quatre cinq six sept"
    assert len(shingles(text)) == 3
    assert len(shingles(text, k=3)) == 5
    assert len(shingles("trop court", k=5)) == 1  # fewer words than k: one shingle
    assert shingles("  ... !! ") == set()
    assert all(0 <= h < 2**64 for h in shingles(ORIGINAL))
    with pytest.raises(ValueError):
        shingles(text, k=0)


def test_jaccard() -> None:
    assert jaccard({1, 2, 3}, {2, 3, 4}) == 0.5
    assert jaccard({1}, {1}) == 1.0
    assert jaccard(set(), set()) == 0.0
    assert jaccard({1}, set()) == 0.0


# --------------------------------------------------------------------------------------
# MinHash
# --------------------------------------------------------------------------------------


def test_signature_shape_and_range() -> None:
    sig = MinHasher(num_perm=64).signature(ORIGINAL)
    assert len(sig) == 64
    assert all(isinstance(v, int) and 0 <= v < EMPTY_SLOT for v in sig)
    assert MinHasher(num_perm=64).signature("") == [EMPTY_SLOT] * 64


def test_seed_changes_the_signature() -> None:
    assert MinHasher(seed=1).signature(ORIGINAL) != MinHasher(seed=2).signature(ORIGINAL)
    assert MinHasher(seed=1).signature(ORIGINAL) == MinHasher(seed=1).signature(ORIGINAL)


def test_similarity_estimates_jaccard() -> None:
    hasher = MinHasher(num_perm=256)
    a, b = shingles(ORIGINAL), shingles(rewrite(ARTICLE))
    estimate = MinHasher.similarity(hasher.signature_of(a), hasher.signature_of(b))
    assert abs(estimate - jaccard(a, b)) < 0.12


def test_lightly_rewritten_copy_is_similar() -> None:
    hasher = MinHasher()
    similarity = MinHasher.similarity(
        hasher.signature(ORIGINAL), hasher.signature(rewrite(ARTICLE))
    )
    assert similarity >= 0.6
    assert MinHasher.similarity(hasher.signature(ORIGINAL), hasher.signature(UNRELATED)) < 0.1


def test_similarity_edge_cases() -> None:
    assert MinHasher.similarity([], []) == 0.0
    assert MinHasher.similarity([EMPTY_SLOT] * 4, [EMPTY_SLOT] * 4) == 0.0
    with pytest.raises(ValueError):
        MinHasher.similarity([1, 2], [1])


def test_signatures_are_stable_across_processes() -> None:
    code = (
        "import json, sys\n"
        "from nlp.neardup import MinHasher, LSHIndex, shingles\n"
        "text = sys.stdin.read()\n"
        "sig = MinHasher().signature(text)\n"
        "print(json.dumps({'sig': sig, 'bands': LSHIndex().band_keys(sig),"
        " 'shingles': sorted(shingles(text))}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=ORIGINAL,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
        check=True,
    )
    other = json.loads(result.stdout)
    sig = MinHasher().signature(ORIGINAL)
    assert other["sig"] == sig
    assert other["bands"] == LSHIndex().band_keys(sig)
    assert other["shingles"] == sorted(shingles(ORIGINAL))


# --------------------------------------------------------------------------------------
# LSH index
# --------------------------------------------------------------------------------------


def test_lsh_finds_the_rewrite_and_not_the_unrelated() -> None:
    hasher = MinHasher()
    index = LSHIndex()
    index.add("original", hasher.signature(ORIGINAL))
    index.add("festival", hasher.signature(UNRELATED))
    assert len(index) == 2 and "original" in index
    assert index.candidates(hasher.signature(rewrite(ARTICLE))) == {"original"}


def test_band_keys() -> None:
    index = LSHIndex(num_perm=128, bands=32)
    sig = MinHasher().signature(ORIGINAL)
    keys = index.band_keys(sig)
    assert len(keys) == 32 and len(set(keys)) == 32
    assert keys[0].startswith("0:") and keys[31].startswith("31:")
    changed = list(sig)
    changed[5] += 1  # slot 5 is in band 1 (4 rows a band)
    assert [
        i for i, (x, y) in enumerate(zip(keys, index.band_keys(changed), strict=True)) if x != y
    ] == [1]
    assert index.band_keys([EMPTY_SLOT] * 128) == []
    with pytest.raises(ValueError):
        index.band_keys(sig[:64])
    with pytest.raises(ValueError):
        LSHIndex(num_perm=128, bands=30)


def test_add_replaces_and_remove_forgets() -> None:
    hasher = MinHasher()
    index = LSHIndex()
    index.add("doc", hasher.signature(ORIGINAL))
    index.add("doc", hasher.signature(UNRELATED))
    assert index.candidates(hasher.signature(ORIGINAL)) == set()
    assert index.candidates(hasher.signature(UNRELATED)) == {"doc"}
    index.remove("doc")
    index.remove("never-added")
    assert len(index) == 0
    assert index.candidates(hasher.signature(UNRELATED)) == set()


# --------------------------------------------------------------------------------------
# The real seed articles (read from ../shared/seeds; skipped when absent)
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    paths = sorted(SEEDS.glob("*.txt"))
    if len(paths) < 2:
        pytest.skip(f"seed articles not found in {SEEDS}")
    return {p.name: p.read_text(encoding="utf-8") for p in paths}


def test_seeds_are_not_near_duplicates(seeds: dict[str, str]) -> None:
    hasher = MinHasher()
    signatures = {name: hasher.signature(text) for name, text in seeds.items()}
    for a, b in combinations(seeds, 2):
        assert jaccard(shingles(seeds[a]), shingles(seeds[b])) < 0.01, (a, b)
        assert MinHasher.similarity(signatures[a], signatures[b]) < 0.1, (a, b)
    index = LSHIndex()
    for name, sig in signatures.items():
        index.add(name, sig)
    for name, sig in signatures.items():
        assert index.candidates(sig) == {name}


def test_a_rewritten_seed_is_found(seeds: dict[str, str]) -> None:
    name, text = max(seeds.items(), key=lambda item: len(item[1]))
    paragraphs = [p for p in text.split("\n") if p.strip()]
    copy = rewrite(paragraphs)
    hasher = MinHasher()
    index = LSHIndex()
    for other, other_text in seeds.items():
        index.add(other, hasher.signature(other_text))
    assert index.candidates(hasher.signature(copy)) == {name}
    assert MinHasher.similarity(hasher.signature(text), hasher.signature(copy)) >= 0.6
