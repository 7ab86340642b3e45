"""Names that carry state and texts that change with time are found in the model."""

from __future__ import annotations

from qaforge.crawl.stability import (
    UNSTABLE,
    is_volatile_name,
    is_volatile_text,
    mark_unstable,
    unstable_names,
)
from qaforge.models import Element, Locator, LocatorStrategy, State


def button(name: str, landmark: str = "header:0", **attrs: str) -> Element:
    return Element(
        id=f"b-{name}",
        role="button",
        name=name,
        tag="button",
        attributes={"landmark": landmark, **attrs},
        locators=[
            Locator(strategy=LocatorStrategy.ROLE, value="button", name=name, count=1),
            Locator(strategy=LocatorStrategy.CSS, value="button.theme-toggle", count=1),
        ],
    )


def state(sid: str, url: str, *elements: Element, texts: list[str] | None = None) -> State:
    return State(
        id=sid,
        url=url,
        url_template=url.split("//", 1)[1].split("/", 1)[-1],
        elements=list(elements),
        stable_texts=texts or [e.name for e in elements],
    )


def test_a_theme_toggle_whose_name_carries_its_state_is_unstable() -> None:
    a = state("a", "http://h/admin/", button("Toggle theme (current theme: auto)"))
    b = state("b", "http://h/admin/books/", button("Toggle theme (current theme: light)"))
    assert len(unstable_names([a, b])) == 1
    assert mark_unstable([a, b]) == 2
    el = a.elements[0]
    assert el.attributes[UNSTABLE] == "true"
    assert [c.strategy for c in el.locators] == [LocatorStrategy.CSS]  # no name-based locator
    assert "Toggle theme (current theme: auto)" not in a.stable_texts


def test_different_controls_in_the_same_place_are_not_unstable() -> None:
    # A main-area button at the same place on two different pages: different controls.
    a = state("a", "http://h/items/1", button("Add to cart", landmark="main:0"))
    b = state("b", "http://h/items/2", button("Add to basket", landmark="main:0"))
    # A site-wide menu whose item differs per page, with no shared first word.
    c = state("c", "http://h/x", button("Home", landmark="nav:0"))
    d = state("d", "http://h/y", button("Catalogue", landmark="nav:0"))
    assert unstable_names([a, b, c, d]) == set()
    assert mark_unstable([a, b, c, d]) == 0
    assert a.elements[0].locators[0].strategy == LocatorStrategy.ROLE


def test_the_same_url_in_two_states_compares_main_area_controls() -> None:
    a = state("a", "http://h/inbox", button("Show 3 unread", landmark="main:1"))
    b = state("b", "http://h/inbox", button("Show 4 unread", landmark="main:1"))
    assert len(unstable_names([a, b])) == 1


def test_times_dates_and_counters_are_volatile() -> None:
    for text in (
        "28 minutes ago",
        "an hour ago",
        "just now",
        "Updated yesterday",
        "2026-12-01",
        "1/12/2026",
        "1 Dec 2026",
        "Draft of 1st December 2026",
        "Dec 1",
        "14:05",
        "Inbox (12)",
        "session 9f86d081884c7d659a2f",
        # Records the crawl made: django-admin's "Recent actions" shows them until newer
        # ones push them out.
        "qa_a97be0bb09",
        "qa-5ff15ce906",
        "qa.a97be0bb09@example.com",
    ):
        assert is_volatile_text(text), text
    assert is_volatile_text("3")  # a bare counter is no assertion
    for count in ("2 total", "10 results", "0 of 2 selected", "1,204 rows"):
        assert is_volatile_text(count), count  # counts change when records are added
    assert not is_volatile_name("2")  # but a fine name for page 2 of a pager
    for text in (
        "Add to cart",
        "Catalogue",
        "Issue tracker",
        "Page 2",
        "Toggle theme",
        "Chapter 2: The Road",
        "QA team",
        "qa-checklist",
    ):
        assert not is_volatile_text(text), text


def test_volatile_texts_leave_stable_texts_and_volatile_names_lose_name_locators() -> None:
    s = state(
        "a",
        "http://h/",
        button("Refreshed 5 minutes ago", landmark="main:0"),
        texts=["Welcome", "Posted 3 hours ago", "Refreshed 5 minutes ago"],
    )
    mark_unstable([s])
    assert s.stable_texts == ["Welcome"]
    assert all(c.strategy != LocatorStrategy.ROLE for c in s.elements[0].locators)


def test_actions_on_a_stateful_control_are_labelled_by_its_stable_part() -> None:
    from qaforge.crawl.stability import stem
    from qaforge.models import Action, ActionKind, Transition

    a = state("a", "http://h/", button("Toggle theme (current theme: auto)"))
    b = state("b", "http://h/x", button("Toggle theme (current theme: dark)"))
    click = Action(kind=ActionKind.CLICK, element_id=a.elements[0].id, label=a.elements[0].name)
    t = Transition(id="t", source="a", action=click, target="a")
    mark_unstable([a, b], [t])
    assert t.action.label == "Toggle theme"
    assert stem("Inbox [3]") == "Inbox" and stem("Save") == "Save"
