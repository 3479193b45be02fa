"""Commands through the console: parsing, errors that say what to do, permissions, help."""

from __future__ import annotations

import pytest

from handlers.registry import REGISTRY, ParseError, parse_command
from handlers.reply import Reply, defang
from tests.conftest import ChatBot


def test_parse_free_text_and_options() -> None:
    req = parse_command("/grok track Elon Musk min:HIGH")
    assert (req.name, req.args) == ("track", {"entity": "Elon Musk", "min": "high"})
    assert parse_command("track  Grok").args == {"entity": "Grok"}
    assert parse_command('/grok search "licence Apache"').args == {"query": "licence Apache"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/grok", "Type a command"),
        ("/grok trak Grok", "Did you mean `/grok track`"),
        ("/grok track", "needs ENTITY"),
        ("/grok track Grok min:huge", "use one of low, medium, high"),
        ("/grok sources everything", "has no option"),
    ],
)
def test_malformed_commands_say_what_to_do(line: str, expected: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_command(line)
    assert expected in str(info.value)


def test_every_command_has_help_and_a_french_description() -> None:
    expected = {"help", "track", "untrack", "tracked", "mentions", "search", "sources", "ingest"}
    assert expected <= set(REGISTRY)
    for spec in REGISTRY.values():
        assert spec.help and spec.help_fr, spec.name
        assert spec.usage.startswith(f"/grok {spec.name}")


def test_defang_neutralises_pings() -> None:
    text = defang("Hi @everyone and @here, <!channel> <@U123> <#C9> mail a@b.fr")
    assert "@everyone" not in text and "@here" not in text
    assert "<!" not in text and "<@" not in text and "<#" not in text
    assert "a@b.fr" in text


async def test_help_lists_every_command(testbot: ChatBot) -> None:
    reply = await testbot.say("/grok help")
    listed = " ".join(f.name for f in reply.fields)
    for name in REGISTRY:
        assert f"/grok {name}" in listed
    one = await testbot.say("/grok help track")
    assert "min" in one.text and one.title and "/grok track" in one.title


async def test_track_resolves_aliases_any_case_and_lists(testbot: ChatBot) -> None:
    reply = await testbot.say("/grok track elon musk")
    assert "elon-musk" in reply.text and reply.kind == "info"
    reply = await testbot.say("/grok track X.AI")
    assert "`xai`" in reply.text and "resolved" in reply.text
    again = await testbot.say("/grok track Elon Musk min:high")
    assert "Already tracking" in again.text
    listed = await testbot.say("/grok tracked")
    names = [f.name for f in listed.fields]
    assert names == ["Elon Musk", "xAI"]
    assert "min high" in listed.fields[0].value
    gone = await testbot.say("/grok untrack Elon Musk")
    assert "Stopped tracking" in gone.text
    again_gone = await testbot.say("/grok untrack Elon Musk")
    assert again_gone.kind == "error" and "/grok tracked" in again_gone.text


async def test_unknown_entity_gets_suggestions_never_a_silent_noop(testbot: ChatBot) -> None:
    reply = await testbot.say("/grok track Elon Muks")
    assert reply.kind == "error"
    assert "Did you mean" in reply.text and "Elon Musk" in reply.text
    assert (await testbot.say("/grok tracked")).fields == []
    nothing = await testbot.say("/grok track Qwxzz Plorb")
    assert nothing.kind == "error" and "Check the spelling" in nothing.text


async def test_changing_tracking_needs_the_manage_permission(testbot: ChatBot) -> None:
    denied = await testbot.say("/grok track Grok", can_manage=False)
    assert denied.kind == "error" and "manage this channel" in denied.text
    assert (await testbot.say("/grok tracked")).fields == []
    # reading commands stay open to everyone
    assert (await testbot.say("/grok tracked", can_manage=False)).kind == "info"


async def test_channels_are_separate(testbot: ChatBot) -> None:
    await testbot.say("/grok track Grok", channel="console:a")
    assert (await testbot.say("/grok tracked", channel="console:b")).fields == []
    assert [f.name for f in (await testbot.say("/grok tracked", channel="console:a")).fields] == [
        "Grok"
    ]


async def test_ingest_command_reports_rejections_and_goes_on(testbot: ChatBot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "img.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (tmp_path / "ok.txt").write_text(
        "Grok sort en open source\n\nxAI publie Grok-1 sous licence Apache 2.0.\n"
    )
    reply = await testbot.say(f"/grok ingest {tmp_path}")
    assert "1 new, 0 duplicate, 2 rejected" in reply.text
    assert "empty" in reply.text.lower() and "binary" in reply.text.lower()
    missing = await testbot.say("/grok ingest /nonexistent/folder")
    assert missing.kind == "error" and "does not exist" in missing.text


async def test_internal_errors_are_reported_with_a_reference(
    testbot: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(channel: str) -> None:
        raise ConnectionError("Redis went away")

    monkeypatch.setattr(testbot.app.store.subscriptions, "of_channel", broken)
    reply = await testbot.say("/grok tracked")
    assert reply.kind == "error" and "ref" in reply.text and "try again" in reply.text
    assert "Redis went away" not in reply.text  # internals stay in the log


def test_reply_text_fallback_has_everything() -> None:
    from handlers.reply import Citation, Field

    text = Reply(
        text="body",
        title="T",
        url="https://e.org",
        fields=[Field("a", "b")],
        citations=[Citation(1, "Art", "https://e.org/1", "Outlet")],
    ).as_text()
    for part in ("**T**", "body", "**a:** b", "[1] Art — Outlet <https://e.org/1>"):
        assert part in text


async def test_bot_words_follow_the_users_language(testbot: ChatBot) -> None:
    french = await testbot.say("/grok search la licence du code de Grok")
    assert french.text.startswith("Aucun article")  # nothing stored yet, said in French
    english = await testbot.say("/grok search the licence of the Grok code")
    assert english.text.startswith("No article")
    assert (await testbot.say("/grok tracked", lang="fr")).text.startswith("Rien n'est suivi")
