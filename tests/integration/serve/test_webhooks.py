"""GitHub's webhook: signed deliveries start runs, replays and forgeries are refused, and the
result goes back to (a local fake of) GitHub's API as a commit status and a comment."""

from __future__ import annotations

import json
import time
import uuid

from qaforge.demoapp.launcher import DemoApp
from qaforge.serve.security import Role
from qaforge.serve.webhooks import PATH, signature_of
from tests.fixtures.fake_github import FakeGitHub
from tests.integration.serve.conftest import GH_TOKEN, HOOK_SECRET, World
from tests.integration.serve.server import wait_for


def _send(
    world: World,
    event: str,
    payload: dict[str, object],
    *,
    secret: str | None = HOOK_SECRET,
    delivery: str | None = None,
) -> tuple[int, dict[str, object], str]:
    body = json.dumps(payload).encode()
    delivery = delivery or str(uuid.uuid4())
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
    }
    if secret is not None:
        headers["X-Hub-Signature-256"] = signature_of(secret, body)
    with world.server.client() as c:
        r = c.post(PATH, content=body, headers=headers)
    return r.status_code, r.json(), delivery


def test_signed_deliveries_run_the_project_and_report_back(world: World, demo_app: DemoApp) -> None:
    repo = {"repository": {"full_name": "acme/shop"}}
    with FakeGitHub(token=GH_TOKEN) as gh:
        with world.server.client(world.key(Role.MAINTAINER)) as c:
            r = c.post(
                "/api/v2/projects",
                json={
                    "name": "shop-gh",
                    "base_url": demo_app.url + "/",
                    "max_states": 6,
                    "time_budget_s": 25,
                    "max_tests": 3,
                    "github_repo": "acme/shop",
                    "github_secret_ref": "env:GH_HOOK_SECRET",
                    "github_token_ref": "env:GH_TOKEN",
                    "github_api_url": gh.url,
                },
            )
            assert r.status_code == 201, r.text
            assert r.json()["github_repo"] == "acme/shop" and "GH_" not in r.text

        # Unsigned, forged, then a ping; the ping again is a replay.
        assert _send(world, "ping", repo, secret=None)[0] == 401
        assert _send(world, "ping", repo, secret="not-the-secret")[0] == 401
        code, body, delivery = _send(world, "ping", repo)
        assert code == 200 and body["ok"] is True
        assert _send(world, "ping", repo, delivery=delivery)[0] == 409

        # A deployment outside the tenant's allow-list is refused before anything runs.
        code, body, _ = _send(
            world,
            "deployment_status",
            {
                **repo,
                "deployment": {"sha": "a" * 40},
                "deployment_status": {"state": "success", "environment_url": "http://10.9.9.9/"},
            },
        )
        assert code == 403 and "allow-list" in str(body["detail"])

        sha = "b" * 40
        code, body, _ = _send(
            world,
            "pull_request",
            {
                **repo,
                "action": "synchronize",
                "pull_request": {"number": 7, "head": {"sha": sha}},
            },
        )
        assert code == 202, body
        run_id = str(body["run_id"])
        with world.server.client(world.key(Role.VIEWER)) as c:
            run = wait_for(c, run_id, lambda r: r["state"] in ("COMPLETED", "FAILED"))
        assert run["state"] == "COMPLETED" and run["started_by"] == "webhook:github@acme"
        deadline = time.monotonic() + 30
        # The final status goes first, then the comment: wait for both.
        while time.monotonic() < deadline and (
            len(gh.statuses.get(("acme/shop", sha), [])) < 2 or ("acme/shop", 7) not in gh.comments
        ):
            time.sleep(0.2)
        states = [s["state"] for s in gh.statuses[("acme/shop", sha)]]
        assert states == ["pending", "success"], states
        comments = gh.comments[("acme/shop", 7)]
        assert len(comments) == 1 and comments[0]["body"].startswith("<!-- qaforge-ci -->")

        # A deployment that did not succeed is ignored; a successful one on an allowed URL
        # runs the project there (cancelled here at once: its end is told to GitHub too).
        deployment = {**repo, "deployment": {"sha": "c" * 40}}
        code, body, _ = _send(
            world,
            "deployment_status",
            {**deployment, "deployment_status": {"state": "pending", "environment_url": "x"}},
        )
        assert code == 202 and "ignored" in body
        code, body, _ = _send(
            world,
            "deployment_status",
            {
                **deployment,
                "deployment_status": {"state": "success", "environment_url": demo_app.url + "/"},
            },
        )
        assert code == 202 and body["project"] == run["project_id"], body
        deployed = str(body["run_id"])
        with world.server.client(world.key(Role.MAINTAINER)) as c:
            assert c.post(f"/api/v2/runs/{deployed}/cancel").status_code == 200
            run = wait_for(c, deployed, lambda r: r["state"] not in ("PENDING", "RUNNING"))
        assert run["state"] == "CANCELLED" and run["started_by"] == "webhook:github@acme", run
        deadline = time.monotonic() + 30
        while len(gh.statuses.get(("acme/shop", "c" * 40), [])) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        statuses = gh.statuses[("acme/shop", "c" * 40)]
        assert [s["state"] for s in statuses] == ["pending", "error"], statuses
        assert "CANCELLED" in statuses[1]["description"].upper(), statuses
