"""`qaforge serve --bus redis://...` with `qaforge worker` processes: a run started over the API
is done by the workers (the server runs no agent of its own), and the agents' events cross
Redis to the server's live stream."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from qaforge.demoapp.launcher import DemoApp
from qaforge.serve.security import Role
from tests.integration.serve.server import Server, make_keys_in, wait_for
from tests.system import cli

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.slow]

AGENTS = ["observation", "requirements", "analysis", "evolution", "execution", "reporting"]
STAGES = ["observe", "require", "analyze", "evolve", "execute", "report"]
READY = re.compile(r"worker (\S+) \((\w+)\) ready on")


class Workers:
    """One `qaforge worker` per agent type; their agent ids and pids once ready."""

    def __init__(self, home: Path, logs: Path, bus: str, db: str) -> None:
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ids: dict[str, str] = {}  # agent id → type
        self.logs = {agent: logs / f"worker-{agent}.log" for agent in AGENTS}
        # All start at once (each spends seconds importing), then each must be ready.
        for agent, log in self.logs.items():
            self.procs[agent] = cli.start(
                ["worker", "--agent", agent, "--bus", bus], home, log, QAFORGE_DATABASE_URL=db
            )
        for agent, log in self.logs.items():
            p = self.procs[agent]
            cli.wait_for(
                lambda log=log, p=p: (
                    READY.search(log.read_text(errors="replace")) is not None
                    or p.poll() is not None
                ),
                120,
                f"the {agent} worker",
            )
            found = READY.search(log.read_text(errors="replace"))
            assert p.poll() is None and found is not None, log.read_text()
            assert found[2] == agent, found[0]
            self.ids[found[1]] = agent

    @property
    def pids(self) -> set[int]:
        return {p.pid for p in self.procs.values()}

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)


@pytest.fixture
def workers(tmp_path: Path, redis_url: str, pg_fresh_url: str) -> Iterator[Workers]:
    w = Workers(tmp_path / "home", tmp_path, redis_url, pg_fresh_url)
    try:
        yield w
    finally:
        w.stop()


def listen(server: Server, key: str, run_id: str) -> list[dict[str, Any]]:
    """Every message of the run's WebSocket until the server closes it."""
    from websockets.sync.client import connect

    url = server.url.replace("http://", "ws://") + f"/api/v2/runs/{run_id}/events"
    heard: list[dict[str, Any]] = []
    with connect(url, additional_headers={"Authorization": f"Bearer {key}"}, open_timeout=30) as ws:
        for raw in ws:  # ends when the server closes the socket, at the run's end
            heard.append(json.loads(raw))
            assert len(heard) < 5000
    return heard


def test_a_run_over_the_api_is_done_by_the_workers(
    tmp_path: Path,
    demo_app: DemoApp,
    redis_url: str,
    pg_fresh_url: str,
    workers: Workers,
) -> None:
    home = tmp_path / "home"
    key = make_keys_in(pg_fresh_url, ["acme"])[("acme", Role.MAINTAINER)]
    server = Server(
        home,
        env={"QAFORGE_DATABASE_URL": pg_fresh_url, "QAFORGE_LOG_LEVEL": "INFO"},
        args=["--bus", redis_url],
    ).start(timeout_s=120)
    assert server.proc is not None
    try:
        with server.client(key) as c:
            ready = c.get("/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["bus"] == "ok", ready.json()
            assert ready.json()["checks"]["database"] == "ok", ready.json()
            # The agents on the bus are the workers', none of the server's own.
            with psycopg.connect(pg_fresh_url) as db:
                agents = db.execute("SELECT id, agent_type, pid FROM agents").fetchall()
            assert {(a, t) for a, t, _ in agents} == set(workers.ids.items()), agents
            assert {pid for _, _, pid in agents} == workers.pids, (agents, server.proc.pid)

            r = c.post(
                "/api/v2/projects",
                json={
                    "name": "shop",
                    "base_url": demo_app.url + "/",
                    "max_states": 6,
                    "time_budget_s": 20,
                    "max_tests": 3,
                },
            )
            assert r.status_code == 201, r.text
            r = c.post("/api/v2/runs", json={"project_id": r.json()["id"]})
            assert r.status_code == 202, r.text
            run_id = r.json()["id"]
            heard = listen(server, key, run_id)
            run = wait_for(c, run_id, lambda r: r["state"] in ("COMPLETED", "FAILED"), timeout_s=60)
    finally:
        server.stop()
    log = server.log.read_text()
    assert run["state"] == "COMPLETED", (run, log[-3000:])
    figures = run["figures"]
    assert figures["generated"] >= 1, figures
    assert figures["passed"] + figures["failed"] >= 1, figures
    assert "report.html" in run["artifacts"], run
    # The server drove the run on the Redis bus.
    assert f"bus {redis_url}" in log, log[:2000]
    assert "Traceback" not in log, log[-3000:]

    # Every stage's task was done by a worker, each by the worker of its type.
    with psycopg.connect(pg_fresh_url) as db:
        tasks = db.execute(
            "SELECT type, agent_id, agent_type, ok FROM agent_tasks WHERE run_id = %s", (run_id,)
        ).fetchall()
    assert tasks, "no task of the run was stored"
    for _type, agent_id, agent_type, ok in tasks:
        assert workers.ids.get(agent_id) == agent_type and ok, tasks
    assert {t for _, _, t, _ in tasks} == set(AGENTS), tasks

    # The live stream told the run from start to summary, the workers' events included.
    kinds = [e["kind"] for e in heard]
    assert {e["run_id"] for e in heard} == {run_id}, heard[:3]
    assert kinds[0] == "run-started" and kinds[-1] == "run-finished", kinds
    started = [e["stage"] for e in heard if e["kind"] == "stage-started"]
    assert [s for s in started if s in STAGES] == STAGES, started
    observed = kinds.index("stage-finished")  # observe ends first
    crawl = [e for e in heard[:observed] if e["kind"] == "crawl-progress"]
    assert crawl and crawl[-1]["stats"]["states"] >= 1, kinds
    passes = [e for e in heard if e["kind"] == "tests-pass-finished"]
    assert passes and passes[0]["ran"] >= 1, passes
    tests = {e["test_id"]: e["outcome"] for e in heard if e["kind"] == "test-finished"}
    finished = heard[-1]["summary"]["tests"]
    assert len(tests) == finished["generated"] == figures["generated"], (tests, finished)
    for agent, path in workers.logs.items():
        text = path.read_text(errors="replace")
        assert "Traceback" not in text, (agent, text[-2000:])
