"""Fixtures: the demo shop, healthy or with one seeded fault, as real subprocesses."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from qaforge.demoapp.launcher import DemoApp


@pytest.fixture(scope="session")
def demo_app() -> Iterator[DemoApp]:
    """The healthy demo shop, running for the whole test session."""
    with DemoApp() as app:
        yield app


@pytest.fixture(scope="session")
def demo_app_with_bug() -> Iterator[Callable[[str], DemoApp]]:
    """A factory: `demo_app_with_bug("wrong-total")` → a running shop with that fault (cached)."""
    running: dict[str, DemoApp] = {}

    def start(bug: str) -> DemoApp:
        if bug not in running:
            running[bug] = DemoApp(bug=bug).start()
        return running[bug]

    yield start
    for app in running.values():
        app.stop()
