"""Readable Given/When/Then: a rewording is used only for a scenario of the batch and only if
it keeps every quoted text the test uses; the steps never change."""

from __future__ import annotations

import json

from qaforge.contracts.answers import ANSWERS
from qaforge.generate.readable import reword
from qaforge.llm.client import LLMClient
from qaforge.llm.endpoint import LLMEndpoint
from qaforge.llm.prompts import PromptLibrary
from qaforge.models import Scenario, Step, StepKind
from tests.fixtures.fake_llm import FakeLLM


def _sc(sid: str, then: str) -> Scenario:
    return Scenario(
        id=sid, kind="navigation", title=f"{sid} title", given="I open /", when="I click 'Cart'",
        then=then, steps=[Step(kind=StepKind.GOTO, url="/"), Step(kind=StepKind.CLICK, text="Cart")],
    )


async def test_rewordings_that_keep_the_quoted_texts_replace_the_generated_ones() -> None:
    a, b, c = _sc("a", "I am on /cart and see 'Your cart'"), _sc("b", "I see 'Total'"), _sc("c", "x")
    steps_before = [s.model_dump() for s in (a, b, c)]
    answer = {"items": [
        {"id": "a", "given": "a shopper on the home page", "when": "they press 'Cart'",
         "then": "their cart opens, titled 'Your cart'"},
        # Loses 'Total': the test asserts it, the wording must say so.
        {"id": "b", "given": "a shopper", "when": "they press 'Cart'", "then": "they see a sum"},
        {"id": "zzz", "given": "g", "when": "w", "then": "t"},  # not in the batch
    ]}
    with FakeLLM(models=["m"]) as llm:
        llm.answers.append(json.dumps(answer))
        client = LLMClient(LLMEndpoint(url=llm.url, model="m", small_model="m", max_retries=0))
        changed = await reword(client, PromptLibrary(ANSWERS).get("readable-requirements"),
                               [a, b, c])
        await client.close()
    assert changed == 1
    assert (a.given, a.when, a.then) == (
        "a shopper on the home page", "they press 'Cart'", "their cart opens, titled 'Your cart'"
    )
    assert b.then == "I see 'Total'" and c.then == "x"
    assert [s.model_dump()["steps"] for s in (a, b, c)] == [s["steps"] for s in steps_before]
    sent = llm.completions()[0].body["messages"][1]["content"]
    assert json.loads(sent.split("```data\n", 1)[1].rsplit("\n```", 1)[0])[0]["id"] == "a"


async def test_a_text_with_an_apostrophe_is_kept_too() -> None:
    sc = _sc("a", 'I see "Don\'t have an account?"')
    with FakeLLM(models=["m"]) as llm:
        llm.answers.append(json.dumps({"items": [
            {"id": "a", "given": "a visitor", "when": "they press 'Cart'", "then": "a prompt"},
        ]}))
        client = LLMClient(LLMEndpoint(url=llm.url, model="m", small_model="m", max_retries=0))
        changed = await reword(client, PromptLibrary(ANSWERS).get("readable-requirements"), [sc])
        await client.close()
    assert changed == 0 and sc.then == 'I see "Don\'t have an account?"'
