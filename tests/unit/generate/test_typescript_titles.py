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
