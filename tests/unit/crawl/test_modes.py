"""Which clicks switch a client-side mode: navigation links both gone and new."""

from __future__ import annotations

from qaforge.crawl.modes import nav_links, switches_mode
from qaforge.models import Element


def link(name: str, landmark: str = "nav:0") -> Element:
    return Element(id=name, role="link", name=name, attributes={"landmark": landmark})


GENAI = [link("Home"), link("Experiments"), link("Prompts"), link("AI Gateway")]


def test_nav_links_are_those_in_navigation_landmarks() -> None:
    page = [*GENAI, link("churn-model", "main:0"), link("Docs", "aside:1"), link("x", "body:0")]
    assert nav_links(page) == {"Home", "Experiments", "Prompts", "AI Gateway", "Docs"}


def test_swapped_navigation_is_a_mode_switch() -> None:
    training = [link("Home"), link("Experiments"), link("Model registry")]
    assert switches_mode(GENAI, training)


def test_a_collapsed_or_opened_menu_is_not() -> None:
    assert not switches_mode(GENAI, GENAI[:1])  # collapsed: links only gone
    assert not switches_mode(GENAI, [*GENAI, link("Settings")])  # opened: links only new
    # Links that change in the page's content are data, not navigation.
    assert not switches_mode([*GENAI, link("a", "main:0")], [*GENAI, link("b", "main:0")])
