"""The dashboard: server-rendered pages (Jinja2) over the same data as the API; a little
JavaScript follows a run live and sends changes through the API with the CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from qaforge.serve.accounts import get_tenant
from qaforge.serve.auth import needs
from qaforge.serve.context import ServiceContext
from qaforge.serve.projects import list_projects
from qaforge.serve.security import Permission, Principal, allows

router = APIRouter(include_in_schema=False)

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def _page(request: Request, template: str, who: Principal | None, **data: Any) -> HTMLResponse:
    csrf = request.session.get("csrf", "") if "session" in request.scope else ""
    html = _ENV.get_template(template).render(who=who, csrf=csrf, **data)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _ctx(request: Request) -> ServiceContext:
    c: ServiceContext = request.app.state.ctx
    return c


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, failed: int = 0) -> HTMLResponse:
    return _page(request, "login.html.j2", None, failed=bool(failed))


@router.get("/", response_class=HTMLResponse)
async def runs_page(
    request: Request, who: Principal = Depends(needs(Permission.RUNS_READ))
) -> HTMLResponse:
    c = _ctx(request)
    runs, _ = await c.runs.list(who.tenant_id, offset=0, limit=100)
    projects: list[Any] = []
    if allows(who.role, Permission.PROJECTS_READ):
        projects, _ = await list_projects(c.db, who.tenant_id, 0, 500)
    return _page(
        request,
        "runs.html.j2",
        who,
        runs=runs,
        projects=projects,
        names={p.id: p.name for p in projects},
        can_start=allows(who.role, Permission.RUNS_WRITE),
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
async def run_page(
    run_id: str, request: Request, who: Principal = Depends(needs(Permission.RUNS_READ))
) -> HTMLResponse:
    runs = _ctx(request).runs
    run = await runs.get(who.tenant_id, run_id)
    # Findings and tests once the run has results (a run in progress shows its events).
    found = await runs.tests(who.tenant_id, run_id)
    return _page(
        request,
        "run.html.j2",
        who,
        run=run,
        tests=found.tests,
        findings=found.findings,
        can_rate=allows(who.role, Permission.FEEDBACK_WRITE),
        can_read_files=allows(who.role, Permission.ARTIFACTS_READ),
    )


@router.get("/projects/{project_id}", response_class=HTMLResponse)
async def project_page(
    project_id: int, request: Request, who: Principal = Depends(needs(Permission.PROJECTS_READ))
) -> HTMLResponse:
    """A project's trends: pass rate, coverage, flaky and defect shares over its runs."""
    import asyncio

    from qaforge.report.charts import trend_chart
    from qaforge.serve.projects import load_project

    c = _ctx(request)
    project, _ = await load_project(c.db, who.tenant_id, project_id)
    runs, _ = await c.runs.list(
        who.tenant_id, offset=0, limit=30, project_id=project_id, state="COMPLETED"
    )
    runs = [r for r in reversed(runs) if r.figures]
    chart = ""
    if runs:
        labels = [r.created_at.strftime("%m-%d %H:%M") for r in runs]
        series = {
            "pass rate": [_share(r.figures, "pass_rate") for r in runs],
            "templates covered": [_share(r.figures, "coverage") for r in runs],
            "flaky": [_of_generated(r.figures, "quarantined") for r in runs],
            "app defects": [_of_generated(r.figures, "app_defects") for r in runs],
        }
        chart = await asyncio.to_thread(trend_chart, labels, series)
    return _page(request, "project.html.j2", who, project=project, runs=runs, chart=chart)


def _share(figures: dict[str, Any] | None, key: str) -> float | None:
    value = (figures or {}).get(key)
    return float(value) if isinstance(value, int | float) else None


def _of_generated(figures: dict[str, Any] | None, key: str) -> float | None:
    f = figures or {}
    generated, value = f.get("generated"), f.get(key)
    if not isinstance(generated, int) or not generated or not isinstance(value, int):
        return None
    return value / generated


@router.get("/keys", response_class=HTMLResponse)
async def keys_page(
    request: Request, who: Principal = Depends(needs(Permission.ACCOUNTS_ADMIN))
) -> HTMLResponse:
    """The tenant's API keys: create (the token is shown once), revoke."""
    from qaforge.serve.accounts import list_keys
    from qaforge.serve.security import Role

    c = _ctx(request)
    tenant = await get_tenant(c.db, who.tenant_id)
    keys = await list_keys(c.db, tenant)
    return _page(request, "keys.html.j2", who, keys=keys, roles=[r.value for r in Role])


@router.get("/projects", response_class=HTMLResponse)
async def projects_page(
    request: Request, who: Principal = Depends(needs(Permission.PROJECTS_READ))
) -> HTMLResponse:
    c = _ctx(request)
    projects, _ = await list_projects(c.db, who.tenant_id, 0, 500)
    tenant = await get_tenant(c.db, who.tenant_id)
    return _page(
        request,
        "projects.html.j2",
        who,
        projects=projects,
        allow_hosts=tenant.allow_hosts,
        can_write=allows(who.role, Permission.PROJECTS_WRITE),
    )
