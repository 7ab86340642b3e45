"""Shared fixtures; each plugin module is owned by the area that needs it."""

from __future__ import annotations

from collections.abc import Generator

import pytest

pytest_plugins = [
    "tests.plugins.demo",
    "tests.plugins.crawl",
    "tests.plugins.run",
    "tests.plugins.services",
]

# `make test` runs two xdist workers (--dist loadgroup). A session fixture is made once per
# worker, so the tests that share an expensive one go to one worker: the whole demo run (and
# the crawl read from it), and the service package's server with its own demo run.
_GROUPS = {
    "demo_run": "demo-run",
    "world": "serve",
}


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> Generator[None, None, None]:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        group = next((g for f, g in _GROUPS.items() if f in names), None)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
    result = yield
    if getattr(config.option, "loadgroup", False):  # set in xdist workers only
        _suffix_groups(items)
    return result


def _suffix_groups(items: list[pytest.Item]) -> None:
    """What pytest-xdist 3.8 does for `--dist loadgroup` (the group as a suffix of the node
    id, which its scheduler reads), redone for pytest 9.2, whose node ids are structured: xdist
    sets the old string attribute, which pytest no longer reads, and every group is split."""
    from _pytest.nodeid import NodeId

    for item in items:
        mark = item.get_closest_marker("xdist_group")
        if mark is None or "@" in item.nodeid:
            continue
        group = str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        item._id = NodeId.parse(f"{item.nodeid}@{group}")  # type: ignore[attr-defined]
        # If pytest changes how ids are held again, fail here rather than split the groups.
        assert item.nodeid.endswith(f"@{group}"), item.nodeid
