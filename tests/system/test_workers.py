"""`qaforge worker` processes on the real Redis and PostgreSQL: a run dispatched to them gives
the in-process result; a worker killed with a task in flight loses nothing and duplicates
nothing; a poisoned task ends in the dead-letter stream."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from qaforge.store.database import Database
from qaforge.store.tasks import TaskStore
from tests.system import cli
from tests.system.fakes import CATALOG, SPEC, invocations

pytestmark = pytest.mark.services

STAGES = ["observe", "require", "analyze", "evolve", "execute", "report"]


class Workers:
    """Worker processes, one per `add`; all killed at the end."""

    def __init__(self, home: Path, logs: Path, bus: str, db: str) -> None:
        self.home, self.logs, self.bus, self.db = home, logs, bus, db
        self.procs: list[subprocess.Popen[bytes]] = []

    def add(self, agent: str) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        p = cli.start(
            ["worker", "--agent", agent, "--bus", self.bus, "--catalog", SPEC,
             "--heartbeat", "0.2", "--reclaim-idle", "1"],
            self.home, self.logs / f"worker-{n}-{agent}.log", QAFORGE_DATABASE_URL=self.db,
        )
        self.procs.append(p)
        log = self.logs / f"worker-{n}-{agent}.log"
        cli.wait_for(lambda: "ready on" in log.read_text(errors="replace") or p.poll() is not None,
                     60, f"the {agent} worker to start")
        assert p.poll() is None, log.read_text()
        return p

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture
def workers(tmp_path: Path, redis_url: str, pg_fresh_url: str) -> Iterator[Workers]:
    logs = tmp_path / "logs"
    logs.mkdir()
    w = Workers(tmp_path / "home", logs, redis_url, pg_fresh_url)
    yield w
    w.stop()


def _args(out: Path, bus: str) -> list[str]:
    return ["run", "http://127.0.0.1:9/", "--out", str(out), "--catalog", SPEC, "--json",
            "--strategy", "balanced", "--no-pdf", "--bus", bus]


def _figures(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k not in {"durations", "run_id", "strategy"}}


def test_a_run_on_workers_matches_the_in_process_run(workers: Workers, tmp_path: Path) -> None:
    for agent in CATALOG:
        workers.add(agent)
    out = tmp_path / "distributed"
    code, distributed, err = cli.run_json(
        _args(out, workers.bus), workers.home, QAFORGE_DATABASE_URL=workers.db
    )
    assert code == 0, err
    code, local, err = cli.run_json(_args(tmp_path / "local", "memory://"), tmp_path / "home-l")
    assert code == 0, err
    assert _figures(distributed) == _figures(local)
    assert distributed["tests"]["generated"] > 0
    assert invocations(out) == [x for s in STAGES for x in (s, f"{s}:done")]
    [row] = cli.runs(workers.home, QAFORGE_DATABASE_URL=workers.db)
    assert row["state"] == "COMPLETED" and row["id"] == distributed["run_id"]


def test_a_worker_killed_mid_task_is_replaced_and_nothing_is_done_twice(
    workers: Workers, tmp_path: Path
) -> None:
    for agent in CATALOG:
        workers.add(agent)
    out = tmp_path / "run"
    out.mkdir()
    (out / "hang_at").write_text("execute")  # the first execute hangs on the first worker
    run = cli.start(_args(out, workers.bus), workers.home, tmp_path / "run.log",
                    QAFORGE_DATABASE_URL=workers.db)
    try:
        cli.wait_for(lambda: "execute" in invocations(out), 60, "execute to start")
        first = workers.procs[list(CATALOG).index("execution")]
        workers.add("execution")  # a second execution worker...
        first.send_signal(signal.SIGKILL)  # ...and the first one dies holding the task
        assert run.wait(120) == 0, (tmp_path / "run.log").read_text()
    finally:
        if run.poll() is None:
            run.kill()
    log = invocations(out)
    assert log.count("execute") == 2 and log.count("execute:done") == 1, log
    for s in ("observe", "require", "analyze", "evolve", "report"):
        assert log.count(s) == 1, log
    summary = json.loads((out / "summary.json").read_text())
    run_id = summary["run_id"]

    async def stored() -> int:
        db = Database(workers.db)
        try:
            return await TaskStore(db).count(run_id)
        finally:
            await db.dispose()

    assert asyncio.run(stored()) == len(STAGES)  # one result per task, none twice


def test_a_poisoned_task_ends_in_the_dead_letter_stream(workers: Workers, tmp_path: Path) -> None:
    bus = workers.bus + "&max_deliveries=2"
    workers.bus = bus
    for agent in CATALOG:
        workers.add(agent)
    out = tmp_path / "run"
    out.mkdir()
    (out / "poison").write_text("")  # execute raises an unexpected error every time
    code, text = cli.run(_args(out, bus), workers.home, timeout=120,
                         QAFORGE_DATABASE_URL=workers.db)
    assert code != 0 and "RuntimeError: poisoned task" in text, text
    prefix = bus.split("prefix=")[1].split("&")[0]
    client = redis.Redis.from_url(bus.split("/0?")[0])
    # The work queue's, or the awarded agent's inbox's when Contract Net picked one.
    dead = [e for k in client.keys(f"{prefix}:dlq:*") for e in client.xrange(k)]
    assert len(dead) == 1, (text, sorted(client.keys(f"{prefix}:*")))
    fields = {k.decode(): v.decode() for k, v in dead[0][1].items()}
    assert "poisoned task" in fields["reason"], fields
    [row] = cli.runs(workers.home, QAFORGE_DATABASE_URL=workers.db)
    assert row["state"] == "FAILED"
