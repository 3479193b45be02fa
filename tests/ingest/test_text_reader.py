"""Plain text and markdown articles (bot.ingest.readers.text_reader): titles, junk lines,
date tokens, front matter, markdown, and the title helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.ingest.readers.text_reader import first_sentence, shorten_title
from tests.ingest.helpers import BODY_EN, article, rejected, write


def test_txt_first_line_is_title(tmp_path: Path) -> None:
    a = article(write(tmp_path / "a.txt", "A short headline\n\n" + BODY_EN + "\n"))
    assert a.title == "A short headline"
    assert a.text == BODY_EN
    assert a.path == str(tmp_path / "a.txt")
    assert a.url is None and a.source is None and a.published_at is None and a.lang is None


def test_txt_leading_junk_is_skipped(tmp_path: Path) -> None:
    text = (
        "Passer au contenu\n\n"
        "Capture d'écran 2024 03 11 À 16 22 17\n\n"
        "(FILES) A photographer's caption about a man at a fair. (Photo by Someone / AFP)\n\n"
        "**The real headline**\n"
        "Body line one.\n"
        "Body line two.\n"
    )
    a = article(write(tmp_path / "junk.txt", text))
    assert a.title == "The real headline"
    assert a.text == "Body line one.\nBody line two."


def test_txt_date_token_on_the_body_line(tmp_path: Path) -> None:
    paragraph = (
        "Suing the company last week, the investor opened several fronts at once. "
        "On one side he blames the firm for leaving its open roots behind, and on the other "
        "he attacks the tone of its chatbot, which he calls far too cautious for his taste."
    )
    a = article(write(tmp_path / "d.txt", f" date 2024-03 {paragraph}\n\nSecond paragraph.\n"))
    assert a.published_at == datetime(2024, 3, 1, tzinfo=UTC)
    assert not a.title.lower().startswith("date")
    assert a.title == "Suing the company last week, the investor opened several fronts at once"
    # the whole paragraph stays in the body, without the date token
    assert a.text.startswith(paragraph)
    assert a.text.endswith("Second paragraph.")
    assert "2024-03" not in a.text


def test_txt_date_token_with_day(tmp_path: Path) -> None:
    a = article(write(tmp_path / "d.txt", "date: 2024-03-17\nHeadline\nBody.\n"))
    assert a.published_at == datetime(2024, 3, 17, tzinfo=UTC)
    assert a.title == "Headline"


def test_txt_two_sentence_first_line_gives_first_sentence(tmp_path: Path) -> None:
    line = "Musk says Grok will be open this week. The move is part of his legal fight"
    a = article(write(tmp_path / "s.txt", f"{line}\n\nBody paragraph.\n"))
    assert a.title == "Musk says Grok will be open this week"
    assert a.text.startswith(line)


def test_txt_long_single_sentence_title_is_cut(tmp_path: Path) -> None:
    line = " ".join(["word"] * 80)  # 399 chars, no sentence end
    a = article(write(tmp_path / "l.txt", f"{line}\n\nBody.\n"))
    assert len(a.title) <= 160
    assert a.title.endswith("…")
    assert a.title[:-1].split(" ") == ["word"] * len(a.title[:-1].split(" "))
    assert a.text.startswith(line)


def test_txt_abbreviation_does_not_end_the_title_sentence(tmp_path: Path) -> None:
    line = (
        "M. Dupont a rencontré Mme Martin hier à Paris pour parler du nouveau modèle "
        "publié par la jeune pousse. Une seconde phrase suit, assez longue pour compter."
    )
    a = article(write(tmp_path / "abbr.txt", line + "\n"))
    assert a.title.startswith("M. Dupont a rencontré Mme Martin")
    assert a.title.endswith("jeune pousse")


def test_txt_front_matter(tmp_path: Path) -> None:
    text = (
        "---\n"
        "title: Front matter title\n"
        "url: https://example.org/story\n"
        "source: The Open Ledger\n"
        "published_at: 2024-03-17T10:00:00+01:00\n"
        "lang: en-GB\n"
        "---\n"
        "First body line.\n"
    )
    a = article(write(tmp_path / "fm.txt", text))
    assert a.title == "Front matter title"
    assert a.text == "First body line."
    assert a.url == "https://example.org/story"
    assert a.source == "The Open Ledger"
    assert a.published_at == datetime(2024, 3, 17, 9, 0, tzinfo=UTC)
    assert a.published_at.tzinfo is not None
    assert a.lang == "en"


def test_front_matter_bad_yaml_is_rejected(tmp_path: Path) -> None:
    r = rejected(write(tmp_path / "bad.md", "---\ntitle: [unclosed\n---\nBody.\n"))
    assert "front matter" in r.reason and "YAML" in r.reason


def test_front_matter_bad_date_is_rejected(tmp_path: Path) -> None:
    r = rejected(write(tmp_path / "bad.md", "---\ntitle: T\ndate: yesterday\n---\nBody.\n"))
    assert "'date' is not a date" in r.reason


def test_txt_crlf_and_nfc(tmp_path: Path) -> None:
    decomposed = "Cafe\u0301 title"
    a = article(write(tmp_path / "w.txt", f"{decomposed}\r\n\r\nBody\r\nmore\r\n"))
    assert a.title == "Café title"
    assert a.text == "Body\nmore"


def test_md_heading_title_and_inline_markup(tmp_path: Path) -> None:
    text = (
        "# xAI **releases** Grok-1\n\n"
        "Read [the post](https://example.org/post) and see ![chart](c.png) here.\n\n"
        "## A subheading\n\n"
        "More **bold** text with `code`.\n"
    )
    a = article(write(tmp_path / "a.md", text))
    assert a.title == "xAI releases Grok-1"
    assert "Read the post and see  here." in a.text
    assert "A subheading" in a.text and "##" not in a.text
    assert "More bold text with code." in a.text


def test_md_setext_heading(tmp_path: Path) -> None:
    a = article(write(tmp_path / "s.md", "Setext title\n============\n\nBody text.\n"))
    assert a.title == "Setext title"
    assert a.text == "Body text."


def test_md_front_matter_heading_not_repeated(tmp_path: Path) -> None:
    text = (
        "---\ntitle: Same title\nsource: Circuit Hebdo\ndate: 2024-03-18\nlang: fr\n---\n\n"
        "# Same title\n\nLe corps de l'article.\n"
    )
    a = article(write(tmp_path / "f.md", text))
    assert a.title == "Same title"
    assert a.text == "Le corps de l'article."
    assert a.published_at == datetime(2024, 3, 18, tzinfo=UTC)
    assert a.lang == "fr"


def test_md_front_matter_different_heading_kept(tmp_path: Path) -> None:
    text = "---\ntitle: Meta title\n---\n# Another heading\n\nBody.\n"
    a = article(write(tmp_path / "f.md", text))
    assert a.title == "Meta title"
    assert a.text == "Another heading\n\nBody."


def test_same_file_read_twice_gives_same_id(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Headline\n\nBody.\n")
    assert article(path).article_id() == article(path).article_id()


def test_title_helpers() -> None:
    assert first_sentence("One. Two.") == "One."
    assert first_sentence("No end") == "No end"
    assert first_sentence("Version 1.5 is out. Next.") == "Version 1.5 is out."
    long = "a" * 10 + " " + "b" * 200
    assert shorten_title(long) == "a" * 10 + " " + "b" * 148 + "…"
    assert len(shorten_title(" ".join(["mot"] * 100))) <= 160


def test_reject_title_only(tmp_path: Path) -> None:
    assert "no article text" in rejected(write(tmp_path / "t.txt", "Only a title\n")).reason
    assert "no article text" in rejected(write(tmp_path / "j.txt", "Passer au contenu\n")).reason


def test_txt_section_labels_and_update_stamps_above_the_headline_are_skipped(
    tmp_path: Path,
) -> None:
    text = "date 2024-02-07\nActualité\nBoeing : quatre boulons manquaient\n\nLe corps.\n"
    a = article(write(tmp_path / "label.txt", text))
    assert a.title == "Boeing : quatre boulons manquaient" and a.text == "Le corps."
    text = (
        "Updated February 23rd, 2024 at 9:12 am\n"
        "Google pauses Gemini's pictures of people\n\n"
        "Published in 2019, the report was updated at 10:30 on Friday.\n"
    )
    b = article(write(tmp_path / "stamp.txt", text))
    assert b.title == "Google pauses Gemini's pictures of people"
    assert b.text.startswith("Published in 2019")  # in the body it is a sentence, kept
    # "Mis à jour" in French, and a title that merely starts like a label stays
    d = article(
        write(tmp_path / "fr.txt", "Mis à jour le 5 mars 2024 à 10h12\nTech : la fin\n\nx y.\n")
    )
    assert d.title == "Tech : la fin"
