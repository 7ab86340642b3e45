"""A generated test is marked as changing the app when any of its steps may: the reruns check
needs to know, whatever the scenario's kind."""

from __future__ import annotations

from qaforge.generate.suite import changes_app
from qaforge.models import Locator, LocatorStrategy, Scenario, ScenarioKind, Step, StepKind


def scenario(*steps: Step) -> Scenario:
    return Scenario(
        id="s",
        kind=ScenarioKind.NAVIGATION,
        title="t",
        given="g",
        when="w",
        then="t",
        steps=list(steps),
    )


def click(role: str, name: str) -> Step:
    return Step(
        kind=StepKind.CLICK,
        locator=Locator(strategy=LocatorStrategy.ROLE, value=role, name=name, count=1),
    )


GOTO = Step(kind=StepKind.GOTO, url="/cart")
SEE = Step(kind=StepKind.EXPECT_URL, url="/cart")


def test_opening_pages_and_following_links_changes_nothing() -> None:
    assert not changes_app(scenario(GOTO, click("link", "Cart"), SEE))


def test_a_button_a_field_or_a_submit_in_any_step_changes_the_app() -> None:
    assert changes_app(scenario(GOTO, click("button", "Add to cart"), click("link", "Cart"), SEE))
    assert changes_app(scenario(GOTO, Step(kind=StepKind.FILL, value="x"), SEE))
    assert changes_app(scenario(GOTO, Step(kind=StepKind.SUBMIT), SEE))
    # A click the generator has no locator for is not known to be a link.
    assert changes_app(scenario(GOTO, Step(kind=StepKind.CLICK), SEE))
