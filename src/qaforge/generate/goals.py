"""Goals and user stories as scenarios, planned by a language model over the app model.

The model sees a compact view of what the crawl found (states, their controls and forms, by
id) and answers a `GoalPlan`: scenarios whose steps name elements *by their id in the model*.
Nothing in the answer becomes code directly: `check_plan` rejects a step or expectation that
names a state, element, form or text the model does not have, and `to_scenario` turns what is
left into ordinary steps with the model's own locators, for our emitters to write."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from qaforge.contracts.answers import (
    GoalPlan,
    PlannedScenario,
)
from qaforge.generate.scenarios import Requirements, template_regex
from qaforge.llm.client import LLMClient
from qaforge.llm.prompts import Prompt
from qaforge.models import AppModel, Scenario, ScenarioKind, State, Step, StepKind, stable_id

GOAL_KIND = ScenarioKind.GOAL.value

# Element steps the plan may use, and the step kinds they become.
_ELEMENT_STEPS = {
    "click": StepKind.CLICK,
    "fill": StepKind.FILL,
    "select": StepKind.SELECT,
    "check": StepKind.CHECK,
}


def model_view(
    model: AppModel, max_states: int = 40, max_elements: int = 40
) -> list[dict[str, Any]]:
    """What the planner is shown of the app: states with their controls and forms by id.

    Every text in it was read from the app: it goes into the prompt as data."""
    view: list[dict[str, Any]] = []
    for state in model.states[:max_states]:
        view.append(
            {
                "state_id": state.id,
                "url": state.url_template,
                "title": state.title,
                "headings": state.headings[:6],
                "elements": [
                    {"id": e.id, "role": e.role or e.tag, "name": e.name[:80]}
                    for e in state.elements[:max_elements]
                    if e.visible and e.best_locator() is not None
                ],
                "forms": [
                    {
                        "id": f.id,
                        "purpose": f.purpose,
                        "submit": f.submit,
                        "fields": [{"name": x.name, "type": x.type} for x in f.fields],
                    }
                    for f in state.forms
                ],
                "texts": state.stable_texts[:12],
            }
        )
    return view


def _texts_of(state: State) -> set[str]:
    return {t.strip() for t in [*state.stable_texts, *state.headings, state.title] if t.strip()}


def check_plan(plan: GoalPlan, model: AppModel) -> tuple[list[PlannedScenario], list[str]]:
    """The planned scenarios that name only what the model has, and why each other one was
    rejected."""
    states = {s.id: s for s in model.states}
    seen_texts = set().union(*(_texts_of(s) for s in model.states)) if model.states else set()
    kept: list[PlannedScenario] = []
    rejected: list[str] = []
    for sc in plan.scenarios:
        problem = _problem(sc, states, seen_texts)
        if problem:
            rejected.append(f"{sc.title!r}: {problem}")
        else:
            kept.append(sc)
    return kept, rejected


def _problem(sc: PlannedScenario, states: dict[str, State], seen_texts: set[str]) -> str:
    for i, step in enumerate(sc.steps, 1):
        state = states.get(step.state_id)
        if state is None:
            return f"step {i} starts from state {step.state_id!r}, which the model does not have"
        if step.action == "submit":
            form = next((f for f in state.forms if f.id == step.form_id), None)
            if form is None:
                return f"step {i} submits form {step.form_id!r}, not on state {state.id}"
            continue
        el = state.element(step.element_id or "")
        if el is None:
            return f"step {i} uses element {step.element_id!r}, not on state {state.id}"
        if el.best_locator() is None:
            return f"step {i} uses element {el.id}, which has no unique locator"
    for ex in sc.expect:
        if ex.kind == "state" and ex.value not in states:
            return f"it expects state {ex.value!r}, which the model does not have"
        if ex.kind == "text" and ex.value.strip() not in seen_texts:
            return f"it expects the text {ex.value!r}, which the crawl never saw"
    return ""


def to_scenario(sc: PlannedScenario, goal: str, model: AppModel, req: Requirements) -> Scenario:
    """A checked planned scenario as ordinary steps with the model's locators."""
    first = model.state(sc.steps[0].state_id)
    assert first is not None  # check_plan saw to it
    steps: list[Step] = list(req.reach_steps(first))
    for step in sc.steps:
        state = model.state(step.state_id)
        assert state is not None
        if step.action == "submit":
            form = next(f for f in state.forms if f.id == step.form_id)
            submit = state.element(form.submit or "")
            if submit is not None:
                steps.append(req.element_step(StepKind.CLICK, submit))
            continue
        el = state.element(step.element_id or "")
        assert el is not None
        kind = _ELEMENT_STEPS[step.action]
        value = step.value if kind in {StepKind.FILL, StepKind.SELECT} else None
        steps.append(req.element_step(kind, el, value=value))
    for ex in sc.expect:
        if ex.kind == "state":
            target = model.state(ex.value)
            assert target is not None
            regex = template_regex(target.url_template, req.identifying_keys(target.url_template))
            steps.append(Step(kind=StepKind.EXPECT_URL, url=regex, state_id=target.id))
        else:
            steps.append(Step(kind=StepKind.EXPECT_TEXT, text=ex.value.strip()))
    scenario = req.scenario(
        GOAL_KIND,
        sc.title,
        f"the goal: {goal}",
        ", then ".join(f"{s.action} {s.element_id or s.form_id}" for s in sc.steps),
        "; ".join(f"{e.kind} {e.value}" for e in sc.expect),
        steps,
        sorted({s.state_id for s in sc.steps}),
        [],
        first.url_template,
        model.target.auth.kind == "form",
        tags=["goal"],
    )
    # Two plans with one title over the same pages are still two scenarios when their steps
    # differ (and one when they do not).
    scenario.id = stable_id(GOAL_KIND, goal, sc.model_dump(mode="json"))
    return scenario


class GoalOutcome(BaseModel):
    """What became of one goal: its checked scenarios (not yet run), what was rejected and
    why, or why the planner found no way (`unreachable`), or that its answer was invalid."""

    goal: str
    variant: str
    scenarios: list[Scenario] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list)
    unreachable: str = ""
    dropped: str = ""
    # Why the goal was not planned at all (the run's token budget was spent).
    skipped: str = ""
    # Set once the scenarios ran against the live app: scenario id -> why it failed.
    failed: dict[str, str] = Field(default_factory=dict)


async def plan_goal(client: LLMClient, prompt: Prompt, model: AppModel, goal: str) -> GoalOutcome:
    """Ask the planner for `goal` over `model`; keep the scenarios that name only what the
    model has, as steps with its locators."""
    answer = await client.ask(prompt, goal=goal, model=model_view(model))
    if answer.value is None:
        return GoalOutcome(goal=goal, variant=answer.variant, dropped=answer.error)
    plan = answer.value
    assert isinstance(plan, GoalPlan)
    kept, rejected = check_plan(plan, model)
    req = Requirements(model)
    unique: dict[str, Scenario] = {}
    for sc in kept:
        scenario = to_scenario(sc, goal, model, req)
        unique.setdefault(scenario.id, scenario)
    scenarios = list(unique.values())
    unreachable = plan.unreachable.strip()
    if not scenarios and not unreachable:
        unreachable = "the planner proposed nothing the app model has" + (
            f" ({len(rejected)} proposal(s) rejected)" if rejected else ""
        )
    return GoalOutcome(
        goal=goal,
        variant=answer.variant,
        scenarios=scenarios,
        rejected=rejected,
        unreachable=unreachable if not scenarios else "",
    )


# A top-level list item; an indented one is a detail of the story above it (its acceptance
# criteria), not a story of its own.
_BULLET = re.compile(r"^ {0,1}(?:[-*+]|\d+[.)])\s+(?P<text>.+)$")
MAX_GOALS = 20


def goals_from_stories(text: str) -> list[str]:
    """The goals of a user-stories file: each top-level list item, or each "As a ..." line; a
    file with neither gives one goal per paragraph. Headings are context, not goals."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    found = [m["text"].strip() for ln in lines if (m := _BULLET.match(ln))]
    found += [
        ln.strip()
        for ln in lines
        if ln.strip().lower().startswith("as a") and not _BULLET.match(ln)
    ]
    if not found:
        paragraphs = re.split(r"\n\s*\n", "\n".join(lines))
        found = [" ".join(p.split()) for p in paragraphs if p.strip()]
    seen: list[str] = []
    for goal in found:
        if goal not in seen:
            seen.append(goal)
    return seen
