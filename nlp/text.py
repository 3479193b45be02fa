"""The one home of grokwatch's text rules, for every language and every caller.

* **Normalising** (:func:`normalize_text`): typographic variants (curly apostrophes, unusual
  spaces, typographic hyphens) made plain, one character for one, so offsets survive.
* **Folding** (:func:`fold`): the comparison form of a text: case-folded, accents and
  ligatures removed, curly quotes straightened ("L’Œuvre d’Élysée" -> "l'oeuvre d'elysee").
  :func:`strip_accents`, :func:`window_words`, :func:`alias_key` and :func:`slugify` are built
  on it.
* **Stemming** (:func:`stem`): one light rule-based French/English stemmer of folded words
  ("fondateurs", "fondée", "fonder" -> "fond"; "founded", "founders" -> "found").
* **Sentences** (:func:`sentence_spans`, :func:`sentence_starts`, :func:`split_sentences`):
  one rule-based splitter that knows abbreviations ("M.", "Dr.", "U.S."), initials
  ("J. R. R. Tolkien"), numbered lists, decimals and quotations (a sentence never ends
  inside « … » or “ … ”); :func:`quotation_spans` finds those quotations.

Nothing here loads a model: every function is plain Python on strings, cheap enough for
the fast pass.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

__all__ = [
    "alias_key",
    "fold",
    "normalize_text",
    "quotation_spans",
    "sentence_spans",
    "sentence_starts",
    "slugify",
    "split_sentences",
    "stem",
    "strip_accents",
    "strip_elision",
    "window_words",
]

# --------------------------------------------------------------------------------------
# Normalising
# --------------------------------------------------------------------------------------

# Every replacement maps one character to one character, so character offsets computed on
# the normalised text are valid on the original text too.
_NORMALISE = str.maketrans(
    {
        "\u2019": "'",  # right single quotation mark, the French typographic apostrophe
        "\u2018": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space (French typography before : ; ! ?)
        "\u2007": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u200b": " ",  # zero-width space
        "\ufeff": " ",
        "\t": " ",
        "\r": " ",
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2212": "-",  # minus sign
        "\u00ad": "-",  # soft hyphen
    }
)

_RARE = re.compile("[" + "".join(re.escape(chr(c)) for c in _NORMALISE) + "]")


def normalize_text(s: str) -> str:
    """Return ``s`` with typographic variants unified, keeping its length.

    Curly apostrophes become ``'``, no-break and other unusual spaces become a plain space,
    typographic hyphens become ``-``, tabs and carriage returns become spaces. The result has
    exactly the same length as ``s``, so offsets into it are offsets into ``s``.
    """
    s = s.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    if _RARE.search(s) is None:
        return s
    return s.translate(_NORMALISE)


# --------------------------------------------------------------------------------------
# Folding
# --------------------------------------------------------------------------------------


def _fold_table() -> dict[int, str]:
    """Latin letters to their base letters ("é" -> "e"), ligatures spelled out, quotes."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base and base != char:
            table[code] = base
    # ligatures NFKD leaves alone; only the lower-case forms: fold case-folds first
    table.update({ord("œ"): "oe", ord("æ"): "ae", ord("ĳ"): "ij"})
    table.update({ord(c): '"' for c in "“”„‟"})
    return table


_FOLD: Final = str.maketrans(_fold_table())


def _without_marks(s: str) -> str:
    """``s`` in NFKD form without its combining marks (the slow path of the folders)."""
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def fold(s: str) -> str:
    """The comparison form of ``s``: case-folded, without accents, ligatures or curly quotes.

    "L’Œuvre d’Élysée" -> "l'oeuvre d'elysee", "Straße" -> "strasse", "İstanbul" ->
    "istanbul", “x” -> "x" in straight quotes. Plain ASCII only has its case folded. The result
    can be longer than ``s`` (ligatures, "ß"), so offsets into it are not offsets into ``s``.
    """
    s = s.casefold()
    if s.isascii():
        return s
    s = normalize_text(s).translate(_FOLD)
    if s.isascii():
        return s
    return _without_marks(s)


def strip_accents(s: str) -> str:
    """``s`` without its accents, case kept ("Élysée" -> "Elysee"): a spelling variant."""
    if s.isascii():
        return s
    return _without_marks(s)


_ASCII_PUNCTUATION = bytes.maketrans(b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", b" " * 32)
_UNICODE_PUNCTUATION = "«»–—…‹›·•"


def window_words(s: str) -> list[str]:
    """The words of ``s`` folded (:func:`fold`), punctuation and apostrophes read as spaces.

    "De l'IA-gen, « km/h »" -> ["de", "l", "ia", "gen", "km", "h"]. Used on the few hundred
    characters around an ambiguous match, so it is built from C-level string methods only.
    """
    s = fold(s)
    if not s.isascii():
        for char in _UNICODE_PUNCTUATION:
            s = s.replace(char, " ")
    return s.encode("ascii", "ignore").translate(_ASCII_PUNCTUATION).decode("ascii").split()


_ELISION = re.compile(r"^(?:qu|jusqu|lorsqu|puisqu|[dlcjmnst])'(?=\w)", re.IGNORECASE)
_POSSESSIVE = re.compile(r"'s?$", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def strip_elision(s: str) -> str:
    """Remove a French elided article or an English possessive: "d'OpenAI" -> "OpenAI"."""
    s = normalize_text(s).strip()
    s = _ELISION.sub("", s)
    return _POSSESSIVE.sub("", s) if len(s) > 2 else s


def alias_key(s: str) -> str:
    """The lookup key of a name: folded, elision and possessive removed, letters and digits only.

    "d'Open-AI", "OpenAI's" and "open ai" all give "openai".
    """
    return _NON_ALNUM.sub("", fold(strip_elision(s)))


def slugify(s: str) -> str:
    """A lowercase slug usable as an entity id: "Jonathan Ross" -> "jonathan-ross"."""
    return _NON_ALNUM.sub("-", fold(s)).strip("-")


# --------------------------------------------------------------------------------------
# Stemming
# --------------------------------------------------------------------------------------

_FRENCH_SUFFIXES: Final = [
    "issements",
    "issement",
    "ements",
    "ement",
    "ations",
    "ation",
    "ateurs",
    "ateur",
    "atrices",
    "atrice",
    "euses",
    "euse",
    "eux",
    "iques",
    "ique",
    "ismes",
    "isme",
    "istes",
    "iste",
    "ments",
    "ment",
    "ances",
    "ance",
    "ences",
    "ence",
    "ites",
    "ite",
    "ives",
    "ive",
    "eurs",
    "eur",
    "ions",
    "ion",
    "aient",
    "ait",
    "ant",
    "ent",
    "ees",
    "ee",
    "es",
    "er",
    "ez",
    "e",
]
_ENGLISH_SUFFIXES: Final = ["ings", "ing", "edly", "ed", "ly", "ies", "ers", "s"]
# Longest first; a suffix is only cut when at least ``_MIN_STEM`` characters remain.
_SUFFIXES: Final = tuple(
    sorted({*_FRENCH_SUFFIXES, *_ENGLISH_SUFFIXES}, key=lambda s: (-len(s), s))
)
_MIN_STEM: Final = 3
_MAX_STEM: Final = 8


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of a folded word, one rule for French and English: "fondateurs" -> "fond".

    A plural "-s" or "-x" is dropped from words of five letters or more ("nouveaux" ->
    "nouveau"; not after "ss", "us", "is", which lose only their last letter to the "s"
    suffix: "process" -> "proces", not "proc"). Then numbers and words with digits are kept
    whole; otherwise one suffix is removed (the longest of ``_SUFFIXES`` that leaves at
    least three letters) and the stem is cut to eight letters. "fondée", "fonder",
    "fondateurs" -> "fond"; "founded", "founders", "founding" -> "found"; "licences" ->
    "lic". Cheaper than a lemmatizer and good enough for matching; stems are keys, not
    words to show.
    """
    if len(word) > 4 and word[-1] in "sx" and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) <= _MIN_STEM or any(ch.isdigit() for ch in word):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            word = word[: -len(suffix)]
            break
    return word[:_MAX_STEM]


# --------------------------------------------------------------------------------------
# Quotations and sentences
# --------------------------------------------------------------------------------------

MAX_QUOTE_CHARS: Final = 1500
"""Quotation marks further apart than this are not taken as one quotation."""

_QUOTATION_PATTERNS: Final = tuple(
    re.compile(p)
    for p in (
        rf"«[^«»\n]{{1,{MAX_QUOTE_CHARS}}}?»",
        rf"“[^“”\n]{{1,{MAX_QUOTE_CHARS}}}?”",
        rf"‹[^‹›\n]{{1,{MAX_QUOTE_CHARS}}}?›",
        rf'(?<!\w)"(?=\S)[^"\n]{{1,{MAX_QUOTE_CHARS}}}?(?<=\S)"(?!\w)',
    )
)
_QUOTE_CHARS: Final = frozenset('«“‹"')


def quotation_spans(text: str) -> list[tuple[int, int]]:
    """The quotations of ``text``: (offset of the opening mark, offset past the closing one).

    « … », “ … ”, ‹ … › and straight " … " on one line, at most :data:`MAX_QUOTE_CHARS`
    apart; in document order, none inside another (guillemets first, then curly, angle and
    straight quotes).
    """
    if _QUOTE_CHARS.isdisjoint(text):
        return []
    spans: list[tuple[int, int]] = []
    for pattern in _QUOTATION_PATTERNS:
        for m in pattern.finditer(text):
            if not any(a <= m.start() < b for a, b in spans):
                spans.append(m.span())
    spans.sort()
    return spans


# Titles and abbreviations after which a period does not end a sentence (case matters:
# "art." is a word, "Art." a legal article). A single capital is an initial (see below);
# "U.S.", "e.g.", "J.-C." are caught by _DOTTED.
_ABBREVIATIONS: Final = frozenset(
    [
        "M",
        "MM",
        "Mme",
        "Mmes",
        "Mlle",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "Pr",
        "Prof",
        "St",
        "Ste",
        "Jr",
        "Sr",
        "Gen",
        "Sen",
        "Rep",
        "Inc",
        "Corp",
        "Ltd",
        "Co",
        "No",
        "Art",
        "Fig",
        "Vol",
        "etc",
        "cf",
        "vs",
        "p",
        "pp",
        "no",
        "av",
        "bd",
        "fig",
        "vol",
    ]
)
_UPPER: Final = "A-ZÀ-ÖØ-ÞŒ"
# A candidate break: a line break, or end marks, closing quotes or brackets, then spaces
# and (after an opening quote, bracket or dash) a capital or a digit.
_BREAK: Final = re.compile(
    r"\n|(?P<mark>[.!?…]+)(?:\s?[\"»”’')\]])*"
    rf"(?=\s+[\"«“‘(\[—–-]?\s?[{_UPPER}0-9])"
)
_DOTTED: Final = re.compile(r"(?:[A-Za-z]\.-?)+[A-Za-z]")
_INITIAL_NEXT: Final = re.compile(rf"\s+[{_UPPER}]\.")
_OPENERS: Final = "«\"“‘(['’"


def _word_before(text: str, at: int) -> tuple[str, int]:
    """The word ending at offset ``at`` (opening marks left out) and where it starts."""
    start = at
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while start < at and text[start] in _OPENERS:
        start += 1
    return text[start:at], start


def _not_an_end(text: str, mark: int, marks: str) -> bool:
    """Whether the end marks at ``mark`` do not end a sentence: an abbreviation ("M.",
    "Dr.", "U.S."), an initial ("Elon R. Musk", "J. R. R. Tolkien"), a list number at the
    start of a line ("1. La licence"), or an elision mark ("[…]", "(...)")."""
    if marks != ".":
        return mark > 0 and text[mark - 1] in "[("
    word, start = _word_before(text, mark)
    if word in _ABBREVIATIONS or _DOTTED.fullmatch(word):
        return True
    if len(word) == 1 and word.isupper():
        previous = text[max(0, start - 30) : start].split()
        if not previous or previous[-1][:1].isupper():
            return True
        return _INITIAL_NEXT.match(text, mark + 1) is not None
    if word.isdigit() and len(word) <= 3:
        line_start = text.rfind("\n", 0, start) + 1
        return not text[line_start:start].strip()
    return False


def _cuts(text: str) -> list[int]:
    """Offsets where one sentence ends and the next may begin."""
    cuts: list[int] = []
    quotes: list[tuple[int, int]] | None = None
    for m in _BREAK.finditer(text):
        marks = m.group("mark")
        if marks is None:
            cuts.append(m.start())
            continue
        at = m.start()
        if _not_an_end(text, at, marks):
            continue
        if quotes is None:
            quotes = quotation_spans(text)
        cut = m.end()
        if any(a < at and cut < b for a, b in quotes):
            continue  # inside a quotation: « Nous avons fini. Le code est public », dit-il
        cuts.append(cut)
    return cuts


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of ``text`` as ``(start, end)`` offsets, surrounding spaces left out.

    A sentence ends at a line break, or at end marks (". ! ? …", then closing quotes or
    brackets) followed by a space and a capital or a digit; not after an abbreviation
    ("M. Musk", "Dr. Ross", "the U.S. market"), an initial ("J. R. R. Tolkien"), a list
    number starting a line ("1. Le code"), inside a decimal ("1.5 billion"), at an elision
    mark ("[…]"), or inside a quotation ("« Fini. Tout est public », dit-il" is one
    sentence; "Il a demandé « pourquoi ? » avant de partir" too).
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*_cuts(text), len(text)]:
        a, b = start, cut
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
        start = cut
    return spans


def sentence_starts(text: str) -> list[int]:
    """Where the sentences of ``text`` start (see :func:`sentence_spans`)."""
    return [a for a, _ in sentence_spans(text)]


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, stripped (see :func:`sentence_spans`)."""
    return [text[a:b] for a, b in sentence_spans(text)]
