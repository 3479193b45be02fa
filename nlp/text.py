"""Small text helpers shared by the NLP modules: normalisation, accent folding, keys, slugs."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["alias_key", "fold", "normalize_text", "slugify", "strip_elision", "window_words"]

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
_ELISION = re.compile(r"^(?:qu|jusqu|lorsqu|puisqu|[dlcjmnst])'(?=\w)", re.IGNORECASE)
_POSSESSIVE = re.compile(r"'s?$", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


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


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base and base != char:
            table[code] = base
    return table


_FOLD = str.maketrans(_fold_table())
_COMBINING = re.compile(r"[\u0300-\u036f]")


_ASCII_PUNCTUATION = bytes.maketrans(b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", b" " * 32)
_UNICODE_PUNCTUATION = "«»–—…“”„‹›’‘·•"


def window_words(s: str) -> list[str]:
    """The words of ``s`` lower-cased, without accents, punctuation and apostrophes as spaces.

    "De l'IA-gen, « km/h »" -> ["de", "l", "ia", "gen", "km", "h"]. Used on the few hundred
    characters around an ambiguous match, so it is built from C-level string methods only.
    """
    s = s.lower()
    if not s.isascii():
        for char in _UNICODE_PUNCTUATION:
            s = s.replace(char, " ")
        s = unicodedata.normalize("NFKD", s)
    return s.encode("ascii", "ignore").translate(_ASCII_PUNCTUATION).decode("ascii").split()


def fold(s: str) -> str:
    """Lower-case ``s`` and remove its accents ("Élysée" -> "elysee")."""
    s = s.lower()
    if s.isascii():
        return s
    s = s.translate(_FOLD)
    if s.isascii():
        return s
    return _COMBINING.sub("", unicodedata.normalize("NFKD", s))


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
    return _NON_ALNUM.sub("-", fold(normalize_text(s))).strip("-")
