"""`qaforge db upgrade` (migrate the working-memory database) and `qaforge db current`."""

from __future__ import annotations

from pathlib import Path

import typer

from qaforge.commands.common import console, fail, note_endpoint, settings_or_exit

db_app = typer.Typer(help="The working-memory database (SQLite file or PostgreSQL).")


@db_app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head", help="target revision"),
    url: str | None = typer.Option(None, "--url", help="database URL (default: settings)"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Apply migrations up to REVISION."""
    from sqlalchemy.exc import SQLAlchemyError

    from qaforge.store import migrate

    target = url or settings_or_exit(config).database_url
    assert target is not None
    note_endpoint("database", target)
    try:
        migrate.upgrade(target, revision)
        console.print(f"database at revision {migrate.current(target)}")
    except (SQLAlchemyError, OSError) as exc:
        fail(f"cannot migrate {_shown(target)}: {str(exc).splitlines()[0]}")


@db_app.command("current")
def current(
    url: str | None = typer.Option(None, "--url", help="database URL (default: settings)"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Print the database's revision and the newest one."""
    from sqlalchemy.exc import SQLAlchemyError

    from qaforge.store import migrate

    target = url or settings_or_exit(config).database_url
    assert target is not None
    note_endpoint("database", target)
    try:
        rev = migrate.current(target)
    except (SQLAlchemyError, OSError) as exc:
        fail(f"cannot read {_shown(target)}: {str(exc).splitlines()[0]}")
    typer.echo(f"current: {rev or 'none'}  head: {migrate.head()}")


def _shown(url: str) -> str:
    """The URL with its password masked (error messages end up in CI logs)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the configured database"


def register(app: typer.Typer) -> None:
    """Attach the `db` group."""
    app.add_typer(db_app, name="db")
