"""URL checks assert what identifies a page, not every parameter a form happened to send."""

from __future__ import annotations

import re

from qaforge.generate.scenarios import Requirements, derive_scenarios, same_page, template_regex
from qaforge.models import (
    HISTORY_ONLY,
    Action,
    ActionKind,
    AppModel,
    Element,
    Locator,
    LocatorStrategy,
    Outcome,
    State,
    Target,
    Transition,
)


def model(*templates: str) -> AppModel:
    states = [
        State(id=f"s{i}", url="http://h" + t.replace("{", "").replace("}", ""), url_template=t)
        for i, t in enumerate(templates)
    ]
    return AppModel(target=Target(url="http://h/"), states=states)


def test_a_lone_template_needs_no_query_key() -> None:
    req = Requirements(model("/issue?@columns={@columns}&@filter={@filter}", "/about"))
    assert req.identifying_keys("/issue?@columns={@columns}&@filter={@filter}") == []
    rx = template_regex("/issue?@columns={@columns}&@filter={@filter}", [])
    assert re.search(rx, "http://h/issue?@group=x")
    assert re.search(rx, "http://h/issue")
    assert not re.search(rx, "http://h/issue/7")


def test_keys_that_tell_two_templates_of_one_path_apart_are_kept() -> None:
    req = Requirements(
        model("/catalogue", "/catalogue?page={page}", "/catalogue?page={page}&q={q}")
    )
    assert req.identifying_keys("/catalogue?page={page}") == ["page"]
    keys = req.identifying_keys("/catalogue?page={page}&q={q}")
    assert keys == ["page", "q"]
    rx = template_regex("/catalogue?page={page}&q={q}", keys)
    assert re.search(rx, "http://h/catalogue?q=lamp&sort=asc&page=1")
    assert not re.search(rx, "http://h/catalogue?page=2")


def test_a_link_to_the_page_it_is_on_is_no_navigation_test() -> None:
    assert same_page("http://h/", "http://h/#/") and same_page("http://h/a/", "http://h/a#")
    assert not same_page("http://h/", "http://h/#/experiments")
    assert not same_page("http://h/?page=2", "http://h/")

    def link(eid: str, name: str) -> Element:
        loc = Locator(strategy=LocatorStrategy.ROLE, value="link", name=name, count=1)
        return Element(id=eid, role="link", tag="a", name=name, locators=[loc])

    home = State(
        id="home",
        url="http://h/",
        url_template="/",
        reach_url="http://h/",
        headings=["Welcome"],
        elements=[link("e1", "Tracing"), link("e2", "Experiments")],
        stable_texts=["Welcome", "Tracing", "Experiments"],
    )
    root = home.model_copy(update={"id": "root", "url": "http://h/#/", "reach_url": "http://h/#/"})
    exps = State(
        id="exps",
        url="http://h/#/experiments",
        url_template="/#/experiments",
        reach_url="http://h/#/experiments",
        headings=["Experiments"],
        stable_texts=["Experiments"],
    )

    def follow(eid: str, name: str, dst: State) -> Transition:
        action = Action(kind=ActionKind.CLICK, element_id=eid, url=dst.url, label=name)
        return Transition(
            id=f"t-{eid}",
            source="home",
            action=action,
            outcome=Outcome.NAVIGATED,
            target=dst.id,
            target_url=dst.url,
            kept=True,
        )

    model = AppModel(
        target=Target(url="http://h/"),
        states=[home, root, exps],
        transitions=[follow("e1", "Tracing", root), follow("e2", "Experiments", exps)],
    )
    titles = [s.title for s in derive_scenarios(model)]
    assert any(t.startswith("Experiments on / leads to") for t in titles), titles
    assert not any(t.startswith("Tracing on /") for t in titles), titles
    # Nor is it a step of a flow.
    assert not any("Tracing" in t for t in titles), titles
    # An action the crawl could not repeat from a fresh start builds no test.
    model.transitions[1].reproduced = False
    titles = [s.title for s in derive_scenarios(model)]
    assert not any(t.startswith("Experiments on /") for t in titles), titles
    # Nor does a control only the crawl's own context showed on the page.
    model.transitions[1].reproduced = None
    assert any(s.title.startswith("Experiments on /") for s in derive_scenarios(model))
    home.elements[1].attributes[HISTORY_ONLY] = "1"
    titles = [s.title for s in derive_scenarios(model)]
    assert not any(t.startswith("Experiments on /") for t in titles), titles


def test_a_heading_only_the_crawls_history_showed_is_not_asserted() -> None:
    heading = Element(
        id="h1",
        role="heading",
        tag="h2",
        name="Settings",
        locators=[
            Locator(strategy=LocatorStrategy.ROLE, value="heading", name="Settings", count=1)
        ],
    )
    page = State(
        id="exp",
        url="http://h/#/experiments/1",
        url_template="/#/experiments/{id}",
        reach_url="http://h/#/experiments/1",
        elements=[heading],
        stable_texts=["Settings"],
    )
    req = Requirements(AppModel(target=Target(url="http://h/"), states=[page]))
    assert [e.name for e in req.asserted_elements(page, page.stable_texts)] == ["Settings"]
    heading.attributes[HISTORY_ONLY] = "1"
    assert req.asserted_elements(page, page.stable_texts) == []
