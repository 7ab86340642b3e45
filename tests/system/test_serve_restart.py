"""A server killed (-9) in the middle of a run: the next one takes the run up and ends it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from qaforge.demoapp.launcher import DemoApp
from qaforge.serve.security import Role
from tests.integration.serve.server import Server, make_keys, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_run_survives_a_killed_server(tmp_path: Path, demo_app: DemoApp) -> None:
    home = tmp_path / "home"
    keys = make_keys(home, ["acme"])
    key = keys[("acme", Role.MAINTAINER)]
    first = Server(home).start()
    try:
        with first.client(key) as c:
            project = c.post(
                "/api/v2/projects",
                json={
                    "name": "shop",
                    "base_url": demo_app.url + "/",
                    "max_states": 8,
                    "time_budget_s": 30,
                    "max_tests": 4,
                },
            ).json()["id"]
            run_id = c.post("/api/v2/runs", json={"project_id": project}).json()["id"]
            # Past the crawl (its checkpoint is written), the suite not yet run: the tests
            # take tens of seconds, the kill lands in them.
            run = wait_for(
                c,
                run_id,
                lambda r: r["state"] != "RUNNING"
                or (r["stage"] or "").startswith(("require", "analyze", "evolve", "execute")),
                timeout_s=240,
            )
            assert run["state"] == "RUNNING", f"the run ended before the kill: {run}"
    finally:
        first.kill()
    second = Server(home).start()
    try:
        with second.client(key) as c:
            run = wait_for(
                c, run_id, lambda r: r["state"] in ("COMPLETED", "FAILED"), timeout_s=300
            )
            assert run["state"] == "COMPLETED", run
            assert run["attempt"] >= 1 and run["figures"]["generated"] >= 1
            assert "report.html" in run["artifacts"]
    finally:
        second.stop()
    # The take-over is in the audit log, by the second server.
    with sqlite3.connect(home / "qaforge.db") as db:
        actions = [
            a
            for (a,) in db.execute(
                "SELECT action FROM audit_log WHERE entity = 'run' AND entity_id = ?", (run_id,)
            )
        ]
    assert "recover" in actions and "interrupted" in actions
    log = second.log.read_text()
    assert "Traceback" not in log
