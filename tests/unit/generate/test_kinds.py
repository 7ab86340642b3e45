"""Scenario kinds are an extension point: one module and one registration add a kind, and a
kind registered inconsistently fails when the registry is built, not in the middle of a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaforge.generate.kinds import KindRegistry, KindSpec, ScenarioKindError
from qaforge.generate.risk import score
from qaforge.generate.scenarios import (
    Requirements,
    builtin_kinds,
    default_kinds,
    derive_scenarios,
)
from qaforge.generate.strategy import get_strategy
from qaforge.generate.suite import write_suite
from qaforge.models import (
    AppModel,
    Element,
    Locator,
    LocatorStrategy,
    Scenario,
    ScenarioKind,
    State,
    Step,
    StepKind,
    Target,
)


def _heading_shown(r: Requirements, earlier: list[Scenario]) -> list[Scenario]:
    """A toy kind: each page opened from its URL shows its template's first heading."""
    out = []
    for template, states in sorted(r.templates.items()):
        state = next((s for s in states if s.reach_url), None)
        heads = [e for e in state.elements if e.role == "heading"] if state else []
        if state is None or not heads:
            continue
        steps = [*r.reach_steps(state), r.element_step(StepKind.EXPECT_VISIBLE, heads[0])]
        out.append(
            r.scenario(
                "heading-shown",
                f"{template} shows its heading",
                r.given(state),
                f"I open {template}",
                f"I see {heads[0].name!r}",
                steps,
                [state.id],
                [],
                template,
                state.requires_login,
            )
        )
    return out


TOY = KindSpec(
    "heading-shown",
    0.42,
    frozenset({StepKind.GOTO, StepKind.EXPECT_VISIBLE}),
    _heading_shown,
)


def _model() -> AppModel:
    heading = Element(
        id="h",
        role="heading",
        name="Reports",
        locators=[Locator(strategy=LocatorStrategy.ROLE, value="heading", name="Reports", count=1)],
    )
    page = State(
        id="r",
        url="http://x/reports",
        url_template="/reports",
        reach_url="http://x/reports",
        elements=[heading],
        stable_texts=["Reports"],
    )
    return AppModel(target=Target(url="http://x/", app="site"), states=[page])


def test_a_registered_kind_is_derived_scored_and_written(tmp_path: Path) -> None:
    kinds = KindRegistry([*builtin_kinds(), TOY])
    model = _model()
    scenarios = derive_scenarios(model, kinds=kinds)
    toy = [s for s in scenarios if s.kind == "heading-shown"]
    assert [s.title for s in toy] == ["/reports shows its heading"]
    # The built-in kinds are still derived beside it.
    assert any(s.kind == ScenarioKind.PAGE_LOADS for s in scenarios)
    [ranked] = [s for s in score(scenarios, model, "site", kinds=kinds) if s.kind == TOY.name]
    assert "kind:heading-shown (+0.42)" in ranked.risk_reasons
    suite = write_suite(model, scenarios, tmp_path, get_strategy("balanced"))
    [test] = [t for t in suite.tests if t.kind == "heading-shown"]
    source = (tmp_path / test.file).read_text()
    assert f"def {test.function}(" in source
    assert 'get_by_role("heading", name="Reports"' in source


def test_a_kind_registered_inconsistently_fails_when_the_registry_is_built() -> None:
    with pytest.raises(ScenarioKindError, match="'heading-shown' is registered twice"):
        KindRegistry([*builtin_kinds(), TOY, TOY])
    without_flows = [k for k in builtin_kinds() if k.name != ScenarioKind.FLOW]
    with pytest.raises(ScenarioKindError, match=r"not registered: \['flow'\]"):
        KindRegistry(without_flows)
    with pytest.raises(ScenarioKindError, match=r"base risk 1\.5 is not within 0\.\.1"):
        KindRegistry([*builtin_kinds(), KindSpec("odd", 1.5, TOY.steps, _heading_shown)])
    with pytest.raises(ScenarioKindError, match="'orphan' has no derivation"):
        KindRegistry([*builtin_kinds(), KindSpec("orphan", 0.1, TOY.steps, derived_by="nope")])
    with pytest.raises(ScenarioKindError, match="'mute' declares no step kinds"):
        KindRegistry([*builtin_kinds(), KindSpec("mute", 0.1, frozenset(), _heading_shown)])


def test_a_derivation_that_breaks_its_declaration_fails_with_both_names() -> None:
    sloppy = KindSpec("heading-shown", 0.2, frozenset({StepKind.GOTO}), _heading_shown)
    with pytest.raises(
        ScenarioKindError,
        match=r"'heading-shown' uses step kinds it does not "
        r"declare: \['expect_visible'\]",
    ):
        derive_scenarios(_model(), kinds=KindRegistry([*builtin_kinds(), sloppy]))

    def poacher(r: Requirements, earlier: list[Scenario]) -> list[Scenario]:
        return [s.model_copy(update={"kind": "flow"}) for s in _heading_shown(r, earlier)]

    greedy = KindSpec("greedy", 0.2, TOY.steps, poacher)
    with pytest.raises(ScenarioKindError, match="derivation of 'greedy' made a 'flow' scenario"):
        derive_scenarios(_model(), kinds=KindRegistry([*builtin_kinds(), greedy]))
    with pytest.raises(ScenarioKindError, match="unknown scenario kind 'nope'"):
        default_kinds().risk("nope")


def test_the_default_registry_holds_every_built_in_kind_in_derivation_order() -> None:
    kinds = default_kinds(plugins=False)
    assert set(kinds) == {k.value for k in ScenarioKind}
    # The path cover walks what the other kinds left uncovered, so it comes after them.
    order = list(kinds)
    assert order.index("flow") > max(order.index(k) for k in ("navigation", "interaction"))
    # Every built-in step the emitters write is declared by some kind.
    declared = {s for k in kinds.values() for s in k.steps}
    assert declared >= set(StepKind) - {StepKind.LOGIN}
    assert Step(kind=StepKind.GOTO).kind in kinds["page-loads"].steps
