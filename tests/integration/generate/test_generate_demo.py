"""Scenarios, risk and code generated from the crawled demo shop."""

from __future__ import annotations

import ast
import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest

from qaforge.agents.analysis import AnalysisAgent
from qaforge.agents.evolution import EvolutionAgent
from qaforge.agents.requirements import RequirementsAgent
from qaforge.config import Settings
from qaforge.contracts.envelope import Task
from qaforge.generate.risk import apply_budget, score
from qaforge.generate.scenarios import Requirements, derive_scenarios, load_scenarios
from qaforge.models import AppModel, ScenarioKind, StepKind, TestSuite

pytestmark = pytest.mark.browser


def test_every_kind_is_derived(demo_model: AppModel) -> None:
    scenarios = derive_scenarios(demo_model, accessibility=True)
    kinds = Counter(s.kind for s in scenarios)
    for kind in ScenarioKind:
        if kind is ScenarioKind.GOAL:
            # Only a goal the user named (--goal, --stories) makes one: test_goals_demo.py.
            assert kinds[kind] == 0, "a goal scenario without a goal"
        else:
            assert kinds[kind] >= 1, f"no {kind.value} scenario"
    for s in scenarios:
        assert s.given and s.when and s.then
        assert s.steps[0].kind == StepKind.GOTO


def test_every_template_form_and_kept_transition_is_covered(demo_model: AppModel) -> None:
    scenarios = derive_scenarios(demo_model)
    states = {sid for s in scenarios for sid in s.source_states}
    assert {s.url_template for s in demo_model.states if s.id in states} == set(
        demo_model.templates()
    )
    covered = {t for s in scenarios for t in s.source_transitions}
    requirements = Requirements(demo_model)
    kept = {t.id for t in requirements.kept}
    assert kept <= covered
    # The only kept transitions that build no test are the shop's links to the page they are
    # on (its logo and "Home" on the home page): a page-load test already shows them.
    dropped = [t for t in demo_model.transitions if t.kept and t.id not in kept]
    assert dropped and all(requirements.links_to_itself(t) for t in dropped)
    submitted = {t.action.form_id for t in demo_model.transitions if t.action.form_id}
    covered_forms = {
        t.action.form_id for t in demo_model.transitions if t.id in covered and t.action.form_id
    }
    assert submitted <= covered_forms


def test_assertions_use_only_stable_texts(demo_model: AppModel) -> None:
    deals_texts = {t for s in demo_model.states for t in s.visible_texts if "Deal of the day" in t}
    assert deals_texts, "the crawl should have seen the flaky deal text"
    for sc in derive_scenarios(demo_model):
        for step in sc.steps:
            if step.kind in {StepKind.EXPECT_TEXT, StepKind.EXPECT_VISIBLE}:
                assert step.text not in deals_texts


def test_defects_are_labelled(demo_model: AppModel) -> None:
    flagged = {s.kind for s in derive_scenarios(demo_model) if s.expect_defect}
    assert flagged == {ScenarioKind.LINK_INTEGRITY, ScenarioKind.PAGE_LOADS}


def test_risk_puts_checkout_above_navigation_and_budget_notes(demo_model: AppModel) -> None:
    ranked = score(derive_scenarios(demo_model), demo_model, "demo-shop")
    assert all(0.0 <= s.risk <= 1.0 and s.risk_reasons for s in ranked)
    assert [s.risk for s in ranked] == sorted((s.risk for s in ranked), reverse=True)
    checkout = max(s.risk for s in ranked if "checkout" in s.title)
    nav = max(s.risk for s in ranked if s.kind == ScenarioKind.NAVIGATION)
    assert checkout > nav
    kept, dropped, notes = apply_budget(ranked, 10)
    assert len(kept) == 10 and len(dropped) == len(ranked) - 10
    assert notes and all("covered by no test" in n for n in notes)


def test_agents_write_a_parseable_suite_in_both_languages(
    demo_model_path: Path, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home")
    out = tmp_path / "run"
    out.mkdir()
    model = str(demo_model_path)

    async def go(lang: str) -> TestSuite:
        r = await RequirementsAgent(settings).handle(
            Task(type="require", payload={"model_path": model, "out_dir": str(out)})
        )
        assert r.ok, r.error
        scen = str(out / "scenarios.json")
        r = await AnalysisAgent(settings).handle(
            Task(type="analyze", payload={"model_path": model, "scenarios_path": scen, "app": "d"})
        )
        assert r.ok, r.error
        r = await EvolutionAgent(settings).handle(
            Task(
                type="evolve",
                payload={
                    "model_path": model,
                    "scenarios_path": scen,
                    "out_dir": str(out / lang),
                    "language": lang,
                },
            )
        )
        assert r.ok, r.error
        return TestSuite.model_validate_json(Path(r.payload["suite_path"]).read_text())

    suite = asyncio.run(go("python"))
    tests_dir = Path(suite.directory)
    assert len(suite.tests) == len(load_scenarios(out / "scenarios.json"))
    for f in tests_dir.glob("*.py"):
        tree = ast.parse(f.read_text())
        for fn in [n for n in tree.body if isinstance(n, ast.FunctionDef)]:
            if fn.name.startswith("test_"):
                assert ast.get_docstring(fn, clean=True).startswith("Scenario:")
    text = "\n".join(f.read_text() for f in tests_dir.glob("*.py"))
    assert "wait_for_timeout" not in text and "sleep" not in text
    assert "'demo'" not in text and '"demo"' not in text  # no credential in the code
    assert (tests_dir / "scenarios.feature").read_text().count("Scenario:") == len(suite.tests)
    ts_suite = asyncio.run(go("ts"))
    assert ts_suite.language == "typescript"
    assert any(Path(ts_suite.directory).glob("*.spec.ts"))
    json.loads((Path(ts_suite.directory) / "tsconfig.json").read_text())


def test_unknown_strategy_is_a_clear_error(demo_model_path: Path, tmp_path: Path) -> None:
    r = asyncio.run(
        EvolutionAgent(Settings()).handle(
            Task(
                type="evolve",
                payload={
                    "model_path": str(demo_model_path),
                    "scenarios_path": str(tmp_path / "none.json"),
                    "out_dir": str(tmp_path),
                    "strategy": "nope",
                },
            )
        )
    )
    assert not r.ok and "unknown strategy 'nope'" in (r.error or "")
