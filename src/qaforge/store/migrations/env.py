"""Alembic environment: the metadata of every table module, one connection, batch mode on SQLite."""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

import qaforge.store.service_tables
import qaforge.store.tables  # noqa: F401  (registers the working-memory tables)
from qaforge.store.base import Base

try:  # the learning loop's tables, when that module exists
    importlib.import_module("qaforge.store.learning_tables")
except ModuleNotFoundError as exc:
    if exc.name != "qaforge.store.learning_tables":
        raise

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the connection handed in by `qaforge.store.migrate`, else open one from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        _run(conn)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
