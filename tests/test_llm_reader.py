"""/grok ask's optional generative reader against a loopback fake of an OpenAI-compatible
API: real store (Redis), real analyzer, the sample corpus ingested."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr
from rich.console import Console

from bot.app import App
from bot.ingest.readers import CORPUS_DIR
from bot.ops.metrics import Metrics
from bot.reader import Breaker, check_reply, redacted
from bot.settings import Settings, SettingsError, load_settings
from bot.transports.console import ConsoleTransport
from nlp.pipeline import Analyzer
from tests.llm_fake import FakeLLM, Scripted

KEY = "sk-test-very-secret-key"
QUESTION = "/grok ask Sous quelle licence Grok-1 est-il publié ?"


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    llm = FakeLLM()
    await llm.start()
    yield llm
    await llm.stop()


async def _app(settings: Settings, analyzer: Analyzer, **llm: Any) -> App:
    app = App(
        settings.model_copy(update=llm),
        console=ConsoleTransport(Console(file=io.StringIO(), color_system=None)),
        analyzer=analyzer,
    )
    await app.__aenter__()
    await app.ingest([str(CORPUS_DIR)])
    return app


def _llm(fake: FakeLLM, **more: Any) -> dict[str, Any]:
    return {
        "llm_url": fake.url,
        "llm_model": "test-model",
        "llm_api_key": SecretStr(KEY),
        "llm_timeout_s": 0.5,
        **more,
    }


async def test_a_cited_answer_is_shown_with_its_sources(
    settings: Settings, analyzer: Analyzer, fake: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = await _app(settings, analyzer, **_llm(fake))
    try:
        fake.script.append(Scripted("Grok-1 est publié sous licence Apache 2.0 [1]. @everyone [2]"))
        reply = await app.say(QUESTION)
        headers, body = fake.requests[-1]
        assert headers["Authorization"] == f"Bearer {KEY}"
        assert body["model"] == "test-model" and body["temperature"] == 0
        assert body["max_tokens"] == 300
        user = body["messages"][-1]["content"]
        assert "[1] (" in user and "[2] (" in user and "Sous quelle licence" in user
        assert "NO_ANSWER" in body["messages"][0]["content"]
        assert "Apache 2.0" in reply.text and reply.footer and "modèle" in reply.footer
        assert "@everyone" not in reply.text and "@\u200beveryone" in reply.text
        assert reply.citations and reply.citations[0].n == 1
        assert "[1]" in reply.text  # renumbered to the article citations
        assert KEY not in caplog.text
        # a reply citing a passage that was not given is rejected: the extractive answer
        fake.script.append(Scripted("Apache 2.0 [9]."))
        reply = await app.say(QUESTION)
        assert reply.footer is None and "Apache" in reply.text
        assert "unknown_citation" in caplog.text and KEY not in caplog.text
        # a sentence without a citation too
        fake.script.append(Scripted("Apache 2.0 [1]. It is great."))
        assert (await app.say(QUESTION)).footer is None
        # NO_ANSWER: the refusal of the extractive reader
        fake.script.append(Scripted("NO_ANSWER"))
        refused = await app.say(QUESTION)
        assert "Rien dans les articles" in refused.text and not refused.citations
        metrics = await Metrics(app.store, {}, []).render()
        assert 'grokwatch_llm_failures_total{reason="unknown_citation"} 1' in metrics
        assert 'grokwatch_llm_failures_total{reason="uncited"} 1' in metrics
        assert 'grokwatch_llm_replies_total{outcome="answer"} 1' in metrics
        assert 'grokwatch_llm_replies_total{outcome="refusal"} 1' in metrics
    finally:
        await app.__aexit__(None, None, None)


async def test_endpoint_failures_give_the_extractive_answer_and_open_the_breaker(
    settings: Settings, analyzer: Analyzer, fake: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    app = await _app(settings, analyzer, **_llm(fake, llm_breaker_failures=4))
    try:
        fake.script += [
            Scripted(delay=1.5, content="late [1]."),  # slower than the 0.5 s timeout
            Scripted(status=500),
            Scripted(raw="{not json"),
            Scripted(raw='{"choices": []}'),
        ]
        for _ in range(4):
            reply = await app.say(QUESTION)
            assert "Apache" in reply.text and reply.footer is None
        metrics = await Metrics(app.store, {}, []).render()
        for reason in ("timeout", "http_5xx", "invalid_json", "missing_fields"):
            assert f'grokwatch_llm_failures_total{{reason="{reason}"}} 1' in metrics
        assert KEY not in caplog.text
        # four failures in a row: the breaker is open, the endpoint is not called
        asked = len(fake.requests)
        reply = await app.say(QUESTION)
        assert len(fake.requests) == asked and "Apache" in reply.text
        metrics = await Metrics(app.store, {}, []).render()
        assert 'grokwatch_llm_replies_total{outcome="skipped"} 1' in metrics
        assert 'grokwatch_llm_replies_total{outcome="fallback"} 4' in metrics
    finally:
        await app.__aexit__(None, None, None)


async def test_off_by_default_no_call_is_made(
    settings: Settings, analyzer: Analyzer, fake: FakeLLM
) -> None:
    app = await _app(settings, analyzer)
    try:
        assert app.context.reader is None
        reply = await app.say(QUESTION)
        assert "Apache" in reply.text and fake.requests == []
    finally:
        await app.__aexit__(None, None, None)


def test_the_url_is_checked_and_never_shown_with_credentials(tmp_path: Any) -> None:
    with pytest.raises(SettingsError, match="GROKWATCH_LLM_URL"):
        load_settings(data_dir=tmp_path, llm_url="file:///etc/passwd", llm_model="m")
    with pytest.raises(SettingsError, match="GROKWATCH_LLM_MODEL"):
        load_settings(data_dir=tmp_path, llm_url="http://127.0.0.1:11434/v1")
    assert redacted("https://bob:pw@llm.example:8443/v1") == "https://llm.example:8443/v1"


def test_reply_checks_and_breaker() -> None:
    assert check_reply("<think>hmm</think> Yes [1]. And so [2, 1].", 2).cited == (1, 2)
    assert check_reply("Grok is open. [1]", 1).text == "Grok is open. [1]"
    assert check_reply("NO_ANSWER.", 3).kind == "refusal"
    now = [0.0]
    breaker = Breaker(2, 30.0, clock=lambda: now[0])
    breaker.failure()
    assert breaker.allow()
    breaker.failure()
    assert not breaker.allow()
    now[0] = 31.0
    assert breaker.allow()  # one try after the pause
    breaker.success()
    assert breaker.allow() and breaker.count == 0
