"""Goals on the demo shop, planned by a language model (a local server speaking the OpenAI
protocol, scripted with ids from the demo run's own model): a plan the live shop confirms
becomes a goal scenario; a goal the planner finds no way to, and one whose plan fails on the
live shop, are findings of the run."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from pydantic import SecretStr

from qaforge.agents.requirements import RequirementsAgent
from qaforge.config import Settings
from qaforge.contracts.answers import GoalPlan, PlannedExpectation, PlannedScenario, PlannedStep
from qaforge.contracts.envelope import Task
from qaforge.contracts.tasks import REQUIRE, RequireRequest
from qaforge.generate.scenarios import load_scenarios
from qaforge.models import ActionKind, AppModel
from qaforge.orchestrate.request import RunOutcome
from tests.fixtures.fake_llm import FakeLLM

pytestmark = pytest.mark.browser


def _a_link_to_another_page(model: AppModel) -> tuple[str, str, str]:
    """(source state, element, target state) of a click the crawl confirmed."""
    for t in model.transitions:
        src, dst = model.state(t.source), model.state(t.target or "")
        el = src.element(t.action.element_id or "") if src else None
        if (
            t.action.kind == ActionKind.CLICK
            and src is not None
            and dst is not None
            and el is not None
            and el.role == "link"
            and el.best_locator() is not None
            and src.reach_url
            and dst.url_template != src.url_template
            and "{" not in dst.url_template
        ):
            return src.id, el.id, dst.id
    raise AssertionError("the demo model has no plain link between two pages")


def test_goals_become_verified_scenarios_or_findings(
    demo_run: RunOutcome, demo_credentials: None, tmp_path: Path
) -> None:
    run_dir = Path(demo_run.summary.artifacts.tests_dir).parent
    model_path = tmp_path / "model.json"
    shutil.copy(run_dir / "model.json", model_path)
    model = AppModel.load(model_path)
    source, link, target = _a_link_to_another_page(model)
    elsewhere = next(
        t for s in model.states if s.id not in {source, target} for t in s.stable_texts
        if t not in {x for y in (model.state(source), model.state(target)) if y
                     for x in y.stable_texts}
    )
    reachable = GoalPlan(scenarios=[PlannedScenario(
        title="open the page from its link",
        steps=[PlannedStep(action="click", state_id=source, element_id=link)],
        expect=[PlannedExpectation(kind="state", value=target)],
    )])
    # Every id is the model's, but the page it leads to never shows that text.
    fails_live = GoalPlan(scenarios=[PlannedScenario(
        title="see a text of another page",
        steps=[PlannedStep(action="click", state_id=source, element_id=link)],
        expect=[PlannedExpectation(kind="text", value=elsewhere)],
    )])
    secret = "sk-goals-demo-0123456789"
    with FakeLLM(models=["planner"], key=secret) as llm:
        llm.answers.extend([
            reachable.model_dump_json(),
            '{"scenarios": [], "unreachable": "the shop has no coupon field"}',
            fails_live.model_dump_json(),
        ])
        settings = Settings(home=tmp_path / "home", llm_url=llm.url, llm_model="planner",
                            llm_api_key=SecretStr(secret))
        agent = RequirementsAgent(settings)
        req = RequireRequest(
            model_path=str(model_path),
            out_dir=str(tmp_path),
            goals=["reach the page", "apply a coupon", "see another page's text"],
        )
        result = asyncio.run(agent.handle(Task(type=REQUIRE, payload=req.model_dump())))
    assert result.ok, result.error
    assert result.tokens == 3 * 120  # what the endpoint said each answer cost
    goal_scenarios = [s for s in load_scenarios(tmp_path / "scenarios.json") if s.kind == "goal"]
    assert [s.title for s in goal_scenarios] == ["open the page from its link"]
    outcomes = json.loads((tmp_path / "goals.json").read_text())["goals"]
    assert [len(o["scenarios"]) for o in outcomes] == [1, 0, 0]
    [failed] = outcomes[2]["failed"].values()
    assert failed.startswith("see a text of another page: ")
    findings = {f.where: f.detail for f in AppModel.load(model_path).findings
                if f.kind == "goal-not-reached"}
    assert findings == {
        "apply a coupon": "no way found: the shop has no coupon field",
        "see another page's text": findings["see another page's text"],
    }
    assert findings["see another page's text"].startswith(
        "every planned scenario failed on the live app: see a text of another page: "
    )
    figures = result.payload["goals"]
    assert {k: figures[k] for k in ("asked", "reached", "scenarios", "not_reached", "failed_live",
                                     "calls", "tokens", "cache_hits")} == {
        "asked": 3, "reached": 1, "scenarios": 1, "not_reached": 2, "failed_live": 1,
        "calls": 3, "tokens": 360, "cache_hits": 0,
    }

    # The same goals again, the fake server gone (a call would fail): every answer comes
    # from the cache and no token is spent.
    shutil.copy(run_dir / "model.json", model_path)
    again = asyncio.run(agent.handle(Task(type=REQUIRE, payload=req.model_dump())))
    assert again.ok and again.tokens == 0
    assert again.payload["goals"]["cache_hits"] == 3 and again.payload["goals"]["reached"] == 1

    # The key went to the endpoint and nowhere else: no file of the run holds it.
    assert llm.requests[0].headers["authorization"] == f"Bearer {secret}"
    holding = [p for p in tmp_path.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    assert holding == []
