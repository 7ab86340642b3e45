"""Fixtures: the real Redis and PostgreSQL (started by `make test` via scripts/services.sh).

They fail loudly when a service is unreachable: a skipped scaled-out test would hide a break.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

REDIS = "redis://127.0.0.1:6379"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The Redis base URL; fails the test when Redis does not answer."""
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS} is unreachable ({exc}); run scripts/services.sh")
    return REDIS


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """A Redis bus URL with a key prefix of its own; its keys are deleted afterwards."""
    prefix = f"qft-{uuid.uuid4().hex[:10]}"
    yield f"{redis_server}/0?prefix={prefix}"
    client = redis.Redis.from_url(redis_server)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"qaforge_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        pytest.fail(f"PostgreSQL at {PG_ADMIN} is unreachable ({exc}); run scripts/services.sh")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'qaforge.db'}"


@pytest.fixture
def pg_fresh_url(pg_url: str) -> Iterator[str]:
    """A PostgreSQL database of this test's own (runs, registry and tasks start empty)."""
    name = f"qaforge_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
