"""Client-side modes: a control that swaps the site's navigation for another one.

Some apps keep a mode in the browser (MLflow's "GenAI" / "Model training" switch): after the
switch, the same links lead to other pages (an experiment opens on its runs, not on its GenAI
overview). A crawl that only loads those URLs again never sees the second mode's pages, and a
test that opens such a page by its URL in a clean browser would not see it either. So a state
reached through a mode switch is a mode state: its links are followed by replaying the switch
and clicking them, and what they lead to is reached the same way in the tests.
"""

from __future__ import annotations

from collections.abc import Iterable

from qaforge.models import Element

# Landmarks that hold a site's navigation (as `snapshot.js` names them: `nav:0`, `aside:1`).
_NAV_LANDMARKS = ("nav", "navigation", "aside", "complementary", "header", "banner")


def nav_links(elements: Iterable[Element]) -> set[str]:
    """Names of the links in the page's navigation landmarks."""
    return {
        el.name
        for el in elements
        if el.role == "link"
        and el.name
        and el.attributes.get("landmark", "").split(":")[0] in _NAV_LANDMARKS
    }


def switches_mode(before: Iterable[Element], after: Iterable[Element]) -> bool:
    """Whether a click on a page (its URL unchanged) swapped navigation links for others.

    Both ways, links gone and links new: a collapsed sidebar or a closed menu only loses
    links, an opened menu or a late-loading list only gains them."""
    old, new = nav_links(before), nav_links(after)
    return bool(old - new) and bool(new - old)
