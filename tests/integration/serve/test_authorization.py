"""Every route × every role × own or other tenant: allowed, 401, 403 or 404, from the route
table itself, so that a new endpoint without a permission or an expectation fails here."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute

from qaforge.serve import ops
from qaforge.serve.app import PUBLIC, guarded_routes
from qaforge.serve.auth import permission_of
from qaforge.serve.security import Role, allows
from tests.integration.serve.conftest import OTHER, OWN, World

# What an allowed caller gets from each route with this test's requests: on its own
# tenant's resources, and on the other tenant's (None: the route names no resource).
# POSTs send an empty body, so an allowed caller gets 422 (the body is checked after the
# guard): no run starts and nothing changes.
EXPECT: dict[tuple[str, str], tuple[int, int | None]] = {
    ("GET", "/api/v2/whoami"): (200, None),
    ("GET", "/api/v2/projects"): (200, None),
    ("POST", "/api/v2/projects"): (422, None),
    ("GET", "/api/v2/projects/{project_id}"): (200, 404),
    ("GET", "/api/v2/runs"): (200, None),
    ("POST", "/api/v2/runs"): (422, None),
    ("GET", "/api/v2/runs/{run_id}"): (200, 404),
    ("POST", "/api/v2/runs/{run_id}/cancel"): (409, 404),  # a finished run cannot be cancelled
    ("POST", "/api/v2/runs/{run_id}/resume"): (409, 404),  # nor resumed
    ("GET", "/api/v2/runs/{run_id}/artifacts/{name}"): (200, 404),
    ("GET", "/api/v2/runs/{run_id}/events"): (200, 404),
    ("GET", "/api/v2/runs/{run_id}/tests"): (200, 404),
    # A test index the run does not have (test_api reads a real screenshot).
    ("GET", "/api/v2/runs/{run_id}/tests/{index}/{kind}"): (404, 404),
    ("POST", "/api/v2/runs/{run_id}/feedback"): (422, None),
    ("GET", "/api/v2/strategies"): (200, None),
    ("GET", "/api/v2/experiments"): (200, None),
    ("GET", "/api/v2/patterns"): (200, None),
    ("GET", "/api/v2/keys"): (200, None),
    ("POST", "/api/v2/keys"): (422, None),
    ("DELETE", "/api/v2/keys/{key_id}"): (404, 404),  # an unknown id; the other's key
    ("GET", "/api/v2/tenant"): (200, None),
    ("PUT", "/api/v2/tenant/allow-hosts"): (422, None),
    ("GET", "/api/v2/audit"): (200, None),
    ("GET", "/metrics"): (200, None),
    ("GET", "/"): (200, None),
    ("GET", "/runs/{run_id}"): (200, 404),
    ("GET", "/projects"): (200, None),
    ("GET", "/projects/{project_id}"): (200, 404),
    ("GET", "/keys"): (200, None),
    ("WS", "/api/v2/runs/{run_id}/events"): (101, None),
}


def _routes() -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for route in guarded_routes(ops.metrics_router(open_=False)):
        if getattr(route, "path", "") in PUBLIC:
            continue
        if isinstance(route, APIRoute):
            for method in sorted(route.methods):
                out.append((method, route.path, permission_of(route)))
        elif isinstance(route, APIWebSocketRoute):
            out.append(("WS", route.path, permission_of(route)))
    return out


ROUTES = _routes()


def test_every_route_names_a_permission_and_an_expectation() -> None:
    """A route added without `needs(...)` or without a line in EXPECT fails here."""
    assert len(ROUTES) >= 25
    for method, path, permission in ROUTES:
        assert permission is not None, f"{method} {path} declares no permission"
        assert (method, path) in EXPECT, f"{method} {path}: add its expectation to EXPECT"
    assert set(EXPECT) == {(m, p) for m, p, _ in ROUTES}


def test_every_path_of_the_app_is_guarded_or_public(world: World) -> None:
    """The OpenAPI document lists no path the guard does not know, except the public ones."""
    with world.server.client() as c:
        paths = c.get("/openapi.json").json()["paths"]
    guarded = {p for _, p, _ in ROUTES}
    for path in paths:
        assert path in guarded or path in PUBLIC, f"{path} is neither guarded nor public"


def _fill(path: str, world: World, tenant: str) -> str:
    values = {
        "project_id": str(world.project[tenant]),
        "run_id": world.run[tenant],
        "name": "summary.json",
        "index": "99999",
        "kind": "screenshot",
        # acme: an id nobody has; rival: a real key of the other tenant (must survive).
        "key_id": "000000000000" if tenant == OWN else world.key(Role.VIEWER, OTHER)[3:15],
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def _call(client: httpx.Client, method: str, url: str) -> int:
    if method in ("POST", "PUT"):
        body = None if url.endswith(("/cancel", "/resume")) else {}
        return client.request(method, url, json=body).status_code
    return client.request(method, url).status_code


def _ws(world: World, url: str, key: str | None) -> int:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    ws_url = world.server.url.replace("http://", "ws://") + url
    try:
        with connect(ws_url, additional_headers=headers, open_timeout=10):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


@pytest.mark.parametrize(
    ("method", "path", "permission"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_each_role_gets_what_its_permission_says(
    world: World, method: str, path: str, permission: Any
) -> None:
    own_expected, other_expected = EXPECT[(method, path)]
    own_url = _fill(path, world, OWN)
    other_url = _fill(path, world, OTHER)
    # No credentials, and a key that is not one: 401; a dashboard page sends a browser to
    # the login page instead; a WebSocket is refused at the handshake.
    page = not path.startswith(("/api/", "/metrics"))
    anonymous = 403 if method == "WS" else 303 if page else 401
    for key in (None, "qf_0123456789ab_not-a-key"):
        if method == "WS":
            assert _ws(world, own_url, key) == anonymous
        else:
            with world.server.client(key) as c:
                got = _call(c, method, own_url)
                assert got == anonymous, f"{method} {own_url} with {key} → {got}"
                if page:
                    r = c.get(own_url)
                    assert r.headers["location"] == "/login"
    for role in Role:
        key = world.key(role)
        if method == "WS":
            got = _ws(world, own_url, key)
            want = own_expected if allows(role, permission) else 403
            assert got == want, f"{role.value}: WS {own_url} → {got}"
            continue
        with world.server.client(key) as c:
            got = _call(c, method, own_url)
            if not allows(role, permission):
                assert got == 403, f"{role.value}: {method} {own_url} → {got}, not 403"
                continue
            assert got == own_expected, f"{role.value}: {method} {own_url} → {got}"
            if other_expected is not None:
                got = _call(c, method, other_url)
                assert got == other_expected, f"{role.value}: {method} {other_url} → {got}"


def test_a_role_without_the_permission_is_refused_before_its_body_is_read(world: World) -> None:
    with world.server.client(world.key(Role.VIEWER)) as c:
        r = c.post(
            "/api/v2/projects", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    with world.server.client() as c:
        r = c.post("/api/v2/runs", content=b"\x00" * 10)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_the_other_tenants_key_survived_the_matrix(world: World) -> None:
    with world.server.client(world.key(Role.VIEWER, OTHER)) as c:
        assert c.get("/api/v2/whoami").json()["tenant"] == OTHER
        # And it sees its own run, never acme's.
        ids = [r["id"] for r in c.get("/api/v2/runs").json()["items"]]
    assert ids == [world.run[OTHER]]
