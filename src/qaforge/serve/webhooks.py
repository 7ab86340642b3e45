"""`POST /api/v2/webhooks/github`: GitHub tells of a deployment or a pull request, qaforge runs
the project and tells back (a commit status, and the summary as a pull-request comment).

No key: a delivery is authenticated by its HMAC-SHA256 signature with the project's secret.
An unsigned, wrongly signed or replayed delivery (an id already handled) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qaforge.contracts.summary import RunSummary
from qaforge.crawl.auth import resolve_ref
from qaforge.integrations.ci_summary import markdown
from qaforge.integrations.github import API, GitHub, GitHubError
from qaforge.models import RunResults
from qaforge.serve.accounts import get_tenant
from qaforge.serve.context import ServiceContext
from qaforge.serve.problems import Problem
from qaforge.serve.schemas import RunIn
from qaforge.serve.security import Principal, Role
from qaforge.store.service_tables import ProjectRow, WebhookDeliveryRow

log = logging.getLogger(__name__)

PATH = "/api/v2/webhooks/github"
MAX_BODY = 2_000_000
router = APIRouter()


def signature_of(secret: str, body: bytes) -> str:
    """GitHub's `X-Hub-Signature-256` of `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def _projects_of(c: ServiceContext, repo: str) -> list[ProjectRow]:
    async with c.db.session() as s:
        rows = (await s.execute(select(ProjectRow))).scalars()
        return [r for r in rows if ((r.settings or {}).get("github_repo") or "").lower() == repo]


def _verified(projects: list[ProjectRow], body: bytes, given: str) -> ProjectRow | None:
    for p in projects:
        secret = resolve_ref(p.settings.get("github_secret_ref"))
        if secret and hmac.compare_digest(signature_of(secret, body), given):
            return p
    return None


async def _remember(c: ServiceContext, delivery: str, event: str, project_id: int) -> bool:
    """Record the delivery; False when its id was handled before (a replay)."""
    try:
        async with c.db.session() as s:
            s.add(WebhookDeliveryRow(id=delivery, event=event, project_id=project_id))
    except IntegrityError:
        return False
    return True


def _github(project: ProjectRow) -> GitHub | None:
    s = project.settings
    token = resolve_ref(s.get("github_token_ref"))
    if not token:
        return None
    return GitHub(str(s["github_repo"]), token, str(s.get("github_api_url") or API))


@router.post(PATH, tags=["integrations"])
async def github_webhook(request: Request) -> JSONResponse:
    """A GitHub delivery: `deployment_status` (success) runs the project on the deployment's
    URL, `pull_request` (opened, synchronize, reopened) on its base URL; `ping` answers."""
    c: ServiceContext = request.app.state.ctx
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Problem(413, "the delivery is too large")
    given = request.headers.get("x-hub-signature-256", "")
    delivery = request.headers.get("x-github-delivery", "")
    event = request.headers.get("x-github-event", "")
    if not given.startswith("sha256=") or not delivery:
        raise Problem(401, "an unsigned delivery (X-Hub-Signature-256 and X-GitHub-Delivery)")
    try:
        payload = json.loads(body)
        repo = str(payload["repository"]["full_name"]).lower()
    except (ValueError, KeyError, TypeError):
        raise Problem(400, "not a GitHub delivery: no repository.full_name") from None
    project = _verified(await _projects_of(c, repo), body, given)
    if project is None:
        raise Problem(401, "the signature does not match any project's secret for this repository")
    if not await _remember(c, delivery, event, project.id):
        raise Problem(409, f"delivery {delivery} was handled already (a replay)")
    tenant = await get_tenant(c.db, project.tenant_id)
    who = Principal("webhook", delivery, "github", tenant.id, tenant.name, Role.MAINTAINER)
    if event == "ping":
        return JSONResponse({"ok": True, "project": project.id})
    target: str | None = None
    sha = ""
    pr: int | None = None
    if event == "deployment_status":
        status = payload.get("deployment_status") or {}
        if status.get("state") != "success":
            return JSONResponse({"ignored": f"deployment state {status.get('state')}"}, 202)
        target = status.get("environment_url") or status.get("target_url") or None
        sha = str((payload.get("deployment") or {}).get("sha", ""))
        if not target:
            return JSONResponse({"ignored": "the deployment has no environment_url"}, 202)
    elif event == "pull_request":
        if payload.get("action") not in ("opened", "synchronize", "reopened"):
            return JSONResponse({"ignored": f"pull_request {payload.get('action')}"}, 202)
        pull = payload.get("pull_request") or {}
        pr = int(pull.get("number") or payload.get("number") or 0) or None
        sha = str((pull.get("head") or {}).get("sha", ""))
    else:
        return JSONResponse({"ignored": f"event {event}"}, 202)
    gh = _github(project)

    async def tell(run_id: str) -> None:
        if gh is None:
            return
        info = await c.runs.orch.runs.get(run_id)
        if not info.summary_path:
            if sha:
                await gh.commit_status(sha, "error", f"qaforge: run {run_id} {info.state.value}")
            return
        summary = RunSummary.load(Path(info.summary_path))
        results_path = Path(info.out_dir) / "results.json"
        results = (
            RunResults.model_validate_json(results_path.read_text(encoding="utf-8"))
            if results_path.is_file()
            else None
        )
        t = summary.tests
        if sha:
            state = "success" if summary.exit_code() == 0 else "failure"
            await gh.commit_status(
                sha,
                state,
                f"qaforge: {t.passed}/{t.generated} passed, {len(summary.findings)} findings",
            )
        if pr is not None:
            await gh.upsert_comment(pr, markdown(summary, results))

    try:
        spec = RunIn(project_id=project.id, base_url=target)
    except ValidationError:
        raise Problem(422, f"the deployment's URL {target!r} is not an http(s) URL") from None
    run_id = await c.runs.start(spec, tenant, who, after=tell)
    async with c.db.session() as s:
        row = await s.get(WebhookDeliveryRow, delivery)
        if row is not None:
            row.run_id = run_id
    if gh is not None and sha:
        try:
            await gh.commit_status(sha, "pending", "qaforge: testing this deployment")
        except GitHubError as exc:  # the run goes on; GitHub hears at its end, or not
            log.warning("run %s: the pending status was refused: %s", run_id, exc)
    answer: dict[str, Any] = {"run_id": run_id, "project": project.id}
    return JSONResponse(answer, 202)
