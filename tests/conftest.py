"""Shared fixtures; each plugin module is owned by the area that needs it."""

import pytest

pytest_plugins = [
    "tests.plugins.demo",
    "tests.plugins.crawl",
    "tests.plugins.run",
    "tests.plugins.services",
]

# `make test` runs the suite on two xdist workers (--dist loadgroup). The session-wide demo
# crawl and demo run are expensive: every test that uses them goes to one worker, so each is
# made once, not once per worker.
_DEMO_FIXTURES = frozenset({"demo_run", "demo_suite_dir", "demo_model", "demo_model_path"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _DEMO_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("demo"))
