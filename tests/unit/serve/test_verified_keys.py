"""The guard's memory of verified keys: fewer lookups, never past a revoke here or an expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from qaforge.serve.accounts import VerifiedKeys, create_key, ensure_tenant, revoke_key
from qaforge.serve.security import Role
from qaforge.store.database import Database
from qaforge.store.migrate import ensure_schema


@pytest.fixture()
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite:///{tmp_path / 'qaforge.db'}"
    await asyncio.to_thread(ensure_schema, url)
    database = Database(url)
    yield database
    await database.dispose()


async def test_a_verified_key_is_trusted_from_memory_until_forgotten(db: Database) -> None:
    tenant = await ensure_tenant(db, "acme")
    info, token = await create_key(db, tenant, Role.VIEWER, name="ci")
    keys = VerifiedKeys(ttl_s=60)
    who = await keys.principal(db, token)
    assert who is not None and who.id == info.id and who.role is Role.VIEWER
    # Revoked behind the server's back (the CLI): memory still answers within its ttl...
    await revoke_key(db, info.id, "test")
    assert await keys.principal(db, token) == who
    # ...a revoke through this server forgets it at once.
    keys.forget(info.id)
    assert await keys.principal(db, token) is None


async def test_without_memory_a_revoke_elsewhere_counts_at_once(db: Database) -> None:
    tenant = await ensure_tenant(db, "acme")
    info, token = await create_key(db, tenant, Role.MAINTAINER)
    keys = VerifiedKeys(ttl_s=0)
    assert await keys.principal(db, token) is not None
    await revoke_key(db, info.id, "test")
    assert await keys.principal(db, token) is None


async def test_memory_never_outlives_the_keys_expiry(db: Database) -> None:
    tenant = await ensure_tenant(db, "acme")
    _, token = await create_key(db, tenant, Role.VIEWER, expires_in=timedelta(seconds=1))
    keys = VerifiedKeys(ttl_s=60)
    assert await keys.principal(db, token) is not None
    await asyncio.sleep(1.2)
    assert await keys.principal(db, token) is None


async def test_wrong_and_unknown_tokens_are_refused_and_not_remembered(db: Database) -> None:
    tenant = await ensure_tenant(db, "acme")
    _, token = await create_key(db, tenant, Role.VIEWER)
    keys = VerifiedKeys(ttl_s=60, max_entries=1)
    key_id = token.split("_")[1]
    assert await keys.principal(db, f"qf_{key_id}_{'0' * 32}") is None
    assert await keys.principal(db, "qf_000000000000_secret") is None
    assert await keys.principal(db, "not a key") is None
    assert await keys.principal(db, token) is not None
    # A second key pushes the first out of a memory of one entry; both still verify.
    _, other = await create_key(db, tenant, Role.ADMIN)
    assert (await keys.principal(db, other)) is not None
    assert (await keys.principal(db, token)) is not None
    assert len(keys._seen) == 1
