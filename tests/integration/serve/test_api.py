"""The API's contract: projects, runs, artifacts (and what it will not serve), keys, audit,
feedback, problem details."""

from __future__ import annotations

import http.client
import io
import subprocess
import zipfile
from pathlib import Path

from qaforge.serve.security import Role
from tests.integration.serve.conftest import OTHER, OWN, World
from tests.integration.serve.server import QAFORGE, ROOT, server_env


def test_openapi_documents_every_route_under_api_v2(world: World) -> None:
    with world.server.client() as c:
        doc = c.get("/openapi.json").json()
    paths = set(doc["paths"])
    for p in (
        "/api/v2/projects",
        "/api/v2/runs",
        "/api/v2/runs/{run_id}",
        "/api/v2/runs/{run_id}/artifacts/{name}",
        "/api/v2/runs/{run_id}/feedback",
        "/api/v2/keys",
        "/health",
        "/ready",
    ):
        assert p in paths
    assert "ProjectIn" in doc["components"]["schemas"]


def test_errors_are_problem_details(world: World) -> None:
    with world.server.client(world.key(Role.VIEWER)) as c:
        r = c.get("/api/v2/runs/run-nobody")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert "run-nobody" in body["detail"] and body["instance"] == "/api/v2/runs/run-nobody"


def test_a_project_url_must_be_on_the_tenants_allow_list(world: World) -> None:
    with world.server.client(world.key(Role.MAINTAINER)) as c:
        for url in ("http://10.1.2.3/", "http://example.com/", "http://user:pw@127.0.0.1/"):
            r = c.post("/api/v2/projects", json={"name": "x", "base_url": url})
            assert r.status_code == 403, (url, r.text)
            assert "allow-list" in r.json()["detail"]
        r = c.post(
            "/api/v2/projects",
            json={"name": "x", "base_url": "http://127.0.0.1:9/", "login_url": "http://evil.test/"},
        )
        assert r.status_code == 403
        # Not a URL at all, a value instead of a secret reference: 422 with where.
        r = c.post("/api/v2/projects", json={"name": "x", "base_url": "file:///etc/passwd"})
        assert r.status_code == 422
        r = c.post(
            "/api/v2/projects",
            json={"name": "x", "base_url": "http://127.0.0.1:9/", "password_ref": "hunter2"},
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["body", "password_ref"]
    # An admin widens the list (a CIDR and a suffix), then the same URL is accepted.
    with world.server.client(world.key(Role.ADMIN)) as c:
        r = c.put(
            "/api/v2/tenant/allow-hosts",
            json={"hosts": ["127.0.0.1", "localhost", "10.0.0.0/8", "*.staging.test"]},
        )
        assert r.status_code == 200 and "10.0.0.0/8" in r.json()["allow_hosts"]
    with world.server.client(world.key(Role.MAINTAINER)) as c:
        for url in ("http://10.1.2.3/", "https://app.staging.test/"):
            r = c.post("/api/v2/projects", json={"name": "wide", "base_url": url})
            assert r.status_code == 201, r.text
        assert (
            c.post(
                "/api/v2/projects", json={"name": "x", "base_url": "https://staging.test.evil/"}
            ).status_code
            == 403
        )
    with world.server.client(world.key(Role.ADMIN)) as c:
        c.put("/api/v2/tenant/allow-hosts", json={"hosts": ["127.0.0.1", "localhost", "::1"]})


def test_a_projects_secrets_are_references_and_never_returned(world: World) -> None:
    with world.server.client(world.key(Role.MAINTAINER)) as c:
        r = c.post(
            "/api/v2/projects",
            json={
                "name": "with-login",
                "base_url": "http://127.0.0.1:9/",
                "login_url": "http://127.0.0.1:9/login",
                "username_ref": "env:SHOP_USER",
                "password_ref": "env:SHOP_PASSWORD",
            },
        )
        assert r.status_code == 201
        assert r.json()["has_login"] is True
        listed = c.get("/api/v2/projects", params={"limit": 500}).text
    assert "SHOP_PASSWORD" not in r.text and "env:" not in listed


def test_lists_page_with_offset_and_limit(world: World) -> None:
    with world.server.client(world.key(Role.MAINTAINER)) as c:
        for i in range(3):
            c.post("/api/v2/projects", json={"name": f"p{i}", "base_url": "http://127.0.0.1:9/"})
        first = c.get("/api/v2/projects", params={"limit": 2}).json()
        assert len(first["items"]) == 2 and first["next_offset"] == 2
        rest = c.get("/api/v2/projects", params={"offset": 2, "limit": 500}).json()
        assert rest["total"] == first["total"] and rest["next_offset"] is None
        ids = [p["id"] for p in first["items"] + rest["items"]]
        assert len(ids) == len(set(ids)) == first["total"]
        assert c.get("/api/v2/projects", params={"limit": 0}).status_code == 422
        runs = c.get("/api/v2/runs", params={"state": "completed"}).json()
        assert [r["id"] for r in runs["items"]] == [world.run[OWN]]
        none = c.get("/api/v2/runs", params={"project_id": 999999}).json()
        assert none["total"] == 0


def test_a_finished_run_shows_its_figures_and_serves_its_files(world: World) -> None:
    with world.server.client(world.key(Role.VIEWER)) as c:
        run = c.get(f"/api/v2/runs/{world.run[OWN]}").json()
        assert run["state"] == "COMPLETED" and run["exit_code"] in (0, 1)
        assert run["figures"]["generated"] >= 1 and run["started_by"].endswith("@acme")
        assert {"report.html", "summary.json", "junit.xml", "suite.zip"} <= set(run["artifacts"])
        html = c.get(f"/api/v2/runs/{world.run[OWN]}/artifacts/report.html")
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        summary = c.get(f"/api/v2/runs/{world.run[OWN]}/artifacts/summary.json").json()
        assert summary["run_id"] == world.run[OWN]
        # It logged in with the project's references (the server has no QAFORGE_USERNAME),
        # and its tests, run with those credentials, pass on the healthy shop.
        model = c.get(f"/api/v2/runs/{world.run[OWN]}/artifacts/model.json").json()
        assert any(s.get("requires_login") for s in model["states"])
        assert summary["pass_rate"] == 1.0, summary["tests"]
        z = c.get(f"/api/v2/runs/{world.run[OWN]}/artifacts/suite.zip")
        assert z.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
        assert any(n.startswith("tests/") and n.endswith(".py") for n in names)
        assert not any(".." in n or n.startswith("/") for n in names)


def test_no_request_reaches_a_file_outside_the_runs_folder(world: World, tmp_path: Path) -> None:
    run_id = world.run[OTHER]
    # The other tenant's run folder is ours to plant a link in: a link in the suite that
    # points at a secret outside must not be zipped.
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    out = world.server.home / "runs" / run_id
    (out / "tests" / "leak.txt").symlink_to(secret)
    key = world.key(Role.VIEWER, OTHER)
    # Sent byte for byte (an HTTP client library would tidy the dots away first).
    for name in (
        "..%2F..%2Fqaforge.db",
        "%2e%2e%2fsession.key",
        "..",
        "../../qaforge.db",
        "..%2f..%2f..%2fsession.key",
        "session.key",
        "tests",
        "report.html%00.txt",
        "%2Fetc%2Fpasswd",
    ):
        status, body = _raw_get(world, f"/api/v2/runs/{run_id}/artifacts/{name}", key)
        assert status == 404, (name, status)
        assert b"top secret" not in body and b"SQLite" not in body
    with world.server.client(key) as c:
        z = c.get(f"/api/v2/runs/{run_id}/artifacts/suite.zip")
        names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert names == ["tests/test_x.py"]


def test_a_runs_tests_and_findings_with_their_screenshots_inside_its_folder_only(
    world: World,
) -> None:
    run_id = world.run[OTHER]
    with world.server.client(world.key(Role.VIEWER, OTHER)) as c:
        got = c.get(f"/api/v2/runs/{run_id}/tests")
        assert got.status_code == 200, got.text
        body = got.json()
        # The test that did not pass comes first, with why and what shows it.
        first, second = body["tests"]
        assert (first["test_id"], first["outcome"], first["index"]) == (
            "test_x.py::test_x",
            "app-defect",
            1,
        )
        assert first["message"] == "console errors: boom" and first["screenshot"] is True
        # Its trace path leads out of the run's folder: not offered, not served.
        assert first["trace"] is False and second["outcome"] == "passed"
        assert body["findings"] == [{"kind": "console-error", "where": "/x", "detail": "boom"}]
        shot = c.get(f"/api/v2/runs/{run_id}/tests/1/screenshot")
        assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"
        assert shot.content.startswith(b"\x89PNG")
        for url in ("tests/1/trace", "tests/0/screenshot", "tests/2/screenshot", "tests/1/x"):
            r = c.get(f"/api/v2/runs/{run_id}/{url}")
            assert r.status_code == 404 and b"not yours" not in r.content, (url, r.status_code)
    # A viewer of the other tenant sees none of it.
    with world.server.client(world.key(Role.VIEWER, OWN)) as c:
        assert c.get(f"/api/v2/runs/{run_id}/tests").status_code == 404
        assert c.get(f"/api/v2/runs/{run_id}/tests/1/screenshot").status_code == 404


def _raw_get(world: World, path: str, key: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", world.server.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.putheader("Authorization", f"Bearer {key}")
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def test_keys_are_created_shown_once_listed_without_secret_and_revoked(world: World) -> None:
    with world.server.client(world.key(Role.ADMIN)) as c:
        made = c.post("/api/v2/keys", json={"role": "viewer", "name": "ci"}).json()
        token = made["token"]
        assert token.startswith("qf_") and made["role"] == "viewer"
        listed = c.get("/api/v2/keys").text
        assert token not in listed and made["id"] in listed
    with world.server.client(token) as c:
        assert c.get("/api/v2/whoami").json() == {
            "kind": "key",
            "name": "ci",
            "tenant": OWN,
            "role": "viewer",
        }
    with world.server.client(world.key(Role.ADMIN)) as c:
        assert c.delete(f"/api/v2/keys/{made['id']}").status_code == 204
        audit = c.get("/api/v2/audit", params={"limit": 500}).json()["items"]
    with world.server.client(token) as c:
        assert c.get("/api/v2/whoami").status_code == 401
    actions = {(a["entity"], a["entity_id"], a["action"]) for a in audit}
    assert ("key", made["id"], "create") in actions and ("key", made["id"], "revoke") in actions
    assert ("run", world.run[OWN], "start") in actions
    assert all(a["actor"].endswith(f"@{OWN}") for a in audit)


def test_feedback_on_a_run_and_a_test_is_stored_and_audited(world: World) -> None:
    run_id = world.run[OWN]
    with world.server.client(world.key(Role.VIEWER)) as c:
        assert c.post(f"/api/v2/runs/{run_id}/feedback", json={"rating": 4}).status_code == 403
    with world.server.client(world.key(Role.MAINTAINER)) as c:
        r = c.post(f"/api/v2/runs/{run_id}/feedback", json={"rating": 4, "comment": "useful"})
        assert r.status_code == 201, r.text
        assert c.post(f"/api/v2/runs/{run_id}/feedback", json={"rating": 9}).status_code == 422
        r = c.post(f"/api/v2/runs/{run_id}/feedback", json={"rating": 2, "test_id": "nope"})
        assert r.status_code == 409 and "nope" in r.json()["detail"]
    with world.server.client(world.key(Role.ADMIN)) as c:
        audit = c.get("/api/v2/audit", params={"limit": 500}).json()["items"]
    assert any(a["entity"] == "feedback" and a["detail"]["run"] == run_id for a in audit)


def test_admin_create_key_prints_the_key_alone_and_it_works(world: World) -> None:
    p = subprocess.run(
        [QAFORGE, "admin", "create-key", "--tenant", "newco", "--role", "maintainer"],
        cwd=ROOT,
        env=server_env(world.server.home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    token = p.stdout.strip()
    assert p.stdout.count("\n") == 1 and token.startswith("qf_")
    with world.server.client(token) as c:
        me = c.get("/api/v2/whoami").json()
        assert me["tenant"] == "newco" and me["role"] == "maintainer"
        assert c.get("/api/v2/runs").json()["total"] == 0  # a new tenant sees nothing
