"""A control whose locator the crawl saw match several elements on its page is neither pressed
nor asserted: TiddlyWiki's "close" was unique with one tiddler open and not with three, and its
test failed in strict mode on a healthy wiki."""

from __future__ import annotations

from qaforge.generate.scenarios import Requirements, crowded_elements, derive_scenarios
from qaforge.models import (
    Action,
    ActionKind,
    AppModel,
    Element,
    Locator,
    LocatorStrategy,
    Outcome,
    ScenarioKind,
    State,
    Target,
    Transition,
)


def el(eid: str, role: str, name: str, count: int = 1) -> Element:
    loc = Locator(strategy=LocatorStrategy.ROLE, value=role, name=name, count=count)
    return Element(id=eid, role=role, name=name, locators=[loc])


def state(sid: str, elements: list[Element], texts: list[str], reach: bool = True) -> State:
    return State(
        id=sid,
        url="http://x/",
        url_template="/",
        reach_url="http://x/" if reach else None,
        elements=elements,
        stable_texts=texts,
    )


def click(tid: str, src: str, dst: str, eid: str, label: str) -> Transition:
    return Transition(
        id=tid,
        source=src,
        target=dst,
        action=Action(kind=ActionKind.CLICK, element_id=eid, label=label),
        outcome=Outcome.DOM_CHANGED,
        appeared_texts=["Recent", "Tools"],
    )


def model(close_count_elsewhere: int) -> AppModel:
    one = state(
        "one",
        [
            el("h", "heading", "GettingStarted"),
            el("c", "button", "close"),
            el("m", "button", "more"),
        ],
        ["GettingStarted", "close", "more"],
    )
    # The same page with three tiddlers open: "close" now matches three buttons.
    three = state(
        "three",
        [el("h", "heading", "GettingStarted"), el("c", "button", "close", close_count_elsewhere)],
        ["GettingStarted", "close"],
        reach=False,
    )
    closed = state("closed", [el("r", "heading", "Recent")], ["Recent"], reach=False)
    tools = state("tools", [el("t", "heading", "Tools")], ["Tools"], reach=False)
    return AppModel(
        target=Target(url="http://x/"),
        states=[one, three, closed, tools],
        transitions=[
            click("t-close", "one", "closed", "c", "close"),
            click("t-more", "one", "tools", "m", "more"),
        ],
    )


def interactions(m: AppModel) -> set[str]:
    return {s.title for s in derive_scenarios(m) if s.kind == ScenarioKind.INTERACTION}


def test_a_control_ambiguous_in_another_state_of_its_page_builds_no_test() -> None:
    m = model(close_count_elsewhere=3)
    assert crowded_elements(m) == {"c"}
    assert interactions(m) == {"more on / changes the page"}
    one = next(s for s in m.states if s.id == "one")
    asserted = [e.name for e in Requirements(m).asserted_elements(one, one.stable_texts)]
    assert asserted == ["GettingStarted", "more"]


def test_a_control_unique_in_every_state_is_pressed() -> None:
    m = model(close_count_elsewhere=1)
    assert crowded_elements(m) == set()
    assert interactions(m) == {"more on / changes the page", "close on / changes the page"}
    one = next(s for s in m.states if s.id == "one")
    asserted = [e.name for e in Requirements(m).asserted_elements(one, one.stable_texts)]
    assert asserted == ["GettingStarted", "close", "more"]
