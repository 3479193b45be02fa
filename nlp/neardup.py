"""Near-duplicate detection: word shingles, MinHash signatures and an LSH banding index.

Syndicated copies and light rewrites of one article share most of their five-word runs;
different articles about the same event share almost none (the five French seeds of the
Grok story have pairwise 5-shingle Jaccard under 0.01). So:

* :func:`shingles` turns a text into the set of its hashed word k-shingles, over a
  normalised form (folded by :func:`nlp.text.fold`, punctuation dropped) so that typography
  does not matter;
* :class:`MinHasher` compresses a shingle set into a fixed-size signature whose agreement
  rate estimates the Jaccard similarity of two sets;
* :class:`LSHIndex` cuts signatures into bands and buckets them, so the candidates for a
  new article are found without comparing it to every stored one. With 128 permutations
  in 32 bands of 4 rows, a pair at Jaccard 0.6 becomes a candidate with probability
  ~0.98, one at 0.2 with ~0.05.

Every hash is derived from :func:`hashlib.blake2b`, never :func:`hash`, so shingles,
signatures and band keys are the same in every process and across restarts, and can be
stored (the band keys are meant to become Redis set names).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from .text import fold

__all__ = ["EMPTY_SLOT", "LSHIndex", "MinHasher", "jaccard", "normalize_words", "shingles"]

logger = logging.getLogger(__name__)

EMPTY_SLOT: Final = (1 << 64) - 1
"""The value of every slot of the signature of a text without words."""

_GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)
_MIX1: Final = np.uint64(0xBF58476D1CE4E5B9)
_MIX2: Final = np.uint64(0x94D049BB133111EB)
_SHIFTS: Final = (np.uint64(30), np.uint64(27), np.uint64(31))
_NON_WORD: Final = re.compile(r"[^0-9a-z]+")


def normalize_words(text: str) -> list[str]:
    """The words of ``text`` folded (:func:`nlp.text.fold`), punctuation dropped.

    "L’IA « open source » d’Elon" -> ["l", "ia", "open", "source", "d", "elon"].
    """
    return _NON_WORD.sub(" ", fold(text)).split()


def _hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def shingles(text: str, k: int = 5) -> set[int]:
    """The word ``k``-shingles of ``text``, each hashed to a 64-bit integer.

    A text of fewer than ``k`` words (but at least one) gives one shingle of all its words;
    a text without words gives the empty set.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    words = normalize_words(text)
    if not words:
        return set()
    if len(words) < k:
        return {_hash64(" ".join(words).encode())}
    return {_hash64(" ".join(words[i : i + k]).encode()) for i in range(len(words) - k + 1)}


def jaccard(a: set[int], b: set[int]) -> float:
    """``|a ∩ b| / |a ∪ b|``; 0.0 when both sets are empty (two empty texts share nothing)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


class MinHasher:
    """MinHash signatures of texts' shingle sets.

    Slot ``i`` holds the minimum, over the shingles ``x``, of ``mix(x XOR s_i)``, where ``mix``
    is the splitmix64 finaliser (a bijection of 64-bit integers with strong avalanche) and
    ``s_i`` comes from blake2b of ``(seed, i)``. The same ``num_perm`` and ``seed`` give the
    same signatures in every process; the arithmetic is numpy's wrapping uint64, on arrays.
    """

    def __init__(self, num_perm: int = 128, seed: int = 1, k: int = 5) -> None:
        if num_perm < 1:
            raise ValueError(f"num_perm must be at least 1, not {num_perm}")
        self.num_perm = num_perm
        self.seed = seed
        self.k = k
        self._salts: npt.NDArray[np.uint64] = np.array(
            [_hash64(f"grokwatch-minhash:{seed}:{i}".encode()) for i in range(num_perm)],
            dtype=np.uint64,
        )

    def signature_of(self, shingle_set: set[int]) -> list[int]:
        """The signature of a set of shingles (as made by :func:`shingles`)."""
        if not shingle_set:
            return [EMPTY_SLOT] * self.num_perm
        values = np.fromiter(shingle_set, dtype=np.uint64, count=len(shingle_set))
        z = (values[:, np.newaxis] ^ self._salts[np.newaxis, :]) + _GOLDEN
        z = (z ^ (z >> _SHIFTS[0])) * _MIX1
        z = (z ^ (z >> _SHIFTS[1])) * _MIX2
        z = z ^ (z >> _SHIFTS[2])
        return [int(v) for v in z.min(axis=0)]

    def signature(self, text: str) -> list[int]:
        """The signature of ``text``'s word shingles (``num_perm`` 64-bit integers)."""
        return self.signature_of(shingles(text, self.k))

    @staticmethod
    def similarity(a: Sequence[int], b: Sequence[int]) -> float:
        """The share of slots where two signatures agree: an estimate of their Jaccard.

        Slots where both signatures are empty do not count as agreement, so two empty texts
        have similarity 0.0, as with :func:`jaccard`.
        """
        if len(a) != len(b):
            raise ValueError(f"signatures differ in length ({len(a)} and {len(b)})")
        if not a:
            return 0.0
        same = sum(1 for x, y in zip(a, b, strict=True) if x == y and x != EMPTY_SLOT)
        return same / len(a)


class LSHIndex:
    """An in-memory locality-sensitive hashing index over MinHash signatures.

    A signature is cut into ``bands`` bands of ``num_perm // bands`` rows; two signatures
    become candidates when they agree on every row of at least one band.
    """

    def __init__(self, num_perm: int = 128, bands: int = 32) -> None:
        if bands < 1 or num_perm % bands:
            raise ValueError(f"bands ({bands}) must divide num_perm ({num_perm})")
        self.num_perm = num_perm
        self.bands = bands
        self.rows = num_perm // bands
        self._buckets: defaultdict[str, set[str]] = defaultdict(set)
        self._keys: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def band_keys(self, signature: Sequence[int]) -> list[str]:
        """One stable key per band, ``"<band>:<hex digest of its rows>"``.

        Empty texts get no band keys, so they are never anyone's candidate.
        """
        if len(signature) != self.num_perm:
            raise ValueError(f"signature has {len(signature)} slots, expected {self.num_perm}")
        if all(v == EMPTY_SLOT for v in signature):
            return []
        keys = []
        for band in range(self.bands):
            rows = signature[band * self.rows : (band + 1) * self.rows]
            data = b"".join(int(v).to_bytes(8, "little") for v in rows)
            keys.append(f"{band}:{hashlib.blake2b(data, digest_size=8).hexdigest()}")
        return keys

    def add(self, key: str, signature: Sequence[int]) -> None:
        """Index ``signature`` under ``key`` (replacing what ``key`` had before)."""
        self.remove(key)
        band_keys = self.band_keys(signature)
        for band_key in band_keys:
            self._buckets[band_key].add(key)
        self._keys[key] = band_keys

    def remove(self, key: str) -> None:
        """Forget ``key``; nothing happens if it is not indexed."""
        for band_key in self._keys.pop(key, []):
            bucket = self._buckets.get(band_key)
            if bucket is not None:
                bucket.discard(key)
                if not bucket:
                    del self._buckets[band_key]

    def candidates(self, signature: Sequence[int]) -> set[str]:
        """The keys sharing at least one band with ``signature`` (a superset to verify)."""
        found: set[str] = set()
        for band_key in self.band_keys(signature):
            found |= self._buckets.get(band_key, set())
        return found
