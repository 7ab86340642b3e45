"""`qaforge serve` (the API, live events, dashboard) and `qaforge admin` (first set-up)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer

from qaforge.commands.common import console, fail, note_endpoint, print_json, settings_or_exit
from qaforge.config import Settings

T = TypeVar("T")

admin_app = typer.Typer(
    help="Tenants, users and API keys of `qaforge serve`.", no_args_is_help=True
)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8080, "--port", min=1, max=65535),
    bus: str | None = typer.Option(
        None, "--bus", help="redis://HOST:PORT/DB: runs go to `qaforge worker` processes"
    ),
    metrics_open: bool = typer.Option(
        False, "--metrics-open", help="serve /metrics without a key (a private scraper)"
    ),
    drain: float = typer.Option(
        10.0, "--drain", min=0, help="seconds shutdown waits for runs in flight"
    ),
    no_recover: bool = typer.Option(
        False, "--no-recover", help="leave runs an earlier server left behind as they are"
    ),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="session cookie over HTTPS only (behind TLS)"
    ),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Serve the HTTP API (/api/v2, OpenAPI at /docs), live run events, the dashboard, and
    /health, /ready, /metrics. Runs go through the same graph, database and bus as the CLI."""
    import uvicorn

    from qaforge.serve.app import create_app
    from qaforge.serve.context import ServeOptions

    settings = settings_or_exit(config)
    if bus:
        note_endpoint("bus", bus)
    options = ServeOptions(
        metrics_open=metrics_open,
        drain_s=drain,
        recover=not no_recover,
        secure_cookies=secure_cookies,
    )
    app = create_app(settings, options, bus_url=bus)
    console.print(f"qaforge serve on http://{host}:{port} (API docs: /docs)", highlight=False)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=int(drain) + 5,
    )


def _db(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    from qaforge.store.database import Database
    from qaforge.store.migrate import ensure_schema

    async def go() -> T:
        assert settings.database_url is not None
        await asyncio.to_thread(ensure_schema, settings.database_url)
        db = Database(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _role(value: str) -> object:
    from qaforge.serve.security import Role

    try:
        return Role(value)
    except ValueError:
        fail(f"unknown role {value!r}; one of: {', '.join(r.value for r in Role)}")


@admin_app.command("create-user")
def create_user(
    name: str = typer.Argument(..., help="user name"),
    tenant: str = typer.Option(..., "--tenant", help="organisation (created when needed)"),
    role: str = typer.Option("admin", "--role", help="admin, maintainer, viewer or agent"),
    password_env: str = typer.Option(
        "QAFORGE_NEW_PASSWORD",
        "--password-env",
        help="environment variable holding the password (asked for when unset)",
    ),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Create a dashboard user (the password is read from the environment or a prompt)."""
    import os

    from qaforge.serve.accounts import create_user as make_user
    from qaforge.serve.accounts import ensure_tenant
    from qaforge.serve.security import Passwords, Role

    settings = settings_or_exit(config)
    r = _role(role)
    assert isinstance(r, Role)
    password = os.environ.get(password_env) or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )

    async def work(db: object) -> None:
        from qaforge.store.database import Database

        assert isinstance(db, Database)
        t = await ensure_tenant(db, tenant, actor="cli")
        await make_user(db, t, name, password, r, passwords=Passwords.default(), actor="cli")

    _db(settings, work)
    console.print(f"user {name} ({r.value}) of tenant {tenant} created", highlight=False)


@admin_app.command("create-key")
def create_key(
    tenant: str = typer.Option(..., "--tenant", help="organisation (created when needed)"),
    role: str = typer.Option(..., "--role", help="admin, maintainer, viewer or agent"),
    name: str = typer.Option("", "--name", help="what the key is for (e.g. 'CI')"),
    expires_days: int | None = typer.Option(None, "--expires-days", min=1),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Create an API key and print it alone on stdout (it is shown this once)."""
    from datetime import timedelta

    from qaforge.serve.accounts import create_key as make_key
    from qaforge.serve.accounts import ensure_tenant
    from qaforge.serve.security import Role
    from qaforge.store.database import Database

    settings = settings_or_exit(config)
    r = _role(role)
    assert isinstance(r, Role)

    async def work(db: Database) -> str:
        t = await ensure_tenant(db, tenant, actor="cli")
        expires = timedelta(days=expires_days) if expires_days else None
        _, token = await make_key(db, t, r, name=name, expires_in=expires, actor="cli")
        return token

    token = _db(settings, work)
    print(token)


@admin_app.command("revoke-key")
def revoke_key(
    key_id: str = typer.Argument(..., help="the key's id (qf_<id>_...), or the whole key"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Revoke an API key."""
    from qaforge.serve.accounts import AccountError
    from qaforge.serve.accounts import revoke_key as revoke
    from qaforge.serve.security import split_key
    from qaforge.store.database import Database

    settings = settings_or_exit(config)
    parts = split_key(key_id)
    kid = parts[0] if parts else key_id

    async def work(db: Database) -> None:
        await revoke(db, kid, actor="cli")

    try:
        _db(settings, work)
    except AccountError as exc:
        fail(str(exc))
    console.print(f"key {kid} revoked", highlight=False)


@admin_app.command("allow-hosts")
def allow_hosts(
    hosts: list[str] = typer.Argument(..., help="host names, *.suffix patterns or CIDRs"),
    tenant: str = typer.Option(..., "--tenant"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Set the hosts a tenant's projects may target (replaces the list)."""
    from qaforge.serve.accounts import ensure_tenant, set_allow_hosts
    from qaforge.store.database import Database

    settings = settings_or_exit(config)

    async def work(db: Database) -> list[str]:
        t = await ensure_tenant(db, tenant, actor="cli")
        return (await set_allow_hosts(db, t.id, hosts, actor="cli")).allow_hosts

    print_json({"tenant": tenant, "allow_hosts": _db(settings, work)})


@admin_app.command("set-role")
def set_role(
    name: str = typer.Argument(..., help="user name"),
    role: str = typer.Option(..., "--role"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Change a user's role."""
    from qaforge.serve.accounts import AccountError
    from qaforge.serve.accounts import set_role as change
    from qaforge.serve.security import Role
    from qaforge.store.database import Database

    settings = settings_or_exit(config)
    r = _role(role)
    assert isinstance(r, Role)

    async def work(db: Database) -> None:
        await change(db, name, r, actor="cli")

    try:
        _db(settings, work)
    except AccountError as exc:
        fail(str(exc))
    console.print(f"user {name} is now {r.value}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(admin_app, name="admin")
