"""Fixtures: one whole `qaforge run` of the healthy demo shop per test session."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.events import EventHub, RunEvent
from qaforge.contracts.tasks import CrawlLimits, ObserveRequest
from qaforge.demoapp.launcher import DemoApp
from qaforge.orchestrate.orchestrator import run_graph
from qaforge.orchestrate.request import RunOutcome, RunRequest
from tests.plugins.crawl import demo_target


@pytest.fixture(scope="session")
def demo_run_events() -> list[RunEvent]:
    """Every event the `demo_run` orchestrator heard, in order (filled by `demo_run`)."""
    return []


@pytest.fixture(scope="session")
def demo_run(
    demo_app: DemoApp,
    demo_credentials: None,
    tmp_path_factory: pytest.TempPathFactory,
    demo_run_events: list[RunEvent],
) -> RunOutcome:
    """The whole pipeline against the healthy demo shop (crawl, generate, run twice, report)."""
    out = tmp_path_factory.mktemp("demo-run")
    req = RunRequest(
        observe=ObserveRequest(
            target=demo_target(demo_app.url), limits=CrawlLimits(), out_dir=str(out)
        ),
        out_dir=str(out),
        app="demo-shop",
        strategy="balanced",
    )
    hub = EventHub()
    hub.subscribe(demo_run_events.append)
    return asyncio.run(run_graph(req, Settings(home=out / "home"), events=hub))


@pytest.fixture(scope="session")
def demo_suite_dir(demo_run: RunOutcome) -> Path:
    """The tests directory the demo run generated."""
    return Path(demo_run.summary.artifacts.tests_dir)
