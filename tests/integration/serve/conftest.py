"""One `qaforge serve` for the API tests, with a key per role in two tenants, a project of
each, a real run of the demo shop (acme's) and a finished run of the other tenant's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from qaforge.demoapp.launcher import DemoApp
from qaforge.serve.security import Role
from qaforge.store.database import Database
from qaforge.store.service_tables import ProjectRunRow
from qaforge.store.tables import RunRow
from tests.integration.serve.server import Server, make_keys, wait_for

OWN, OTHER = "acme", "rival"
# The GitHub webhook's secret and the token for GitHub's API, in the server's environment.
HOOK_SECRET, GH_TOKEN = "hook-secret-1", "ghs-test-token"


@dataclass
class World:
    server: Server
    keys: dict[tuple[str, Role], str]
    project: dict[str, int]  # tenant → a project id
    run: dict[str, str]  # tenant → a finished run id
    # What a WebSocket on acme's run heard, connected right after the run started.
    ws_events: list[dict[str, Any]]

    def key(self, role: Role, tenant: str = OWN) -> str:
        return self.keys[(tenant, role)]


# The smallest valid PNG (1x1): a screenshot's stand-in.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)


def seed_finished_run(home: Path, tenant_id: int, project_id: int, run_id: str) -> Path:
    """A COMPLETED run with a report, as the other tenant's (no second crawl needed)."""
    out = home / "runs" / run_id
    (out / "tests").mkdir(parents=True)
    (out / "report.html").write_text("<h1>rival's report</h1>")
    (out / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    # What a TypeScript run's login leaves in the suite (its cookies), and qaforge's records:
    # never in suite.zip.
    (out / "tests" / ".auth").mkdir()
    (out / "tests" / ".auth" / "state.json").write_text('{"cookies": ["session=secret"]}')
    (out / "tests" / ".qaforge" / "generated").mkdir(parents=True)
    (out / "tests" / ".qaforge" / "generated" / "test_x.py.snapshot").write_text("x")
    # Its tests: one passed, one failed with a screenshot, and a trace path that leads out of
    # the run's folder (never served).
    (out / "artifacts-run0").mkdir()
    (out / "artifacts-run0" / "shot.png").write_bytes(PNG)
    (home / "outside.zip").write_bytes(b"not yours")
    results = {
        "suite_dir": str(out / "tests"),
        "results": [
            {"test_id": "test_x.py::test_ok", "outcome": "passed"},
            {
                "test_id": "test_x.py::test_x",
                "outcome": "app-defect",
                "failure_class": "app-defect",
                "message": "console errors: boom",
                "screenshot": "artifacts-run0/shot.png",
                "trace": "../../outside.zip",
            },
        ],
    }
    (out / "results.json").write_text(json.dumps(results))
    (out / "summary.json").write_text(
        json.dumps(
            {
                "target": "http://127.0.0.1:1/",
                "tests": {"generated": 2},
                "findings": [{"kind": "console-error", "where": "/x", "detail": "boom"}],
            }
        )
    )

    async def go() -> None:
        db = Database(f"sqlite:///{home / 'qaforge.db'}")
        try:
            async with db.session() as s:
                s.add(
                    RunRow(
                        id=run_id,
                        app="rival/x",
                        state="COMPLETED",
                        out_dir=str(out),
                        summary_path=str(out / "summary.json"),
                        exit_code=0,
                    )
                )
                s.add(
                    ProjectRunRow(
                        run_id=run_id, project_id=project_id, tenant_id=tenant_id, started_by="test"
                    )
                )
        finally:
            await db.dispose()

    asyncio.run(go())
    return out


def listen(server: Server, key: str, run_id: str, timeout_s: float = 300) -> list[dict[str, Any]]:
    """Every message of the run's WebSocket until the server closes it."""
    from websockets.sync.client import connect

    url = server.url.replace("http://", "ws://") + f"/api/v2/runs/{run_id}/events"
    heard: list[dict[str, Any]] = []
    with connect(url, additional_headers={"Authorization": f"Bearer {key}"}) as ws:
        for raw in ws:  # ends when the server closes the socket
            heard.append(json.loads(raw))
            if len(heard) > 5000:
                break
    return heard


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory, demo_app: DemoApp) -> Iterator[World]:
    home = tmp_path_factory.mktemp("serve-home")
    keys = make_keys(home, [OWN, OTHER])
    env = {
        "SHOP_USER": "demo",
        "SHOP_PASSWORD": "demo",
        "GH_HOOK_SECRET": HOOK_SECRET,
        "GH_TOKEN": GH_TOKEN,
    }
    server = Server(home, env=env).start()
    try:
        projects: dict[str, int] = {}
        for tenant in (OWN, OTHER):
            with server.client(keys[(tenant, Role.MAINTAINER)]) as c:
                # It logs in with references to the server's environment.
                r = c.post(
                    "/api/v2/projects",
                    json={
                        "name": "shop",
                        "base_url": demo_app.url + "/",
                        "login_url": demo_app.url + "/login",
                        "username_ref": "env:SHOP_USER",
                        "password_ref": "env:SHOP_PASSWORD",
                        "max_states": 8,
                        "time_budget_s": 40,
                        "max_tests": 6,
                    },
                )
                assert r.status_code == 201, r.text
                projects[tenant] = r.json()["id"]
        with server.client(keys[(OTHER, Role.ADMIN)]) as c:
            rival_tenant = c.get("/api/v2/tenant").json()["id"]
        seed_finished_run(home, rival_tenant, projects[OTHER], "run-rival000000000001")
        with server.client(keys[(OWN, Role.MAINTAINER)]) as c:
            r = c.post("/api/v2/runs", json={"project_id": projects[OWN]})
            assert r.status_code == 202, r.text
            own_run = r.json()["id"]
            heard = listen(server, keys[(OWN, Role.VIEWER)], own_run)
            wait_for(c, own_run, lambda run: run["state"] in ("COMPLETED", "FAILED"))
        runs = {OWN: own_run, OTHER: "run-rival000000000001"}
        yield World(server, keys, projects, runs, heard)
    finally:
        server.stop()
