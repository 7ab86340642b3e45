"""The LLM client against a real local HTTP server speaking the OpenAI protocol: structured
answers validated, one repair round, retries on 429/5xx, a breaker, the key only in the
Authorization header."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr

from qaforge.config import Settings
from qaforge.llm.client import LLMBudgetSpent, LLMClient, LLMUnavailable
from qaforge.llm.endpoint import LLMEndpoint, LLMNotConfigured, Tier
from qaforge.llm.prompts import PromptLibrary
from tests.fixtures.fake_llm import FakeLLM


class Pick(BaseModel):
    choice: str
    count: int


PROMPT = """---
name: pick
version: 3
tier: small
answer: Pick
---
# System
Pick one.
# User
Choose among {{ options | data }}.
"""


@pytest.fixture
def library(tmp_path: Path) -> PromptLibrary:
    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "pick.md").write_text(PROMPT)
    return PromptLibrary({"Pick": Pick}, user_dir=folder, builtin_dir=tmp_path / "none")


def _endpoint(llm: FakeLLM, max_retries: int = 2) -> LLMEndpoint:
    return LLMEndpoint(
        url=llm.url, model="big", small_model="small", timeout_s=5, max_retries=max_retries
    )


async def test_a_valid_answer_is_validated_and_counted(library: PromptLibrary) -> None:
    with FakeLLM(models=["big", "small"]) as llm:
        llm.answers.append('{"choice": "b", "count": 2}')
        client = LLMClient(_endpoint(llm))
        try:
            answer = await client.ask(library.get("pick"), options=["a", "b"])
        finally:
            await client.close()
    assert answer.value == Pick(choice="b", count=2)
    assert answer.variant.startswith("pick@v3-")
    [req] = llm.completions()
    assert req.body["model"] == "small"  # the prompt's tier picks the model
    assert req.body["response_format"]["type"] == "json_schema"
    assert req.body["response_format"]["json_schema"]["schema"]["required"] == ["choice", "count"]
    assert client.usage.calls == 1 and client.usage.tokens == 120


async def test_an_invalid_answer_gets_one_repair_round_then_is_dropped(
    library: PromptLibrary,
) -> None:
    with FakeLLM(models=["big", "small"]) as llm:
        llm.answers.extend(['{"choice": "b"}', '```json\n{"choice": "a", "count": 1}\n```'])
        client = LLMClient(_endpoint(llm))
        repaired = await client.ask(library.get("pick"), options=["a"])
        llm.answers.extend(["not json", '{"count": "many"}'])
        dropped = await client.ask(library.get("pick"), options=["a"])
        await client.close()
    assert repaired.value == Pick(choice="a", count=1)
    second = llm.completions()[1].body["messages"]
    assert second[-2] == {"role": "assistant", "content": '{"choice": "b"}'}
    assert "count" in second[-1]["content"]  # the repair says what was wrong
    assert dropped.value is None and "choice" in dropped.error
    assert client.usage.repaired == 2 and client.usage.dropped == 1
    assert client.usage.calls == 4


async def test_429_and_5xx_are_retried_by_the_sdk(library: PromptLibrary) -> None:
    with FakeLLM(models=["big", "small"]) as llm:
        llm.failures.extend([429, 503])
        llm.answers.append('{"choice": "a", "count": 1}')
        client = LLMClient(_endpoint(llm))
        answer = await client.ask(library.get("pick"), options=["a"])
        await client.close()
    assert answer.value is not None
    assert len(llm.completions()) == 3


async def test_an_endpoint_that_keeps_failing_opens_the_breaker(library: PromptLibrary) -> None:
    with FakeLLM(models=["big", "small"]) as llm:
        client = LLMClient(_endpoint(llm, max_retries=0))
        for _ in range(3):
            llm.failures.append(500)
            with pytest.raises(LLMUnavailable, match="HTTP 500"):
                await client.ask(library.get("pick"), options=["a"])
        asked = len(llm.completions())
        with pytest.raises(LLMUnavailable, match="open"):
            await client.ask(library.get("pick"), options=["a"])
        await client.close()
    assert asked == 3 and len(llm.completions()) == 3  # the open breaker did not call


async def test_the_key_goes_in_the_header_and_nowhere_else(
    library: PromptLibrary, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "sk-test-0123456789"
    with FakeLLM(models=["big", "small"], key=secret) as llm:
        llm.answers.extend(["bad", "still bad"])
        settings = Settings(llm_url=llm.url, llm_model="big", llm_model_small="small",
                            llm_api_key=SecretStr(secret))
        endpoint = LLMEndpoint.from_settings(settings)
        assert endpoint is not None
        client = LLMClient(endpoint)
        await client.ask(library.get("pick"), options=["a"])
        await client.close()
    assert llm.requests[0].headers["authorization"] == f"Bearer {secret}"
    assert secret not in settings.model_dump_json()
    assert secret not in repr(settings) and secret not in repr(endpoint)
    assert secret not in caplog.text
    assert all(secret not in str(r.body) for r in llm.requests)


async def test_check_lists_models_and_says_which_configured_ones_are_missing() -> None:
    with FakeLLM(models=["big", "other"]) as llm:
        client = LLMClient(_endpoint(llm))
        found = await client.check()
        await client.close()
    assert found.reachable and found.models == ["big", "other"]
    assert found.wanted == {"big": True, "small": False} and not found.ok


async def test_check_of_an_endpoint_nobody_serves_says_so() -> None:
    endpoint = LLMEndpoint(url="http://127.0.0.1:9/v1", model="m", small_model="m",
                           timeout_s=2, max_retries=0)
    client = LLMClient(endpoint)
    found = await client.check()
    await client.close()
    assert not found.reachable and found.error


def test_without_an_endpoint_an_option_that_needs_one_says_how_to_set_it() -> None:
    assert LLMEndpoint.from_settings(Settings(llm_url=None)) is None
    with pytest.raises(LLMNotConfigured, match="QAFORGE_LLM_URL"):
        LLMEndpoint.required(Settings(llm_url=None), "--goal")


def test_the_small_model_defaults_to_the_strong_one() -> None:
    endpoint = LLMEndpoint.from_settings(Settings(llm_url="http://x/v1/", llm_model="m"))
    assert endpoint is not None and endpoint.url == "http://x/v1"
    assert endpoint.model_for(Tier.SMALL) == endpoint.model_for(Tier.STRONG) == "m"


async def test_a_second_run_asking_the_same_pays_no_token(
    library: PromptLibrary, sqlite_url: str
) -> None:
    from qaforge.store.database import Database
    from qaforge.store.llm_cache import LLMCache
    from qaforge.store.migrate import upgrade

    upgrade(sqlite_url)
    db = Database(sqlite_url)
    try:
        with FakeLLM(models=["big", "small"]) as llm:
            llm.answers.extend(
                ['{"choice": "a"}', '{"choice": "a", "count": 1}', '{"choice": "b", "count": 2}']
            )
            first = LLMClient(_endpoint(llm), cache=LLMCache(db))
            one = await first.ask(library.get("pick"), options=["a"])
            await first.close()
            second = LLMClient(_endpoint(llm), cache=LLMCache(db))
            two = await second.ask(library.get("pick"), options=["a"])
            other = await second.ask(library.get("pick"), options=["b"])  # another question
            await second.close()
    finally:
        await db.dispose()
    assert one.value == two.value == Pick(choice="a", count=1)
    assert first.usage.tokens == 240 and first.usage.cache_hits == 0
    assert second.usage.cache_hits == 1 and second.usage.calls == 1  # only the new question
    assert other.value == Pick(choice="b", count=2)
    assert len(llm.completions()) == 3


async def test_a_spent_budget_stops_the_calls(library: PromptLibrary) -> None:
    with FakeLLM(models=["big", "small"]) as llm:
        llm.answers.extend(['{"choice": "a", "count": 1}'] * 3)
        client = LLMClient(_endpoint(llm), budget_tokens=200)
        await client.ask(library.get("pick"), options=["a"])  # 120 tokens
        await client.ask(library.get("pick"), options=["b"])  # 240: over, but it was asked
        with pytest.raises(LLMBudgetSpent, match="token budget of 200 is spent"):
            await client.ask(library.get("pick"), options=["c"])
        await client.close()
    assert len(llm.completions()) == 2


async def test_a_model_slower_than_the_timeout_is_unavailable_not_a_hang(
    library: PromptLibrary,
) -> None:
    with FakeLLM(models=["big", "small"], delay_s=2.0) as llm:
        endpoint = LLMEndpoint(url=llm.url, model="big", small_model="small", timeout_s=0.5,
                               max_retries=0)
        client = LLMClient(endpoint)
        with pytest.raises(LLMUnavailable, match="failed"):
            await client.ask(library.get("pick"), options=["a"])
        await client.close()


async def test_an_error_that_echoes_the_key_is_told_without_it(library: PromptLibrary) -> None:
    secret = "sk-echoed-0123456789"
    with FakeLLM(models=["big", "small"], key=secret) as llm:
        llm.failures.append(500)
        endpoint = LLMEndpoint(url=llm.url, model="big", small_model="small", max_retries=0,
                               api_key=SecretStr(secret))
        client = LLMClient(endpoint)
        with pytest.raises(LLMUnavailable) as caught:
            await client.ask(library.get("pick"), options=["a"])
        llm.failures.append(500)
        found = await client.check()
        await client.close()
    assert "***" in str(caught.value) and secret not in str(caught.value)
    assert caught.value.__cause__ is None  # the SDK's error (request, headers) is not chained
    assert "***" in found.error and secret not in found.error
