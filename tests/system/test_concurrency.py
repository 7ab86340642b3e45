"""100 workflows at once through one orchestrator: no deadlock, none lost, none mixed up."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits, ObserveRequest
from qaforge.models import Target
from qaforge.orchestrate.orchestrator import OrchestrationOptions, Orchestrator
from qaforge.orchestrate.request import RunRequest
from qaforge.orchestrate.runs import RunStore
from qaforge.orchestrate.states import RunState
from qaforge.store.database import Database
from qaforge.store.tasks import TaskStore
from tests.system.fakes import SPEC, invocations

N = 100


def _request(tmp_path: Path, i: int) -> RunRequest:
    out = tmp_path / f"run-{i}"
    return RunRequest(
        run_id=f"run-c{i:03d}",
        observe=ObserveRequest(
            target=Target(url="http://127.0.0.1:9/"), out_dir=str(out), limits=CrawlLimits(seed=i)
        ),
        out_dir=str(out),
        app=f"app-{i % 7}",
        strategy="balanced",
        pdf=False,
    )


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.services)])
async def test_100_concurrent_workflows(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "memory":
        bus, db_url = "memory://", f"sqlite:///{tmp_path / 'q.db'}"
    else:
        bus, db_url = request.getfixturevalue("redis_url"), request.getfixturevalue("pg_fresh_url")
    settings = Settings(home=tmp_path / "home", database_url=db_url, disable_learning=True)
    options = OrchestrationOptions(
        heartbeat_s=0.5, local_agents=True, agents_per_type=2, agent_concurrency=16,
        bid_window_s=2.0,
    )
    async with Orchestrator.open(settings, bus_url=bus, catalog=SPEC, options=options) as orch:
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(orch.run(_request(tmp_path, i)) for i in range(N))), timeout=600
        )
    assert sorted(o.run_id for o in outcomes) == [f"run-c{i:03d}" for i in range(N)]
    for i, o in enumerate(outcomes):
        assert o.exit_code == 0
        out = tmp_path / f"run-{i}"
        # Each run's files are its own: the model carries the run's own seed.
        assert json.loads((out / "model.json").read_text())["seed"] == i
        assert o.summary.crawl.states == 3 + i % 5
        assert invocations(out).count("execute:done") == 1
    db = Database(db_url)
    try:
        runs = await RunStore(db).all(limit=1000)
        assert len(runs) == N and {r.state for r in runs} == {RunState.COMPLETED}
        assert await TaskStore(db).count() == 6 * N  # one stored result per task
    finally:
        await db.dispose()
