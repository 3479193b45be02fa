"""What the Discord and Slack transports share (bot/transports/delivery.py, text.py and
base.language_hint), on its own: pacing, the sorting of failures, backoff, stable keys,
outbox targets, text cutting and the locale hint."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from bot.transports.base import DeliveryError, language_hint
from bot.transports.delivery import (
    Failure,
    Pacer,
    classify,
    retrying,
    stable_key,
    target_address,
)
from bot.transports.text import clip, split_text


def test_language_hint_of_a_platform_locale() -> None:
    assert language_hint("fr") == language_hint("fr-FR") == language_hint("FR-ca") == "fr"
    assert language_hint("en-US") == language_hint("de") == "en"
    assert language_hint(None) == language_hint("") == "en"
    assert language_hint(None, "fr") == "fr" and language_hint("en-GB", "fr") == "en"


def test_targets_are_read_once_as_addresses_of_the_platform() -> None:
    address = target_address("slack:T1:C1", "slack")
    assert (address.scope, address.channel, address.thread) == ("T1", "C1", None)
    assert str(target_address("discord:1:2", "discord")) == "discord:1:2"
    for target, platform in [("slack:T1:C1", "discord"), ("found", "slack"), ("slack:x", "slack")]:
        with pytest.raises(DeliveryError) as err:
            target_address(target, platform)
        assert err.value.permanent, target


@pytest.mark.parametrize(
    ("kwargs", "reason", "permanent", "retry_after", "again"),
    [
        ({"status": 403, "gone": "lost access"}, "lost access", True, None, False),
        ({"status": 429, "retry_after": 2.5}, "rate limited for 2s", False, 2.5, False),
        ({"status": 429}, "rate limited for 1s", False, 1.0, False),
        ({"status": 503}, "P server error (503)", False, None, True),
        ({"status": 502, "retried": True}, "P server error (502)", False, None, False),
        (
            {"status": 200, "code": "internal_error"},
            "P server error (internal_error)",
            False,
            None,
            True,
        ),
        ({"status": 400}, "P refused the message (400)", False, None, False),
        ({"status": 401}, "P refused the bot's token (401): fix it", False, None, False),
        (
            {"status": 200, "code": "token_revoked"},
            "P refused the bot's token (token_revoked): fix it",
            False,
            None,
            False,
        ),
        (
            {"status": 200, "code": "msg_too_long"},
            "P refused the message (msg_too_long)",
            False,
            None,
            False,
        ),
        (
            {"status": None, "error": TimeoutError()},
            "network error (TimeoutError)",
            False,
            None,
            True,
        ),
    ],
)
def test_one_rule_sorts_every_failure(
    kwargs: dict[str, object], reason: str, permanent: bool, retry_after: float | None, again: bool
) -> None:
    status = kwargs.pop("status")
    failure = classify("P", status, **kwargs)  # type: ignore[arg-type]
    refused = "refused the message" in reason  # to the dead letters, not retried
    assert failure == Failure(
        reason, permanent=permanent, retry_after=retry_after, again=again, refused=refused
    )
    error = failure.error()
    assert (str(error), error.permanent, error.retry_after, error.refused) == (
        reason,
        permanent,
        retry_after,
        refused,
    )


async def test_retrying_backs_off_only_what_may_help_at_once() -> None:
    calls: list[float] = []

    async def flaky() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise aiohttp.ClientConnectionError("down")
        return "posted"

    def sort(exc: Exception) -> Failure | None:
        return classify("P", None, error=exc) if isinstance(exc, aiohttp.ClientError) else None

    assert await retrying(flaky, sort, retries=3, backoff=0.05, what="t") == "posted"
    assert len(calls) == 3 and calls[2] - calls[1] >= 0.09  # 0.05, then 0.1

    async def down() -> None:
        raise aiohttp.ClientConnectionError("down")

    with pytest.raises(DeliveryError, match=r"network error \(ClientConnectionError\), after 2"):
        await retrying(down, sort, retries=1, backoff=0.0, what="t")

    async def gone() -> None:
        calls.append(0.0)
        raise PermissionError("403")

    calls.clear()
    with pytest.raises(DeliveryError) as err:
        await retrying(
            gone, lambda e: classify("P", 403, gone="lost"), retries=3, backoff=0.0, what="t"
        )
    assert err.value.permanent and len(calls) == 1  # never retried

    async def bug() -> None:
        raise KeyError("not a delivery failure")

    with pytest.raises(KeyError):
        await retrying(bug, sort, retries=3, backoff=0.0, what="t")


async def test_the_pacer_spaces_turns_per_channel_by_messages_posted() -> None:
    pacer = Pacer(0.1)
    starts: dict[str, list[float]] = {"a": [], "b": []}

    async def one(channel: str, messages: int) -> None:
        posted: list[int] = []
        async with pacer.turn(channel, posted):
            starts[channel].append(time.monotonic())
            posted.extend(range(messages))

    t0 = time.monotonic()
    await asyncio.gather(one("a", 2), one("a", 1), one("b", 1))
    a1, a2 = starts["a"]
    assert a2 - a1 >= 0.19  # two messages: two intervals before the next turn
    assert starts["b"][0] - t0 < 0.05  # another channel does not wait


def test_stable_keys() -> None:
    assert stable_key("a", "b") == stable_key("a", "b") != stable_key("ab", "")
    assert len(stable_key("x")) == 32 and len(stable_key("x", length=25)) == 25


def test_split_text_cuts_at_paragraphs_then_lines_then_words() -> None:
    assert split_text("a" * 50 + "\n\n" + "b" * 50, 60) == ["a" * 50, "b" * 50]
    assert split_text("a" * 40 + "\n" + "b" * 10 + " " + "c" * 40, 60) == [
        "a" * 40,
        "b" * 10 + " " + "c" * 40,
    ]
    assert all(len(c) <= 10 for c in split_text("x" * 95, 10))
    assert split_text("  \n ", 10) == [] and split_text(" short ", 10) == ["short"]
    words = " ".join(f"w{i}" for i in range(500))
    assert " ".join(split_text(words, 70)) == words  # split, nothing lost


def test_a_guard_keeps_markup_whole() -> None:
    def no_split_in_brackets(text: str, cut: int) -> int:
        opened = text.rfind("[", 0, cut)
        return opened if opened > text.rfind("]", 0, cut) else cut

    text = "x" * 20 + "[" + "y" * 30 + "]"
    assert split_text(text, 30, guard=no_split_in_brackets)[0] == "x" * 20
    assert clip(text, 30, guard=no_split_in_brackets) == "x" * 20 + "…"
    assert clip("  short  ", 30) == "short" and len(clip("z" * 50, 30)) == 30
