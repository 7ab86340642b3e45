"""Working-memory database: one async engine for SQLite (default) or PostgreSQL, by URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.util import find_spec
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from qaforge.config import ConfigError

POSTGRES_EXTRA = "pip install 'qaforge[postgres]'"


def require_postgres(what: str) -> None:
    """Refuse a PostgreSQL URL, clearly, when the PostgreSQL extra is not installed."""
    if find_spec("psycopg") is None:
        raise ConfigError(
            f"{what} is a PostgreSQL URL, but its driver is not installed: {POSTGRES_EXTRA}"
        )


def async_url(url: str) -> str:
    """Map a plain database URL to its async driver (`sqlite+aiosqlite`, `postgresql+psycopg`)."""
    u = make_url(url)
    if u.drivername in {"sqlite", "sqlite+pysqlite"}:
        u = u.set(drivername="sqlite+aiosqlite")
    elif u.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """Map a database URL to its sync driver (for Alembic)."""
    u = make_url(url)
    if u.drivername.startswith("sqlite"):
        u = u.set(drivername="sqlite")
    elif u.drivername.startswith("postgres"):
        require_postgres("the database URL")
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


class Database:
    """An async engine plus a session factory; create one per process and pass it in."""

    def __init__(self, url: str) -> None:
        self.url = url
        u = make_url(url)
        if u.drivername.startswith("postgres"):
            require_postgres("the database URL")
        self.is_sqlite = u.drivername.startswith("sqlite")
        if self.is_sqlite and u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, object] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
        self.engine: AsyncEngine = create_async_engine(async_url(url), **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error."""
        async with self._sessions() as s, s.begin():
            yield s

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    # WAL lets a reader (`qaforge runs`) look while a run writes; busy_timeout rides out the
    # short write locks several agents in one file would otherwise fail on.
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
