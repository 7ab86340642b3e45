"""Two scenarios of one title in a TypeScript file get distinct test titles."""

from __future__ import annotations

from qaforge.generate.suite import _distinct_titles
from qaforge.models import Scenario


def _scenario(i: int, title: str) -> Scenario:
    return Scenario(id=str(i), kind="page-loads", title=title, given="", when="", then="")


def test_repeated_titles_are_numbered_in_order() -> None:
    group = [_scenario(1, "/a loads"), _scenario(2, "/b loads"), _scenario(3, "/a loads")]
    assert [t for _, t in _distinct_titles(group)] == ["/a loads", "/b loads", "/a loads (2)"]
    assert [sc.id for sc, _ in _distinct_titles(group)] == ["1", "2", "3"]


def test_the_spec_file_carries_the_distinct_titles() -> None:
    from qaforge.generate.emit_typescript import TypeScriptEmitter
    from qaforge.generate.locators import LocatorChooser
    from qaforge.generate.strategy import get_strategy
    from qaforge.generate.suite import _distinct_titles
    from qaforge.models import AppModel, Target

    model = AppModel(target=Target(url="http://x/"))
    strategy = get_strategy("balanced")
    chooser = LocatorChooser(model, list(strategy.locator_priority))
    group = [_scenario(1, "/a loads"), _scenario(2, "/a loads")]
    spec = TypeScriptEmitter(strategy, chooser).module("a", "http://x/", _distinct_titles(group))
    titles = [line.strip() for line in spec.splitlines() if line.strip().startswith("test(")]
    assert len(titles) == 2 and titles[0] != titles[1], titles
    assert "/a loads (2)" in titles[1] and "(2)" not in titles[0]
