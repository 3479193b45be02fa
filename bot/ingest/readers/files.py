"""Files as text: walking folders, opening one file under a size cap, refusing binary
files, decoding bytes, and the one text clean-up every reader applies.

Nothing here knows an article format: :func:`load_text` hands back the cleaned text of a
file, or a ``Rejected`` that says in one sentence why the file cannot be read. The
readers package (`bot.ingest.readers`) picks the format reader by extension.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from bot.ingest.readers.messages import (
    MSG_BAD_PATH,
    MSG_BINARY_MAGIC,
    MSG_BINARY_NUL,
    MSG_BLANK,
    MSG_EMPTY,
    MSG_MISSING,
    MSG_NOT_REGULAR,
    MSG_TOO_BIG,
    MSG_UNDECODABLE,
    MSG_UNREADABLE,
)
from handlers.model import Rejected

logger = logging.getLogger(__name__)

_MAGIC_NUMBERS: Final[tuple[tuple[bytes, str], ...]] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive or Office document"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Office document"),
    (b"\x7fELF", "executable program"),
    (b"MZ\x90\x00", "Windows program"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"OggS", "Ogg audio/video"),
    (b"ID3", "MP3 audio"),
    (b"fLaC", "FLAC audio"),
    (b"\x00asm", "WebAssembly module"),
)
_RIFF_KINDS: Final = {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}
_UTF16_BOMS: Final = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SURROGATE_RE: Final = re.compile("[\ud800-\udfff]")
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_NON_ASCII_RE: Final = re.compile(r"[^\x00-\x7f\ufffd]")
# codecs Python calls text encodings that no page or feed is really written in
_NOT_CHARSETS: Final = frozenset(
    {
        "undefined",
        "idna",
        "punycode",
        "raw-unicode-escape",
        "unicode-escape",
        "mbcs",
        "oem",
        "palmos",
    }
)
_CHARSET_RE: Final = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def human_size(size: int) -> str:
    """``1234`` -> ``"1.2 kB"``, as the size messages show it."""
    if size < 1000:
        return f"{size} bytes"
    value, unit = (size / 1_000_000, "MB") if size >= 1_000_000 else (size / 1000, "kB")
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def scrub(text: str) -> str:
    """``text`` without what no store or chat platform can carry: a lone surrogate (JSON's
    ``"\\ud800"``, a feed's ``&#xD800;``) becomes U+FFFD, a NUL goes."""
    if _SURROGATE_RE.search(text) is not None:
        text = _SURROGATE_RE.sub("\ufffd", text)
    return text.replace("\x00", "")


def clean_text(text: str) -> str:
    """Unify newlines, NFC-normalise, strip line ends, keep at most one blank line (and
    :func:`scrub`)."""
    text = scrub(text)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _sniff_binary(data: bytes) -> str | None:
    """Return a rejection reason when ``data`` is clearly not text."""
    for magic, kind in _MAGIC_NUMBERS:
        if data.startswith(magic):
            return MSG_BINARY_MAGIC.format(kind=kind)
    if data[:4] == b"RIFF" and data[8:12] in _RIFF_KINDS:
        return MSG_BINARY_MAGIC.format(kind=_RIFF_KINDS[data[8:12]])
    if data[4:8] == b"ftyp":
        return MSG_BINARY_MAGIC.format(kind="MP4/MOV video or HEIC image")
    if len(data) > 262 and data[257:262] == b"ustar":
        return MSG_BINARY_MAGIC.format(kind="tar archive")
    if b"\x00" in data:
        return MSG_BINARY_NUL
    return None


def _looks_like_text(text: str) -> bool:
    """True when ``text`` has almost no control characters (C0 or C1)."""
    if not text:
        return False
    bad = sum(1 for _ in _CONTROL_RE.finditer(text))
    return bad <= max(2, len(text) // 200)


def text_codec(name: str) -> str | None:
    """The codec a declared charset names when it is a text encoding Python has (not
    ``undefined``, ``idna``, ``base64``...), else None."""
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


def _decode_as(data: bytes, encoding: str) -> str | None:
    """``data`` in ``encoding`` when that reads as text, else None."""
    codec = text_codec(encoding)
    if codec is None:
        return None
    try:
        text = data.decode(codec)
    except (UnicodeError, ValueError):
        return None
    return text if _looks_like_text(text) else None


def decode(data: bytes, *, html: bool = False) -> str | None:
    """Decode file bytes to text, or return None when they are not text.

    UTF-16 with a BOM and UTF-8 (with or without BOM) first; an HTML file's
    declared ``<meta charset>``; a mostly-UTF-8 file with a rare bad byte is read
    as UTF-8 with replacement; then Windows-1252, then Latin-1 -- each only if
    the result looks like text.
    """
    if data.startswith(_UTF16_BOMS):
        return _decode_as(data, "utf-16")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        return text if _looks_like_text(text) else None
    if html:
        match = _CHARSET_RE.search(data[:4096])
        declared = _decode_as(data, match.group(1).decode("ascii")) if match else None
        if declared is not None:
            return declared
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    good = sum(1 for _ in _NON_ASCII_RE.finditer(lenient))
    if good and bad * 3 <= good and _looks_like_text(lenient):
        logger.warning("%d invalid UTF-8 sequence(s) replaced", bad)
        return lenient
    for encoding in ("cp1252", "latin-1"):
        text_or_none = _decode_as(data, encoding)
        if text_or_none is not None:
            return text_or_none
    return None


def stat_entry(path: Path) -> os.stat_result | Rejected:
    """``path``'s status when it is a file or a folder, else why it cannot be read."""
    where = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        return Rejected(where, MSG_MISSING.format(path=where))
    except OSError as exc:
        return Rejected(where, MSG_UNREADABLE.format(error=exc.strerror or exc))
    except ValueError:  # a NUL byte, or a character the file system cannot encode
        return Rejected(scrub(where), MSG_BAD_PATH)
    if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
        return Rejected(where, MSG_NOT_REGULAR)
    return info


def _too_big(where: str, size: str, max_bytes: int) -> Rejected:
    return Rejected(where, MSG_TOO_BIG.format(size=size, limit=human_size(max_bytes)))


def load_text(
    path: Path, info: os.stat_result, *, max_bytes: int, html: bool = False
) -> str | Rejected:
    """The cleaned text of the regular file ``path`` (``info`` is its status).

    Rejected, unread, when empty or over ``max_bytes``; rejected after reading when
    binary, not decodable (``html``: its ``<meta charset>`` is tried too) or blank.
    """
    where = str(path)
    if info.st_size == 0:
        return Rejected(where, MSG_EMPTY)
    if info.st_size > max_bytes:
        return _too_big(where, human_size(info.st_size), max_bytes)
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return Rejected(where, MSG_UNREADABLE.format(error=exc.strerror or exc))
    if len(data) > max_bytes:  # grew since stat
        return _too_big(where, f"over {human_size(max_bytes)}", max_bytes)
    if not data:
        return Rejected(where, MSG_EMPTY)
    if not data.startswith(_UTF16_BOMS):
        binary = _sniff_binary(data)
        if binary:
            return Rejected(where, binary)
    text = decode(data, html=html)
    if text is None:
        return Rejected(where, MSG_UNDECODABLE)
    text = clean_text(text)
    if not text:
        return Rejected(where, MSG_BLANK)
    logger.debug("reading %s (%d bytes)", where, len(data))
    return text


def walk(folder: Path) -> Iterator[Path]:
    """Files under ``folder``, sorted, skipping hidden files and dot-folders."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(root) / name
