"""REST API v2: projects, runs and their artifacts and events, feedback, learning, keys.

Every route names the one permission it needs (`needs`); the guard enforces it before the
route runs. A resource of another tenant is 'not found', never 'forbidden'.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, Response, StreamingResponse

from qaforge.serve.accounts import (
    AccountError,
    create_key,
    get_tenant,
    list_keys,
    revoke_key,
    set_allow_hosts,
)
from qaforge.serve.auth import needs
from qaforge.serve.context import ServiceContext
from qaforge.serve.problems import Problem
from qaforge.serve.projects import create_project, list_projects, load_project
from qaforge.serve.runs import ARTIFACTS, SUITE_ZIP, RunManager
from qaforge.serve.schemas import (
    AllowHostsIn,
    FeedbackIn,
    FeedbackOut,
    KeyCreated,
    KeyIn,
    KeyOut,
    Page,
    ProjectIn,
    ProjectOut,
    RunIn,
    RunOut,
    RunTestsOut,
    TenantOut,
    WhoAmI,
)
from qaforge.serve.security import Permission, Principal

router = APIRouter(prefix="/api/v2")

PROJECTS_READ = Depends(needs(Permission.PROJECTS_READ))
PROJECTS_WRITE = Depends(needs(Permission.PROJECTS_WRITE))
RUNS_READ = Depends(needs(Permission.RUNS_READ))
RUNS_WRITE = Depends(needs(Permission.RUNS_WRITE))
ARTIFACTS_READ = Depends(needs(Permission.ARTIFACTS_READ))
FEEDBACK_WRITE = Depends(needs(Permission.FEEDBACK_WRITE))
LEARNING_READ = Depends(needs(Permission.LEARNING_READ))
ACCOUNTS_ADMIN = Depends(needs(Permission.ACCOUNTS_ADMIN))

OFFSET = Query(0, ge=0)
LIMIT = Query(50, ge=1, le=500)


def ctx(request: Request) -> ServiceContext:
    context: ServiceContext = request.app.state.ctx
    return context


def _page(items: list[Any], total: int, offset: int, limit: int) -> dict[str, Any]:
    nxt = offset + limit if offset + limit < total else None
    return {"items": items, "total": total, "offset": offset, "limit": limit, "next_offset": nxt}


# ---------------------------------------------------------------------------- who


@router.get("/whoami", response_model=WhoAmI, tags=["accounts"])
async def whoami(who: Principal = RUNS_READ) -> WhoAmI:
    """The caller: key or user, tenant and role."""
    return WhoAmI(kind=who.kind, name=who.name or who.id, tenant=who.tenant, role=who.role.value)


# ---------------------------------------------------------------------------- projects


@router.get("/projects", response_model=Page[ProjectOut], tags=["projects"])
async def projects(
    request: Request, offset: int = OFFSET, limit: int = LIMIT, who: Principal = PROJECTS_READ
) -> dict[str, Any]:
    """The tenant's projects."""
    items, total = await list_projects(ctx(request).db, who.tenant_id, offset, limit)
    return _page(items, total, offset, limit)


@router.post("/projects", response_model=ProjectOut, status_code=201, tags=["projects"])
async def new_project(
    spec: ProjectIn, request: Request, who: Principal = PROJECTS_WRITE
) -> ProjectOut:
    """Add an app under test; its URLs must be on the tenant's allow-list."""
    c = ctx(request)
    tenant = await get_tenant(c.db, who.tenant_id)
    return await create_project(c.db, tenant, spec, who.actor)


@router.get("/projects/{project_id}", response_model=ProjectOut, tags=["projects"])
async def project(project_id: int, request: Request, who: Principal = PROJECTS_READ) -> ProjectOut:
    """One project."""
    out, _ = await load_project(ctx(request).db, who.tenant_id, project_id)
    return out


# ---------------------------------------------------------------------------- runs


def _manager(request: Request) -> RunManager:
    return ctx(request).runs


@router.get("/runs", response_model=Page[RunOut], tags=["runs"])
async def runs(
    request: Request,
    project_id: int | None = Query(None),
    state: str | None = Query(None, pattern="^(?i)(pending|running|completed|failed|cancelled)$"),
    offset: int = OFFSET,
    limit: int = LIMIT,
    who: Principal = RUNS_READ,
) -> dict[str, Any]:
    """The tenant's runs, newest first, by project and state."""
    items, total = await _manager(request).list(
        who.tenant_id, offset=offset, limit=limit, project_id=project_id, state=state
    )
    return _page(items, total, offset, limit)


@router.post("/runs", response_model=RunOut, status_code=202, tags=["runs"])
async def start_run(spec: RunIn, request: Request, who: Principal = RUNS_WRITE) -> RunOut:
    """Start a run of a project; it goes on in the server (follow its events)."""
    c = ctx(request)
    tenant = await get_tenant(c.db, who.tenant_id)
    run_id = await c.runs.start(spec, tenant, who)
    return await c.runs.get(who.tenant_id, run_id)


@router.get("/runs/{run_id}", response_model=RunOut, tags=["runs"])
async def run(run_id: str, request: Request, who: Principal = RUNS_READ) -> RunOut:
    """One run: state, stage, figures, artifacts."""
    return await _manager(request).get(who.tenant_id, run_id)


@router.post("/runs/{run_id}/cancel", response_model=RunOut, tags=["runs"])
async def cancel_run(run_id: str, request: Request, who: Principal = RUNS_WRITE) -> RunOut:
    """Cancel a pending or running run (it can be resumed)."""
    m = _manager(request)
    await m.get(who.tenant_id, run_id)
    await m.cancel(run_id, who)
    return await m.get(who.tenant_id, run_id)


@router.post("/runs/{run_id}/resume", response_model=RunOut, status_code=202, tags=["runs"])
async def resume_run(run_id: str, request: Request, who: Principal = RUNS_WRITE) -> RunOut:
    """Go on with an interrupted, failed or cancelled run from its last checkpoint."""
    m = _manager(request)
    await m.get(who.tenant_id, run_id)
    await m.resume(run_id, who)
    return await m.get(who.tenant_id, run_id)


@router.get("/runs/{run_id}/artifacts/{name}", tags=["runs"])
async def artifact(
    run_id: str, name: str, request: Request, who: Principal = ARTIFACTS_READ
) -> Response:
    """A file of the run by its name (report.html, report.md, report.pdf, junit.xml,
    summary.json, model.json) or the generated suite as suite.zip. Only these names are
    served, and only from inside the run's folder."""
    info = await _manager(request).info(who.tenant_id, run_id)
    if not info.out_dir:
        raise Problem(404, f"run {run_id} has no files yet")
    root = Path(info.out_dir).resolve()
    if name == SUITE_ZIP:
        return _suite_zip(root, run_id)
    known = ARTIFACTS.get(name)
    if known is None:
        raise Problem(404, f"no artifact {name!r}; known: {', '.join([*ARTIFACTS, SUITE_ZIP])}")
    path = (root / known[0]).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Problem(404, f"run {run_id} has no {name} (yet)")
    # Shown in the browser, but sandboxed: a report holds the app's text, and must not run
    # with the dashboard's origin (its cookie, its API).
    return FileResponse(
        path,
        media_type=known[1],
        filename=name,
        content_disposition_type="inline",
        headers={
            "Content-Security-Policy": "sandbox allow-scripts allow-popups",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/runs/{run_id}/tests", response_model=RunTestsOut, tags=["runs"])
async def run_tests(run_id: str, request: Request, who: Principal = RUNS_READ) -> RunTestsOut:
    """The run's tests as they ended (those that did not pass first) and its findings."""
    return await _manager(request).tests(who.tenant_id, run_id)


@router.get("/runs/{run_id}/tests/{index}/{kind}", tags=["runs"])
async def test_file(
    run_id: str, index: int, kind: str, request: Request, who: Principal = ARTIFACTS_READ
) -> Response:
    """A test's screenshot (PNG) or Playwright trace (zip), by the test's index."""
    if kind not in ("screenshot", "trace"):
        raise Problem(404, f"no {kind!r} of a test; there are screenshot and trace")
    path = await _manager(request).test_file(who.tenant_id, run_id, index, kind)
    if kind == "screenshot":
        return FileResponse(
            path, media_type="image/png", headers={"X-Content-Type-Options": "nosniff"}
        )
    return FileResponse(path, media_type="application/zip", filename=f"{run_id}-{index}-trace.zip")


_PRIVATE = frozenset({".auth", ".qaforge", "__pycache__", "node_modules", "test-results"})


def _suite_zip(root: Path, run_id: str) -> Response:
    tests = (root / "tests").resolve()
    if not tests.is_relative_to(root) or not tests.is_dir():
        raise Problem(404, f"run {run_id} has no generated suite (yet)")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(tests.rglob("*")):
            # A link inside the suite could point anywhere: only real files under the folder.
            if p.is_symlink() or not p.is_file():
                continue
            # Never a login's cookies (.auth), qaforge's own records, caches or the toolchain.
            if _PRIVATE.intersection(p.relative_to(tests).parts):
                continue
            if not p.resolve().is_relative_to(tests):
                continue
            z.write(p, Path("tests") / p.relative_to(tests))
    return Response(
        buf.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{run_id}-suite.zip"'},
    )


@router.get("/runs/{run_id}/events", tags=["runs"])
async def run_events_sse(run_id: str, request: Request, who: Principal = RUNS_READ) -> Response:
    """The run's events as server-sent events: those so far, then live ones, to its end."""
    m = _manager(request)
    await m.get(who.tenant_id, run_id)

    async def stream() -> AsyncIterator[str]:
        async for item in m.follow(run_id):
            if await request.is_disconnected():
                return
            yield f"event: {item.get('kind', 'event')}\ndata: {json.dumps(item)}\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.websocket("/runs/{run_id}/events")
async def run_events_ws(run_id: str, websocket: WebSocket, who: Principal = RUNS_READ) -> None:
    """The run's events over a WebSocket (JSON messages), then the socket closes."""
    c: ServiceContext = websocket.app.state.ctx
    try:
        await c.runs.get(who.tenant_id, run_id)
    except Exception:
        await websocket.close(code=4404)
        return
    await websocket.accept()
    try:
        async for item in c.runs.follow(run_id):
            await websocket.send_json(item)
        await websocket.close()
    except (WebSocketDisconnect, asyncio.CancelledError, RuntimeError):
        return


@router.post("/runs/{run_id}/feedback", response_model=FeedbackOut, status_code=201, tags=["runs"])
async def feedback(
    run_id: str, spec: FeedbackIn, request: Request, who: Principal = FEEDBACK_WRITE
) -> FeedbackOut:
    """Rate a run or one of its tests (1 to 5); the learning loop folds it into rewards."""
    from qaforge.learn.config import LearningConfig
    from qaforge.learn.feedback import FeedbackError, add_feedback
    from qaforge.serve.accounts import audit

    c = ctx(request)
    await c.runs.get(who.tenant_id, run_id)
    try:
        fid = await add_feedback(
            c.db,
            run_id,
            spec.rating,
            coverage=spec.coverage,
            quality=spec.quality,
            relevance=spec.relevance,
            comment=spec.comment,
            test_id=spec.test_id,
            user_id=who.actor,
            config=LearningConfig.from_settings(c.settings),
        )
    except (FeedbackError, IndexError) as exc:
        raise Problem(409, str(exc) or f"run {run_id} has no generation to rate yet") from None
    await audit(c.db, "feedback", str(fid), "create", who.actor, run=run_id, test=spec.test_id)
    return FeedbackOut(id=fid, run_id=run_id, test_id=spec.test_id)


# ---------------------------------------------------------------------------- learning


def _own_app(app: str | None, who: Principal) -> bool:
    return not app or app.startswith(f"{who.tenant}/")


@router.get("/strategies", tags=["learning"])
async def strategies(request: Request, who: Principal = LEARNING_READ) -> list[dict[str, Any]]:
    """Strategy variants with their usage and quality figures."""
    from qaforge.learn.variants import list_variants

    async with ctx(request).db.session() as s:
        return [
            {
                "agent": v.agent,
                "name": v.name,
                "active": v.active,
                "default": v.is_default,
                "description": v.description,
                "usage": v.usage_count,
                "pass_rate": v.avg_pass_rate,
                "flake_rate": v.avg_flake_rate,
                "rating": v.avg_rating,
                "reward": v.avg_reward,
            }
            for v in await list_variants(s)
        ]


@router.get("/experiments", tags=["learning"])
async def experiments(request: Request, who: Principal = LEARNING_READ) -> list[dict[str, Any]]:
    """A/B experiments on strategies (the tenant's apps', and those over every app)."""
    from qaforge.learn.experiments import list_experiments

    async with ctx(request).db.session() as s:
        return [e for e in await list_experiments(s) if _own_app(e.get("app"), who)]


@router.get("/patterns", tags=["learning"])
async def patterns(request: Request, who: Principal = LEARNING_READ) -> list[dict[str, Any]]:
    """Patterns learned from high-reward generations."""
    from qaforge.learn.patterns import list_patterns

    async with ctx(request).db.session() as s:
        return [
            {
                "key": p.key,
                "app": p.app or "*",
                "kind": p.kind,
                "description": p.description,
                "success_rate": p.success_rate,
                "trials": p.trials,
            }
            for p in await list_patterns(s)
            if _own_app(p.app, who)
        ]


# ---------------------------------------------------------------------------- accounts


@router.get("/keys", response_model=list[KeyOut], tags=["accounts"])
async def keys(request: Request, who: Principal = ACCOUNTS_ADMIN) -> list[dict[str, Any]]:
    """The tenant's API keys (never their secrets)."""
    c = ctx(request)
    tenant = await get_tenant(c.db, who.tenant_id)
    return [k.as_dict() for k in await list_keys(c.db, tenant)]


@router.post("/keys", response_model=KeyCreated, status_code=201, tags=["accounts"])
async def new_key(spec: KeyIn, request: Request, who: Principal = ACCOUNTS_ADMIN) -> dict[str, Any]:
    """Create a key of the tenant; its token is in this answer only."""
    c = ctx(request)
    tenant = await get_tenant(c.db, who.tenant_id)
    expires = timedelta(days=spec.expires_in_days) if spec.expires_in_days else None
    info, token = await create_key(
        c.db, tenant, spec.role, name=spec.name, expires_in=expires, actor=who.actor
    )
    return {**info.as_dict(), "token": token}


@router.delete("/keys/{key_id}", status_code=204, tags=["accounts"])
async def delete_key(key_id: str, request: Request, who: Principal = ACCOUNTS_ADMIN) -> Response:
    """Revoke a key of the tenant."""
    try:
        await revoke_key(ctx(request).db, key_id, who.actor, tenant_id=who.tenant_id)
    except AccountError as exc:
        raise Problem(404, str(exc)) from None
    ctx(request).keys.forget(key_id)
    return Response(status_code=204)


@router.get("/tenant", response_model=TenantOut, tags=["accounts"])
async def tenant(request: Request, who: Principal = PROJECTS_READ) -> TenantOut:
    """The caller's tenant and the hosts its projects may target."""
    t = await get_tenant(ctx(request).db, who.tenant_id)
    return TenantOut(id=t.id, name=t.name, allow_hosts=t.allow_hosts)


@router.put("/tenant/allow-hosts", response_model=TenantOut, tags=["accounts"])
async def allow_hosts(
    spec: AllowHostsIn, request: Request, who: Principal = ACCOUNTS_ADMIN
) -> TenantOut:
    """Replace the hosts (names, `*.suffix`, CIDRs) the tenant's projects may target."""
    t = await set_allow_hosts(ctx(request).db, who.tenant_id, spec.hosts, who.actor)
    return TenantOut(id=t.id, name=t.name, allow_hosts=t.allow_hosts)


@router.get("/audit", tags=["accounts"])
async def audit_log(
    request: Request, offset: int = OFFSET, limit: int = LIMIT, who: Principal = ACCOUNTS_ADMIN
) -> dict[str, Any]:
    """Who did what, newest first (this tenant's actors)."""
    from sqlalchemy import func, select

    from qaforge.store.tables import AuditRow

    mine = AuditRow.actor.like(f"%@{who.tenant}")
    async with ctx(request).db.session() as s:
        total = (
            await s.execute(select(func.count()).select_from(AuditRow).where(mine))
        ).scalar_one()
        rows = (
            await s.execute(
                select(AuditRow)
                .where(mine)
                .order_by(AuditRow.id.desc())
                .offset(offset)
                .limit(limit)
            )
        ).scalars()
        items = [
            {
                "at": r.at.isoformat(),
                "entity": r.entity,
                "entity_id": r.entity_id,
                "action": r.action,
                "actor": r.actor,
                "detail": r.detail,
            }
            for r in rows
        ]
    return _page(items, int(total), offset, limit)
