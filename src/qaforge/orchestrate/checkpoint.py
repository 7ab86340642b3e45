"""The LangGraph checkpointer: SQLite saver by default, Postgres saver for PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import make_url

from qaforge.config import ConfigError, Settings
from qaforge.store.database import POSTGRES_EXTRA, require_postgres


def checkpoint_url(settings: Settings) -> str:
    """`checkpoint_url` if set; else the PostgreSQL database itself, or home/checkpoints.db."""
    if settings.checkpoint_url:
        return settings.checkpoint_url
    db = settings.database_url or ""
    if db.startswith("postgres"):
        return db
    return f"sqlite:///{settings.home / 'checkpoints.db'}"


@asynccontextmanager
async def open_checkpointer(url: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """A ready checkpointer for `url` (`sqlite:///path`, `postgresql://...`, `memory://`)."""
    if url.startswith("memory:"):
        from langgraph.checkpoint.memory import InMemorySaver

        yield InMemorySaver()
        return
    u = make_url(url)
    if u.drivername.startswith("sqlite"):
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        path = u.database or ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            await saver.setup()
            yield saver
        return
    if u.drivername.startswith("postgres"):
        require_postgres("the checkpoint URL")
        try:
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        except ImportError:
            raise ConfigError(
                f"checkpoints in PostgreSQL need the PostgreSQL extra: {POSTGRES_EXTRA}"
            ) from None

        plain = u.set(drivername="postgresql").render_as_string(hide_password=False)
        async with AsyncPostgresSaver.from_conn_string(plain) as pg:
            await pg.setup()
            yield pg
        return
    raise ValueError(f"unknown checkpoint URL {url!r}: use sqlite:///PATH or postgresql://...")
