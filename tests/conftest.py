"""Shared fixtures; each plugin module is owned by the area that needs it."""

from __future__ import annotations

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
    "world": "service",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        for fixture, group in _GROUPS.items():
            if fixture in names:
                item.add_marker(pytest.mark.xdist_group(group))
                break
