"""`qaforge admin`: the first set-up of the service's accounts, through the real front door."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from qaforge.serve.accounts import authenticate_key, authenticate_user
from qaforge.serve.security import Passwords, Role
from qaforge.store.database import Database
from tests.integration.cli.conftest import Run, one_error


def _db(home: Path) -> Database:
    return Database(f"sqlite:///{home / 'qaforge.db'}")


def test_create_user_reads_the_password_from_the_environment_and_hashes_it(
    cli: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QAFORGE_NEW_PASSWORD", "s3cret-enough")
    code, output = cli("admin", "create-user", "alice", "--tenant", "acme", "--role", "viewer")
    assert code == 0, output
    with sqlite3.connect(home / "qaforge.db") as c:
        (stored,) = c.execute("SELECT password_hash FROM users WHERE name = 'alice'").fetchone()
    assert "s3cret" not in stored and stored.startswith("$argon2id$")

    async def check() -> None:
        db = _db(home)
        try:
            who = await authenticate_user(db, "alice", "s3cret-enough", Passwords.default())
            assert who is not None and who.role is Role.VIEWER and who.tenant == "acme"
            assert await authenticate_user(db, "alice", "wrong", Passwords.default()) is None
        finally:
            await db.dispose()

    asyncio.run(check())
    code, output = cli("admin", "set-role", "alice", "--role", "maintainer")
    assert code == 0, output
    code, output = cli("admin", "create-user", "alice", "--tenant", "acme")
    assert code == 2 and "exists already" in one_error(output)


def test_keys_are_created_for_a_new_tenant_and_revoked(cli: Run, home: Path) -> None:
    code, output = cli("admin", "create-key", "--tenant", "newco", "--role", "agent")
    assert code == 0, output
    token = output.strip().splitlines()[-1]
    assert token.startswith("qf_")
    with sqlite3.connect(home / "qaforge.db") as c:
        hashes = [h for (h,) in c.execute("SELECT secret_hash FROM api_keys")]
        actions = [a for (a,) in c.execute("SELECT action FROM audit_log WHERE entity = 'key'")]
    assert token not in "".join(hashes) and actions == ["create"]

    async def who() -> object:
        db = _db(home)
        try:
            return await authenticate_key(db, token)
        finally:
            await db.dispose()

    assert getattr(asyncio.run(who()), "role", None) is Role.AGENT
    code, output = cli("admin", "revoke-key", token)
    assert code == 0, output
    assert asyncio.run(who()) is None
    code, output = cli("admin", "revoke-key", "000000000000")
    assert code == 2 and "no key" in one_error(output)


def test_an_unknown_role_is_a_usage_error(cli: Run) -> None:
    code, output = cli("admin", "create-key", "--tenant", "t", "--role", "owner")
    assert code == 2 and "unknown role" in one_error(output)


def test_allow_hosts_replaces_the_tenants_list(cli: Run) -> None:
    code, output = cli("admin", "allow-hosts", "--tenant", "acme", "10.0.0.0/8", "App.Test")
    assert code == 0, output
    assert '"app.test"' in output and '"10.0.0.0/8"' in output and "127.0.0.1" not in output
