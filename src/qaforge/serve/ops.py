"""Operations: /health (the process answers), /ready (what it needs works), /metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select, text

from qaforge.bus.topics import type_topic
from qaforge.serve.auth import needs
from qaforge.serve.context import ServiceContext
from qaforge.serve.security import Permission
from qaforge.store.tables import DeadLetterRow, RunRow

router = APIRouter()


def _ctx(request: Request) -> ServiceContext:
    c: ServiceContext = request.app.state.ctx
    return c


@router.get("/health", tags=["operations"])
async def health() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok"}


@router.get("/ready", tags=["operations"])
async def ready(request: Request) -> JSONResponse:
    """Whether the database, the bus and a browser are available; 503 with the reasons when
    one is not."""
    c = _ctx(request)
    checks: dict[str, str] = {}

    async def database() -> None:
        async with c.db.session() as s:
            await s.execute(text("SELECT 1"))

    for name, probe in (("database", database), ("bus", c.orch.bus.ping)):
        try:
            await asyncio.wait_for(probe(), timeout=5)
            checks[name] = "ok"
        except Exception as exc:  # any failure is the reason not to be ready
            checks[name] = f"unavailable: {type(exc).__name__}: {exc}"[:300]
    checks["browser"] = (
        "ok"
        if c.settings.has_browser()
        else "unavailable: no Chromium (set QAFORGE_CHROMIUM or install Playwright's)"
    )
    if not c.runs.accepting:
        checks["runs"] = "unavailable: shutting down"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
    )


async def _metrics(request: Request) -> Response:
    c = _ctx(request)
    m = c.metrics
    async with c.db.session() as s:
        by_state = dict(
            (await s.execute(select(RunRow.state, func.count()).group_by(RunRow.state))).all()
        )
        dead = (await s.execute(select(func.count()).select_from(DeadLetterRow))).scalar_one()
    for state in ("PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"):
        m.runs.labels(state.lower()).set(by_state.get(state, 0))
    m.dead_letters.set(dead)
    for agent_type in c.orch.catalog.types:
        try:
            n = await asyncio.wait_for(c.orch.bus.length(type_topic(agent_type)), timeout=2)
        except Exception:  # a bus that cannot say: leave the last figure
            continue
        m.queue.labels(type_topic(agent_type)).set(n)
    m.active_runs.set(len(c.runs.active))
    return Response(m.render(), media_type=CONTENT_TYPE_LATEST)


def metrics_router(open_: bool) -> APIRouter:
    """/metrics: behind a key with `metrics:read`, unless configured open."""
    r = APIRouter()
    deps = [] if open_ else [Depends(needs(Permission.METRICS_READ))]
    r.add_api_route("/metrics", _metrics, methods=["GET"], tags=["operations"], dependencies=deps)
    return r
