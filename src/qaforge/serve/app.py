"""The FastAPI application of `qaforge serve`: lifespan, middleware, routers."""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qaforge import __version__
from qaforge.config import Settings
from qaforge.contracts.events import RunEvent
from qaforge.errors import mask_url
from qaforge.logs import TRACE_ID
from qaforge.orchestrate.orchestrator import OrchestrationOptions, Orchestrator
from qaforge.serve import api, dashboard, ops, webhooks
from qaforge.serve.accounts import VerifiedKeys, authenticate_user
from qaforge.serve.auth import Guard, new_csrf
from qaforge.serve.context import ServeOptions, ServiceContext, session_secret
from qaforge.serve.metrics import Metrics
from qaforge.serve.problems import Problem, install, problem_response
from qaforge.serve.runs import RunManager
from qaforge.serve.security import Passwords

log = logging.getLogger(__name__)

# Served without a key or session: a webhook delivery is checked by its signature instead.
PUBLIC = frozenset({"/health", "/ready", "/login", "/logout", webhooks.PATH})


@dataclass
class _RateLimit:
    """At most `per_minute` requests a minute per client address (login, key creation)."""

    per_minute: int
    seen: dict[str, deque[float]] = field(default_factory=dict)

    def allow(self, client: str) -> bool:
        t = time.monotonic()
        q = self.seen.setdefault(client, deque())
        while q and t - q[0] > 60:
            q.popleft()
        if len(q) >= self.per_minute:
            return False
        q.append(t)
        if len(self.seen) > 10_000:  # forget idle clients rather than grow without end
            for k in [k for k, v in self.seen.items() if not v]:
                del self.seen[k]
        return True


@dataclass
class _Timing:
    """ASGI middleware: request latency by route template, method and status."""

    app: ASGIApp
    metrics: Metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]
        TRACE_ID.set(_trace_id(dict(scope.get("headers") or [])))

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "unmatched")
            seconds = time.perf_counter() - start
            self.metrics.http.labels(scope["method"], name, str(status[0])).observe(seconds)
            # The access log (INFO): the route's template, never its query (it may hold ids).
            log.info("%s %s %d %.1fms", scope["method"], name, status[0], seconds * 1000)


@dataclass
class _Limited:
    """ASGI middleware: the rate limit on login and key creation (429 past it)."""

    app: ASGIApp
    limit: _RateLimit
    paths: frozenset[str] = frozenset({"/login", "/api/v2/keys"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in self.paths:
            client = (scope.get("client") or ("?", 0))[0]
            if not self.limit.allow(client):
                response = problem_response(
                    Request(scope),
                    429,
                    "too many attempts from this address; wait a minute",
                    headers={"Retry-After": "60"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _trace_id(headers: dict[bytes, bytes]) -> str:
    """The trace id of W3C `traceparent` (`00-<trace>-<span>-<flags>`), else a new one."""
    parts = headers.get(b"traceparent", b"").decode("latin-1").split("-")
    if len(parts) == 4 and len(parts[1]) == 32:
        return parts[1]
    return secrets.token_hex(16)


def create_app(
    settings: Settings,
    options: ServeOptions | None = None,
    *,
    orchestration: OrchestrationOptions | None = None,
    bus_url: str | None = None,
) -> FastAPI:
    """The server's application; the database, bus and agents open with its lifespan."""
    opts = options or ServeOptions()
    metrics = Metrics()
    keys = VerifiedKeys()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The agents' work in flight gets the server's drain time, not a default of its own.
        options = dataclasses.replace(
            orchestration or OrchestrationOptions(), drain_timeout_s=opts.drain_s
        )
        async with Orchestrator.open(settings, bus_url=bus_url, options=options) as orch:
            runs = RunManager(settings, orch)
            context = ServiceContext(settings, opts, orch, runs, Passwords.default(), metrics, keys)

            def count(event: RunEvent) -> None:
                metrics.on_event(event)

            unsubscribe = orch.events.subscribe(count)
            app.state.ctx = context
            log.info(
                "serving: database %s, bus %s",
                mask_url(settings.database_url or "-"),
                mask_url(orch.bus.url),
            )
            if opts.recover:
                taken = await runs.recover()
                if taken:
                    log.info("took up %d run(s) left by an earlier server: %s", len(taken), taken)
            try:
                yield
            finally:
                await runs.drain(opts.drain_s)
                unsubscribe()

    app = FastAPI(
        title="qaforge",
        version=__version__,
        description="Explore a web app, write and run its end-to-end tests, learn from them.",
        lifespan=lifespan,
    )
    install(app)
    metrics_routes = ops.metrics_router(opts.metrics_open)
    for r in (ops.router, metrics_routes, api.router, dashboard.router, webhooks.router):
        app.include_router(r)
    # The routes the guard checks, each with the permission it declared.
    app.state.guarded = guarded_routes(metrics_routes)
    _errors(app)

    @app.post("/login", tags=["accounts"])
    async def login(request: Request) -> Response:
        """Log in with a user's name and password (form or JSON); sets the session cookie."""
        c: ServiceContext = request.app.state.ctx
        form: dict[str, Any]
        try:
            if request.headers.get("content-type", "").startswith("application/json"):
                data = await request.json()
                form = dict(data) if isinstance(data, dict) else {}
            else:
                form = dict(await request.form())
        except ValueError:
            raise Problem(400, "send username and password as a form or a JSON object") from None
        who = await authenticate_user(
            c.db, str(form.get("username", "")), str(form.get("password", "")), c.passwords
        )
        wants_html = "text/html" in request.headers.get("accept", "")
        if who is None:
            if wants_html:
                return RedirectResponse("/login?failed=1", status_code=303)
            raise Problem(401, "wrong user name or password")
        request.session.clear()
        request.session.update({"user_id": who.id, "csrf": new_csrf()})
        if wants_html:
            return RedirectResponse("/", status_code=303)
        return JSONResponse(
            {"user": who.name, "role": who.role.value, "csrf": request.session["csrf"]}
        )

    @app.post("/logout", tags=["accounts"])
    async def logout(request: Request) -> Response:
        """End the session."""
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # Added innermost first: the session must be read before the guard looks at it.
    app.add_middleware(
        Guard,
        db_of=lambda: app.state.ctx.db,
        routes_of=lambda: app.state.guarded,
        keys=keys,
        public=PUBLIC,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie="qaforge_session",
        same_site="strict",
        https_only=opts.secure_cookies,
        max_age=12 * 3600,
    )
    app.add_middleware(_Limited, limit=_RateLimit(opts.auth_rate_per_minute))
    app.add_middleware(_Timing, metrics=metrics)
    return app


def guarded_routes(metrics_routes: APIRouter) -> list[BaseRoute]:
    """Every route of the API, the dashboard and /metrics (the guard matches a request
    against these; the authorisation tests enumerate them)."""
    return [*api.router.routes, *dashboard.router.routes, *metrics_routes.routes]


def _errors(app: FastAPI) -> None:
    """What qaforge's own exceptions mean in HTTP."""
    from qaforge.orchestrate.runs import ResumeRefused, RunNotFound
    from qaforge.orchestrate.states import InvalidTransition
    from qaforge.serve.accounts import AccountError
    from qaforge.serve.projects import NotAllowed, ProjectNotFound
    from qaforge.serve.runs import AlreadyRunning, MissingSecrets, ServiceStopping

    table: list[tuple[type[Exception], int]] = [
        (RunNotFound, 404),
        (ProjectNotFound, 404),
        (AccountError, 404),
        (NotAllowed, 403),
        (ResumeRefused, 409),
        (InvalidTransition, 409),
        (AlreadyRunning, 409),
        (MissingSecrets, 422),
        (ServiceStopping, 503),
    ]
    for exc_type, status in table:

        def handler(request: Request, exc: Exception, status: int = status) -> Response:
            return problem_response(request, status, str(exc))

        app.add_exception_handler(exc_type, handler)
