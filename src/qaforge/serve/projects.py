"""Projects of a tenant, and the allow-list their base URLs must pass."""

from __future__ import annotations

import ipaddress
from fnmatch import fnmatch
from urllib.parse import urlsplit

from sqlalchemy import func, select

from qaforge.errors import UserError
from qaforge.serve.accounts import Tenant, audit
from qaforge.serve.schemas import ProjectIn, ProjectOut
from qaforge.store.database import Database
from qaforge.store.service_tables import ProjectRow
from qaforge.store.times import aware


class NotAllowed(UserError):
    """A URL outside the tenant's allow-list."""


class ProjectNotFound(UserError):
    """No such project in the caller's tenant."""


def host_allowed(url: str, allow_hosts: list[str]) -> bool:
    """Whether `url` is http(s) and its host is on the allow-list (exact, `*.suffix`, or a
    CIDR such as `10.0.0.0/8`). A host that is an address is compared as one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower().rstrip(".")
    if parts.username or parts.password:  # credentials in a URL end up in logs and reports
        return False
    try:
        addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        addr = None
    for pattern in allow_hosts:
        p = pattern.strip().lower()
        if "/" in p and addr is not None:
            try:
                if addr in ipaddress.ip_network(p, strict=False):
                    return True
            except ValueError:
                continue
        elif p.startswith("*.") and addr is None:
            if fnmatch(host, p):
                return True
        elif host == p:
            return True
    return False


def check_allowed(url: str, tenant: Tenant, what: str) -> None:
    """Refuse a URL the tenant may not target, saying how an admin allows it."""
    if not host_allowed(url, tenant.allow_hosts):
        host = urlsplit(url).hostname or url
        raise NotAllowed(
            f"{what} {url!r}: host {host!r} is not on tenant {tenant.name!r}'s allow-list "
            f"({', '.join(tenant.allow_hosts) or 'empty'}); an admin adds it with "
            "PUT /api/v2/tenant/allow-hosts"
        )


def _out(row: ProjectRow) -> ProjectOut:
    s = row.settings
    created = aware(row.created_at)
    assert created is not None
    return ProjectOut(
        id=row.id,
        name=row.name,
        base_url=row.base_url,
        include=list(s.get("include", [])),
        exclude=list(s.get("exclude", [])),
        login_url=s.get("login_url"),
        has_login=bool(s.get("username_ref") and s.get("password_ref")),
        max_states=int(s.get("max_states", 40)),
        time_budget_s=float(s.get("time_budget_s", 120.0)),
        max_tests=s.get("max_tests"),
        github_repo=s.get("github_repo"),
        created_at=created,
    )


async def create_project(db: Database, tenant: Tenant, spec: ProjectIn, actor: str) -> ProjectOut:
    """Store a project after checking its URLs against the allow-list."""
    base = str(spec.base_url)
    check_allowed(base, tenant, "base URL")
    if spec.login_url is not None:
        check_allowed(str(spec.login_url), tenant, "login URL")
    if spec.github_api_url is not None:  # the server sends the token there
        check_allowed(str(spec.github_api_url), tenant, "GitHub API URL")
    settings = spec.model_dump(mode="json", exclude={"name", "base_url"})
    async with db.session() as s:
        row = ProjectRow(tenant_id=tenant.id, name=spec.name, base_url=base, settings=settings)
        s.add(row)
        await s.flush()
        out = _out(row)
    await audit(db, "project", str(out.id), "create", actor, name=spec.name, base_url=base)
    return out


async def load_project(db: Database, tenant_id: int, project_id: int) -> tuple[ProjectOut, dict]:  # type: ignore[type-arg]
    """The project and its stored settings (with the references), of this tenant only."""
    async with db.session() as s:
        row = await s.get(ProjectRow, project_id)
        if row is None or row.tenant_id != tenant_id:
            raise ProjectNotFound(f"no project {project_id}")
        return _out(row), dict(row.settings)


async def list_projects(
    db: Database, tenant_id: int, offset: int, limit: int
) -> tuple[list[ProjectOut], int]:
    async with db.session() as s:
        where = ProjectRow.tenant_id == tenant_id
        total = (
            await s.execute(select(func.count()).select_from(ProjectRow).where(where))
        ).scalar_one()
        rows = (
            await s.execute(
                select(ProjectRow).where(where).order_by(ProjectRow.id).offset(offset).limit(limit)
            )
        ).scalars()
        return [_out(r) for r in rows], int(total)


async def delete_project(db: Database, tenant_id: int, project_id: int, actor: str) -> None:
    async with db.session() as s:
        row = await s.get(ProjectRow, project_id)
        if row is None or row.tenant_id != tenant_id:
            raise ProjectNotFound(f"no project {project_id}")
        await s.delete(row)
    await audit(db, "project", str(project_id), "delete", actor)
