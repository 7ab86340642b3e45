"""The demo shop run through `qaforge worker` processes on the real Redis and PostgreSQL gives
the figures of the in-process run (the `demo_run` fixture)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qaforge.config import Settings
from qaforge.contracts.events import EventHub, RunEvent
from qaforge.contracts.summary import RunSummary
from qaforge.contracts.tasks import CrawlLimits, ObserveRequest
from qaforge.demoapp.launcher import DemoApp
from qaforge.orchestrate.orchestrator import OrchestrationOptions, run_graph
from qaforge.orchestrate.request import RunOutcome, RunRequest
from tests.integration.agent_events import check_agent_events
from tests.plugins.crawl import demo_target
from tests.system import cli

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.slow]

AGENTS = ["observation", "requirements", "analysis", "evolution", "execution", "reporting"]


@pytest.fixture
def workers(tmp_path: Path, redis_url: str, pg_fresh_url: str) -> Iterator[tuple[str, str]]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # All six start at once (each spends seconds importing), then each must be ready.
        logs = {agent: tmp_path / f"worker-{agent}.log" for agent in AGENTS}
        for agent, log in logs.items():
            procs.append(cli.start(["worker", "--agent", agent, "--bus", redis_url],
                                   tmp_path / "home", log, QAFORGE_DATABASE_URL=pg_fresh_url))
        for (agent, log), p in zip(logs.items(), procs, strict=True):
            cli.wait_for(lambda log=log, p=p: "ready on" in log.read_text(errors="replace")
                         or p.poll() is not None, 90, f"the {agent} worker")
            assert p.poll() is None, log.read_text()
        yield redis_url, pg_fresh_url
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def _figures(s: RunSummary) -> dict[str, Any]:
    # The workers run has one pass (CI time): a test the in-process run's second pass found
    # flaky may pass or fail here, so the pass counts are compared by rate, not to the unit.
    c = s.crawl
    return {
        "crawl": (c.states, c.templates, c.transitions, c.forms),
        "tests": (s.tests.generated, s.tests.app_defects),
        "coverage": s.coverage,
        "findings": sorted((f.kind, f.where) for f in s.findings),
    }


def test_the_demo_run_on_workers_matches_the_in_process_run(
    demo_run: RunOutcome,
    demo_app: DemoApp,
    demo_credentials: None,
    workers: tuple[str, str],
    tmp_path: Path,
) -> None:
    bus, db = workers
    out = tmp_path / "run"
    req = RunRequest(
        observe=ObserveRequest(
            target=demo_target(demo_app.url), limits=CrawlLimits(), out_dir=str(out)
        ),
        out_dir=str(out),
        app="demo-shop",
        strategy="balanced",
        runs=1,
    )
    settings = Settings(home=tmp_path / "home", database_url=db)
    heard: list[RunEvent] = []
    hub = EventHub()
    hub.subscribe(heard.append)
    outcome = asyncio.run(
        run_graph(
            req,
            settings,
            bus_url=bus,
            options=OrchestrationOptions(local_agents=False),
            events=hub,
        )
    )
    assert _figures(outcome.summary) == _figures(demo_run.summary)
    # The workers' events crossed Redis to this process, as the in-process agents' do.
    check_agent_events(heard, outcome, passes=1)
    assert (outcome.summary.pass_rate or 0) >= 0.95 and (demo_run.summary.pass_rate or 0) >= 0.95
    assert outcome.summary.tests.generated >= 40
