"""A planned goal becomes steps only over what the crawl found: an answer naming an element,
form, state or text the model does not have is rejected, a checked one uses the model's own
locators."""

from __future__ import annotations

from qaforge.generate.goals import (
    GoalPlan,
    PlannedExpectation,
    PlannedScenario,
    PlannedStep,
    check_plan,
    model_view,
    to_scenario,
)
from qaforge.generate.scenarios import Requirements
from qaforge.models import (
    AppModel,
    Element,
    Form,
    FormField,
    Locator,
    LocatorStrategy,
    State,
    StepKind,
    Target,
)


def _el(eid: str, role: str, name: str, unique: bool = True) -> Element:
    loc = Locator(strategy=LocatorStrategy.ROLE, value=role, name=name, count=1 if unique else 3)
    return Element(id=eid, role=role, name=name, locators=[loc])


def _model() -> AppModel:
    lamp = State(
        id="lamp",
        url="http://x/items/7",
        url_template="/items/{id}",
        reach_url="http://x/items/7",
        title="Desk lamp",
        elements=[_el("add", "button", "Add to cart"), _el("more", "link", "More", False)],
        stable_texts=["Desk lamp", "Add to cart"],
    )
    cart = State(
        id="cart",
        url="http://x/cart",
        url_template="/cart",
        reach_url="http://x/cart",
        elements=[_el("code", "textbox", "Coupon"), _el("apply", "button", "Apply")],
        forms=[Form(id="coupon", fields=[FormField(name="code", element_id="code")],
                    submit="apply")],
        stable_texts=["Your cart", "Coupon applied"],
    )
    return AppModel(target=Target(url="http://x/"), states=[lamp, cart])


def _plan(*steps: PlannedStep, expect: list[PlannedExpectation] | None = None) -> GoalPlan:
    return GoalPlan(
        scenarios=[
            PlannedScenario(
                title="buy a lamp with a coupon",
                steps=list(steps),
                expect=expect or [PlannedExpectation(kind="text", value="Coupon applied")],
            )
        ]
    )


GOOD = [
    PlannedStep(action="click", state_id="lamp", element_id="add"),
    PlannedStep(action="fill", state_id="cart", element_id="code", value="SAVE10"),
    PlannedStep(action="submit", state_id="cart", form_id="coupon"),
]


def test_a_plan_over_the_model_becomes_steps_with_the_models_locators() -> None:
    model = _model()
    kept, rejected = check_plan(_plan(*GOOD), model)
    assert rejected == [] and len(kept) == 1
    sc = to_scenario(kept[0], "a visitor buys a lamp with a coupon", model, Requirements(model))
    kinds = [(s.kind, s.element_id, s.value) for s in sc.steps]
    assert kinds == [
        (StepKind.GOTO, None, None),
        (StepKind.CLICK, "add", None),
        (StepKind.FILL, "code", "SAVE10"),
        (StepKind.CLICK, "apply", None),
        (StepKind.EXPECT_TEXT, None, None),
    ]
    assert sc.steps[1].locator == model.states[0].elements[0].locators[0]
    assert sc.steps[-1].text == "Coupon applied"
    assert sc.kind == "goal" and sc.source_states == ["cart", "lamp"]


def test_an_answer_naming_what_the_model_does_not_have_is_rejected() -> None:
    model = _model()
    cases = {
        "state 'checkout'": _plan(PlannedStep(action="click", state_id="checkout",
                                              element_id="add")),
        "element 'apply', not on state lamp": _plan(PlannedStep(action="click", state_id="lamp",
                                                               element_id="apply")),
        "form 'pay'": _plan(PlannedStep(action="submit", state_id="cart", form_id="pay")),
        "no unique locator": _plan(PlannedStep(action="click", state_id="lamp",
                                               element_id="more")),
        "never saw": _plan(*GOOD, expect=[PlannedExpectation(kind="text", value="You won")]),
        "state 'paid'": _plan(*GOOD, expect=[PlannedExpectation(kind="state", value="paid")]),
    }
    for why, plan in cases.items():
        kept, rejected = check_plan(plan, model)
        assert kept == [], why
        assert len(rejected) == 1 and why in rejected[0], (why, rejected)


def test_the_view_shows_ids_and_only_controls_a_test_can_find() -> None:
    view = model_view(_model())
    assert [s["state_id"] for s in view] == ["lamp", "cart"]
    assert [e["id"] for e in view[0]["elements"]] == ["add"]  # "more" has no unique locator
    assert view[1]["forms"][0] == {
        "id": "coupon", "purpose": "", "submit": "apply",
        "fields": [{"name": "code", "type": "text"}],
    }
