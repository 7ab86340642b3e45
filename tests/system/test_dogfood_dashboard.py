"""qaforge tests its own dashboard: `qaforge run` against a real `qaforge serve`.

A maintainer (made with `qaforge admin create-user`, as an operator makes one) is who the run
logs in as; the server holds a project and a finished run, so the crawl meets the runs list,
a run's page with its files (report.html, summary.json and suite.zip, a download), and the
projects pages. Controls that would change the server or end the session are denied: the
crawl must not start runs, add projects, send ratings or log itself out.

The run must succeed as a user's would: exit 0, a suite of at least five tests that all pass,
and a crawl without errors (the suite.zip link is a download, no crawl error).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from qaforge.serve.security import Role
from tests.integration.serve.conftest import seed_finished_run
from tests.integration.serve.server import QAFORGE, ROOT, Server, make_keys, server_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TENANT = "dogfood"
USER, PASSWORD = "maya", "correct horse 42"
RUN_ID = "run-dogfood0000000001"
# Labels the crawl must not press on the dashboard (log out is denied by default already).
DENY = ["Start a run", "Log out", "Add", "Send", "Revoke", "Create key", "Cancel", "Resume"]
# The `qaforge run` is killed (and the test fails) past this: a 30 s crawl, a suite of at
# most 15 tests run once, and start-up take about 90 s on 2 idle cores.
LIMIT_S = 150


def _create_maintainer(home: Path) -> None:
    done = subprocess.run(
        [QAFORGE, "admin", "create-user", USER, "--tenant", TENANT, "--role", "maintainer"],
        cwd=ROOT,
        env=server_env(home, QAFORGE_NEW_PASSWORD=PASSWORD),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _seed(server: Server, keys: dict[tuple[str, Role], str]) -> None:
    """A project, and a finished run of it with a report and a suite (no crawl needed)."""
    with server.client(keys[(TENANT, Role.MAINTAINER)]) as c:
        r = c.post(
            "/api/v2/projects",
            json={"name": "shop", "base_url": "http://127.0.0.1:9/", "max_states": 8},
        )
        assert r.status_code == 201, r.text
        project_id = r.json()["id"]
    with server.client(keys[(TENANT, Role.ADMIN)]) as c:
        tenant_id = c.get("/api/v2/tenant").json()["id"]
    seed_finished_run(server.home, tenant_id, project_id, RUN_ID)
    with server.client(keys[(TENANT, Role.VIEWER)]) as c:
        run = c.get(f"/api/v2/runs/{RUN_ID}").json()
        assert run["state"] == "COMPLETED", run
        assert "suite.zip" in run["artifacts"], run


def _run_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"QAFORGE_DATABASE_URL", "QAFORGE_HTTP_CREDENTIALS", "QAFORGE_HOME"}
    }
    env.update(
        QAFORGE_HOME=str(home),
        QAFORGE_USERNAME=USER,
        QAFORGE_PASSWORD=PASSWORD,
        PYTHONPATH=str(ROOT),
        COLUMNS="200",
    )
    return env


def test_qaforge_tests_its_own_dashboard(tmp_path: Path) -> None:
    started = time.monotonic()
    home = tmp_path / "serve-home"
    keys = make_keys(home, [TENANT])
    _create_maintainer(home)
    server = Server(home).start()
    try:
        _seed(server, keys)
        out = tmp_path / "out"
        work = tmp_path / "work"  # the run's cwd: no qaforge.toml of the developer's is read
        work.mkdir()
        cmd = [
            QAFORGE,
            "run",
            server.url + "/",
            "--login-url",
            server.url + "/login",
            "--out",
            str(out),
            "--time-budget",
            "30",
            "--max-states",
            "8",
            "--max-tests",
            "15",
            "--runs",
            "1",
            "--json",
            "--no-pdf",
            "--no-learning",
        ]
        for label in DENY:
            cmd += ["--deny-label", label]
        run_started = time.monotonic()
        done = subprocess.run(
            cmd,
            cwd=work,
            env=_run_env(tmp_path / "run-home"),
            capture_output=True,
            text=True,
            timeout=LIMIT_S,
        )
        run_s = time.monotonic() - run_started
        server_log = server.log.read_text(errors="replace")[-3000:]
        with server.client(keys[(TENANT, Role.VIEWER)]) as c:
            listed = c.get("/api/v2/runs").json()
            projects = c.get("/api/v2/projects").json()
    finally:
        server.stop()
    seconds = time.monotonic() - started
    tail = f"\nstderr tail:\n{done.stderr[-4000:]}\nserver log tail:\n{server_log}"
    assert done.returncode == 0, f"exit {done.returncode}{tail}"
    summary = json.loads(done.stdout)
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["tests"] == summary["tests"]

    crawl, tests = summary["crawl"], summary["tests"]
    print(
        f"[dogfood] {seconds:.1f}s (qaforge run {run_s:.1f}s) states={crawl['states']} tests={tests} "
        f"pass_rate={summary['pass_rate']} durations={summary['durations']}"
    )
    assert crawl["errors"] == [], f"crawl errors: {crawl['errors']}{tail}"
    assert not summary["stage_errors"], summary["stage_errors"]
    assert tests["generated"] >= 5, f"{tests}{tail}"
    assert tests["passed"] == tests["generated"] and tests["failed"] == 0, (
        f"{tests}; quarantined: {summary['quarantine']}; findings: {summary['findings']}{tail}"
    )
    assert summary["pass_rate"] == 1.0, summary["pass_rate"]
    # The crawl changed nothing: the seeded run is still the server's only one, and the
    # project its only project.
    assert [r["id"] for r in listed["items"]] == [RUN_ID], listed
    assert len(projects["items"]) == 1, projects
    # It saw the dashboard as the maintainer, not the login page alone.
    assert crawl["states"] >= 3, crawl
    model = json.loads((out / "model.json").read_text())
    urls = {s["url"] for s in model["states"]}
    assert server.url + f"/runs/{RUN_ID}" in urls, sorted(urls)
    assert not [u for u in urls if u.endswith("suite.zip")], sorted(urls)
