"""Who a request is, and whether it may: decided before the route runs or reads its body.

Every API route declares the one permission it needs with `Depends(needs(...))`. The
`Guard` middleware finds the route a request is for, authenticates it (a bearer key, or the
dashboard's session cookie with its CSRF token on changes) and checks the role: 401 without
valid credentials, 403 without the permission, before any body is parsed.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.requests import HTTPConnection
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from qaforge.serve.accounts import VerifiedKeys, user_principal
from qaforge.serve.problems import problem_response
from qaforge.serve.security import Permission, Principal, allows
from qaforge.store.database import Database

CSRF_HEADER = "x-csrf-token"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

Dependency = Callable[[HTTPConnection], Awaitable[Principal]]


def needs(permission: Permission) -> Dependency:
    """A dependency giving the route its caller, who has `permission` (the guard checked)."""

    async def principal(conn: HTTPConnection) -> Principal:
        who = getattr(conn.state, "principal", None)
        if not isinstance(who, Principal) or not allows(who.role, permission):
            # Only reachable when the guard is not installed: refuse rather than serve.
            raise PermissionError("request reached a route without the guard")
        return who

    principal.permission = permission  # type: ignore[attr-defined]
    return principal


def permission_of(route: APIRoute | APIWebSocketRoute) -> Permission | None:
    """The permission a route declared (None: a public route)."""
    found = [
        getattr(d.call, "permission", None)
        for d in route.dependant.dependencies
        if getattr(d.call, "permission", None) is not None
    ]
    return found[0] if len(found) == 1 else None


def _is_page(path: str) -> bool:
    """A dashboard page (a browser is sent to the login page rather than given a 401)."""
    return not path.startswith("/api/") and path != "/metrics"


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Guard:
    """ASGI middleware: authenticate and authorise requests to guarded routes."""

    app: ASGIApp
    db_of: Callable[[], Database]
    routes_of: Callable[[], list[Any]]
    keys: VerifiedKeys
    # Paths served without credentials whatever their route says (/health, /ready, login).
    public: frozenset[str] = frozenset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.public:
            await self.app(scope, receive, send)
            return
        route_perm = self._permission(scope)
        if route_perm is None:
            await self.app(scope, receive, send)
            return
        request = HTTPConnection(scope)
        method = scope.get("method", "GET")
        who, by_cookie = await self._principal(request)
        failure: tuple[int, str] | None = None
        if who is None:
            failure = (401, "send a valid API key as 'Authorization: Bearer KEY', or log in")
        elif not allows(who.role, route_perm):
            failure = (403, f"role {who.role.value!r} may not do this (needs {route_perm.value})")
        elif by_cookie and scope["type"] == "http" and method in _UNSAFE:
            expected = request.session.get("csrf", "") if "session" in scope else ""
            given = request.headers.get(CSRF_HEADER, "")
            if not expected or not hmac.compare_digest(expected, given):
                failure = (403, "a change made with a session cookie needs its CSRF token")
        if failure is not None:
            if scope["type"] == "websocket":
                # Refused during the handshake: the client sees HTTP 403.
                await send({"type": "websocket.close", "code": 4000 + failure[0]})
                return
            if failure[0] == 401 and method == "GET" and _is_page(scope["path"]):
                await RedirectResponse("/login", status_code=303)(scope, receive, send)
                return
            headers = {"WWW-Authenticate": "Bearer"} if failure[0] == 401 else None
            response = problem_response(request, failure[0], failure[1], headers=headers)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = who
        await self.app(scope, receive, send)

    def _permission(self, scope: Scope) -> Permission | None:
        for route in self.routes_of():
            if not isinstance(route, APIRoute | APIWebSocketRoute):
                continue
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return permission_of(route)
        return None

    async def _principal(self, request: HTTPConnection) -> tuple[Principal | None, bool]:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return await self.keys.principal(self.db_of(), token.strip()), False
        if "session" in request.scope:
            user_id = request.session.get("user_id")
            if isinstance(user_id, str):
                return await user_principal(self.db_of(), user_id), True
        return None, False
