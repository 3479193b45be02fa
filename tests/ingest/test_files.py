"""Opening files and walking folders (bot.ingest.readers, .files): rejections with a clear
reason (missing, binary, too big, undecodable, unsupported, not a file), decoding, and
batches that go on after a bad file."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from bot.ingest.readers import read_file, read_paths
from handlers.model import RawArticle, Rejected
from tests.ingest.helpers import article, only, rejected, write


def test_reject_empty_and_whitespace(tmp_path: Path) -> None:
    assert rejected(write(tmp_path / "e.txt", b"")).reason == "empty file"
    assert rejected(write(tmp_path / "w.txt", " \n\t\n  ")).reason.startswith("empty file")
    assert rejected(write(tmp_path / "w.jsonl", "\n\n")).reason.startswith("empty file")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"x" * 50, "PNG image"),
        (b"\xff\xd8\xff\xe0" + b"JFIF" + b"y" * 50, "JPEG image"),
        (b"GIF89a" + b"z" * 50, "GIF image"),
        (b"%PDF-1.7\n%binary", "PDF document"),
        (b"PK\x03\x04" + b"w" * 50, "ZIP archive"),
    ],
)
def test_reject_binary_magic(tmp_path: Path, data: bytes, kind: str) -> None:
    r = rejected(write(tmp_path / "fake.txt", data))
    assert r.reason.startswith(f"binary file (looks like {kind}")


def test_reject_nul_bytes(tmp_path: Path) -> None:
    r = rejected(write(tmp_path / "nul.md", b"Title\n\nsome text\x00more text"))
    assert r.reason.startswith("binary file (contains NUL bytes)")


def test_reject_oversized_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.txt"
    with path.open("wb") as handle:
        handle.truncate(12_345_678)  # sparse: no real 12 MB written

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file must not be opened")

    small = tmp_path / "small.txt"
    small.write_bytes(b"T\n\n" + b"x" * 2000)
    monkeypatch.setattr(Path, "open", no_open)
    r = rejected(path)
    assert r.reason == "file is 12.3 MB, over the 5 MB limit (GROKWATCH_MAX_FILE_BYTES)"
    r2 = rejected(small, max_bytes=1000)
    assert r2.reason == "file is 2 kB, over the 1 kB limit (GROKWATCH_MAX_FILE_BYTES)"


def test_reject_undecodable(tmp_path: Path) -> None:
    junk = (bytes(range(1, 9)) + bytes(range(14, 32)) + b"\x81\x8d\x90\x9d\x7f") * 20
    r = rejected(write(tmp_path / "junk.txt", junk))
    assert r.reason.startswith("not UTF-8 or Latin-1 text")


def test_cp1252_and_latin1_are_read(tmp_path: Path) -> None:
    text = "Un été à l’hôpital\n\nLe modèle a été publié “hier”, déjà.\n"
    a = article(write(tmp_path / "cp.txt", text.encode("cp1252")))
    assert a.title == "Un été à l’hôpital"
    assert a.text == "Le modèle a été publié “hier”, déjà."
    b = article(write(tmp_path / "l1.txt", "Noël\n\nÇa marche.".encode("latin-1")))
    assert (b.title, b.text) == ("Noël", "Ça marche.")


def test_utf8_bom_and_utf16_are_read(tmp_path: Path) -> None:
    a = article(write(tmp_path / "bom.txt", "\ufeffTitre\n\nCorps é.".encode()))
    assert (a.title, a.text) == ("Titre", "Corps é.")
    b = article(write(tmp_path / "u16.txt", "Titre\n\nCorps é.".encode("utf-16")))
    assert (b.title, b.text) == ("Titre", "Corps é.")
    c = write(tmp_path / "bom.json", '\ufeff{"title": "T", "text": "x"}'.encode())
    assert article(c).title == "T"


def test_mostly_utf8_with_one_bad_byte(tmp_path: Path) -> None:
    data = "Titre été\n\nDéjà publié, à l’instant.".encode() + b" \xff fin"
    a = article(write(tmp_path / "mixed.txt", data))
    assert a.title == "Titre été"
    assert "Déjà publié" in a.text


def test_reject_unsupported_extension(tmp_path: Path) -> None:
    r = rejected(write(tmp_path / "doc.pdf", "text"))
    assert r.reason == "unsupported file type .pdf; use .txt, .md, .html, .json or .jsonl"
    r2 = rejected(write(tmp_path / "README", "text"))
    assert "unsupported file type (no extension)" in r2.reason
    assert isinstance(only(write(tmp_path / "UPPER.TXT", "T\n\nbody")), RawArticle)


def test_reject_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "a.txt"
    items = list(read_paths([missing]))
    assert len(items) == 1
    assert isinstance(items[0], Rejected)
    assert items[0].where == str(missing)
    assert "does not exist" in items[0].reason


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_reject_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert "not a regular file" in rejected(fifo).reason


def test_folder_batch_goes_on_after_bad_files(tmp_path: Path) -> None:
    root = tmp_path / "in"
    write(root / "b.txt", "Bravo\n\nbody b")
    write(root / "a.md", "# Alpha\n\nbody a")
    write(root / "c.png", b"\x89PNG\r\n\x1a\n....")
    write(root / "d.txt", b"")
    write(root / "sub" / "e.json", json.dumps({"title": "Echo", "text": "body e"}))
    write(root / ".hidden.txt", "Hidden\n\nbody")
    write(root / ".git" / "x.txt", "Git\n\nbody")
    write(root / "sub" / ".cache" / "y.txt", "Cache\n\nbody")
    items = list(read_paths([root, root / "a.md", tmp_path / "missing.txt"]))
    summary = [
        (Path(i.path or "").name, i.title) if isinstance(i, RawArticle) else (i.where, "REJ")
        for i in items
    ]
    assert summary == [
        ("a.md", "Alpha"),
        ("b.txt", "Bravo"),
        (str(root / "c.png"), "REJ"),
        (str(root / "d.txt"), "REJ"),
        ("e.json", "Echo"),
        (str(tmp_path / "missing.txt"), "REJ"),
    ]


def test_read_file_on_a_folder_walks_it(tmp_path: Path) -> None:
    write(tmp_path / "x" / "a.txt", "A\n\nbody")
    items = list(read_file(tmp_path / "x"))
    assert [i.title for i in items if isinstance(i, RawArticle)] == ["A"]
