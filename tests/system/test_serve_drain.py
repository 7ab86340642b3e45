"""A server stopped with SIGTERM in the middle of a run: it takes no new run while it drains,
exits cleanly soon after its drain time, and leaves the run it could not finish to the next
server, which ends it.

The next server takes the run up because its owner's process is gone, as after a kill -9 (the
same `RunManager.recover` path; a kill -9 in each stage of a CLI run is
tests/system/test_resume.py)."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from qaforge.demoapp.launcher import DemoApp
from qaforge.serve.security import Role
from tests.integration.serve.server import Server, make_keys, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Too short for the rest of the run (several stages, a browser suite): it is left to the next
# server, deterministically.
DRAIN_S = 2
# What shutdown may take beyond the drain: uvicorn's own grace for open connections
# (`--drain` + 5 s, commands/serve.py), and slack for a loaded CI machine.
GRACE_S = 5 + 5
LOG = {"QAFORGE_LOG_LEVEL": "INFO"}


def _runs(home: Path) -> list[tuple[str, str, str | None, str | None]]:
    with sqlite3.connect(home / "qaforge.db") as db:
        return list(db.execute("SELECT id, state, stage, owner FROM runs"))


def test_sigterm_drains_and_the_next_server_ends_the_run(tmp_path: Path, demo_app: DemoApp) -> None:
    home = tmp_path / "home"
    key = make_keys(home, ["acme"])[("acme", Role.MAINTAINER)]
    first = Server(home, env=LOG, args=["--drain", str(DRAIN_S)]).start(timeout_s=120)
    assert first.proc is not None
    try:
        with first.client(key) as c:
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
            project = r.json()["id"]
            r = c.post("/api/v2/runs", json={"project_id": project})
            assert r.status_code == 202, r.text
            run_id = r.json()["id"]
            # Past the crawl (its checkpoint is written): the stages left take far longer
            # than the drain.
            run = wait_for(
                c,
                run_id,
                lambda r: (
                    r["state"] != "RUNNING" or not (r["stage"] or "observe").startswith("observe")
                ),
                timeout_s=180,
            )
            assert run["state"] == "RUNNING", f"the run ended before SIGTERM: {run}"
        sent = time.monotonic()
        first.proc.send_signal(signal.SIGTERM)
        # The listener closes first; the process lives on through the drain.
        with httpx.Client(base_url=first.url, timeout=5) as fresh:
            while True:
                try:
                    fresh.get("/health")
                except httpx.TransportError:
                    break
                assert first.proc.poll() is None, "the server answered until it exited"
                assert time.monotonic() - sent < DRAIN_S, "the server answered through its drain"
                time.sleep(0.1)
            assert first.proc.poll() is None, "the server exited at once, without draining"
            # A new run is refused while the server drains.
            with pytest.raises(httpx.ConnectError):
                fresh.post(
                    "/api/v2/runs",
                    json={"project_id": project},
                    headers={"Authorization": f"Bearer {key}"},
                )
        code = first.proc.wait(DRAIN_S + 60)
        took = time.monotonic() - sent
    finally:
        if first.proc.poll() is None:
            first.kill()
    log = first.log.read_text()
    # Ended by the signal it was sent (uvicorn re-raises it once it has shut down), or 0.
    assert code in (0, -signal.SIGTERM), (code, log[-3000:])
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]
    assert f"left 1 run(s) for the next server to take up: ['{run_id}']" in log, log[-3000:]
    assert took <= DRAIN_S + GRACE_S, f"shutdown took {took:.1f}s with --drain {DRAIN_S}"
    # The run is left as it was, for the next server; the refused one was never made.
    [(rid, state, stage, owner)] = _runs(home)
    assert (rid, state) == (run_id, "RUNNING") and stage != "done", (rid, state, stage)
    assert owner and owner.split(":")[1] == str(first.proc.pid), owner

    second = Server(home, env=LOG).start(timeout_s=120)
    try:
        with second.client(key) as c:
            run = wait_for(
                c, run_id, lambda r: r["state"] in ("COMPLETED", "FAILED"), timeout_s=180
            )
            assert run["state"] == "COMPLETED", run
            assert run["attempt"] >= 1 and run["figures"]["generated"] >= 1, run
            assert "report.html" in run["artifacts"], run
    finally:
        second.stop()
    log2 = second.log.read_text()
    assert f"took up 1 run(s) left by an earlier server: ['{run_id}']" in log2, log2[-3000:]
    assert "Traceback" not in log2, log2[-3000:]
    with sqlite3.connect(home / "qaforge.db") as db:
        actions = [
            a
            for (a,) in db.execute(
                "SELECT action FROM audit_log WHERE entity = 'run' AND entity_id = ? ORDER BY id",
                (run_id,),
            )
        ]
    assert actions.count("recover") == 1 and "interrupted" in actions, actions
    assert actions[-1] == "complete", actions
