"""Schema migrations in code (no alembic.ini): `upgrade(url)`, `current(url)`, `ensure_schema`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, pool, text
from sqlalchemy.engine import make_url

from qaforge.errors import UserError
from qaforge.store.database import sync_url

MIGRATIONS = Path(__file__).parent / "migrations"
# The PostgreSQL advisory lock migrations take (any fixed 64-bit number of our own).
MIGRATION_LOCK = 0x716166_6F726765


class SchemaError(UserError):
    """The database schema is behind and migrating it automatically is not safe."""


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and at `url`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return cfg


def _prepare(url: str) -> None:
    u = make_url(url)
    if u.drivername.startswith("sqlite") and u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision` (default: the newest)."""
    _prepare(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate down to `revision` (`base` drops everything)."""
    command.downgrade(alembic_config(url), revision)


def head() -> str:
    """The newest revision the package ships."""
    rev = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert rev is not None
    return rev


def current(url: str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    _prepare(url)
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _has_tables(url: str) -> bool:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return bool(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def ensure_schema(url: str) -> str:
    """Migrate on start when safe: always for SQLite (one user's file) and for an empty
    database; a shared PostgreSQL that is behind needs `qaforge db upgrade` (raises)."""
    if not make_url(url).drivername.startswith("postgresql"):
        return _ensure_schema(url)
    # Workers and servers starting together on an empty database: one migrates, the others
    # wait for it, instead of finding its tables half made and refusing to start.
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            try:
                return _ensure_schema(url)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
    finally:
        engine.dispose()


def _ensure_schema(url: str) -> str:
    rev = current(url)
    newest = head()
    if rev == newest:
        return rev
    is_sqlite = make_url(url).drivername.startswith("sqlite")
    if is_sqlite or (rev is None and not _has_tables(url)):
        try:
            upgrade(url)
        except Exception:
            # Another process on the same SQLite file may have migrated first.
            if current(url) != newest:
                raise
        return newest
    raise SchemaError(
        f"the database is at revision {rev or 'none'}, this qaforge needs {newest}: "
        "run `qaforge db upgrade`"
    )
