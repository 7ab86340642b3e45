"""The recorder keeps what the crawl saw and makes the model of it: one kept transition per
kind of action, a site-wide link once, each finding once, the first errors only."""

from __future__ import annotations

from qaforge.crawl.recorder import MAX_ERRORS, Recorder
from qaforge.models import (
    Action,
    ActionKind,
    Element,
    Locator,
    LocatorStrategy,
    State,
    Target,
    Transition,
)


def state(sid: str, template: str, depth: int = 1) -> State:
    link = Element(
        id="home",
        role="link",
        name="Home",
        locators=[Locator(strategy=LocatorStrategy.ROLE, value="link", name="Home", count=1)],
    )
    button = Element(id="more", role="button", name="More")
    return State(
        id=sid,
        url=f"http://x{template}",
        url_template=template,
        depth=depth,
        elements=[link, button],
    )


def click(tid: str, src: str, dst: str, element: str) -> Transition:
    return Transition(
        id=tid, source=src, target=dst, action=Action(kind=ActionKind.CLICK, element_id=element)
    )


def test_one_transition_per_kind_of_action_and_a_site_wide_link_once() -> None:
    rec = Recorder(Target(url="http://x/"))
    for s in [state("root", "/", 0), state("a1", "/item/{id}"), state("a2", "/item/{id}")]:
        rec.states[s.id] = s
    rec.transitions = {
        t.id: t
        for t in [
            click("t1", "a1", "root", "more"),
            click("t2", "a2", "root", "more"),  # the same action on another instance
            click("t3", "a1", "root", "home"),
            click("t4", "root", "root", "home"),  # "Home" in every header: once per target
        ]
    }
    model = rec.model("time-budget", 12.3456, 0.8)
    kept = {t.id for t in model.transitions if t.kept}
    assert kept == {"t4", "t1"}, kept  # the shallowest state's first
    assert model.crawl_stats.states == 3 and model.crawl_stats.templates == 2
    assert model.crawl_stats.stopped_by == "time-budget"
    assert model.crawl_stats.duration_s == 12.346 and model.crawl_stats.ready_p90_s == 0.8
    assert [s.id for s in model.states] == ["root", "a1", "a2"]  # by depth, then template
    assert Recorder(Target(url="http://x/")).model("", 0, 0).crawl_stats.stopped_by == (
        "frontier exhausted"
    )


def test_findings_once_per_template_and_errors_capped() -> None:
    rec = Recorder(Target(url="http://x/"))
    rec.finding("http-error", "http://x/item/1", "GET /api/item/1 answered 500")
    rec.finding("http-error", "http://x/item/2", "GET /api/item/2 answered 500")
    rec.finding("http-error", "http://x/cart", "GET /api/cart answered 500")
    assert [f.where for f in rec.model("", 0, 0).findings] == [
        "http://x/cart",
        "http://x/item/1",
    ]
    for i in range(MAX_ERRORS + 5):
        rec.error(f"error {i}")
    assert len(rec.stats.errors) == MAX_ERRORS and rec.stats.errors[0] == "error 0"
