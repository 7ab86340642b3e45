"""Tenants, users and API keys in the database; every change goes to the audit log."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from qaforge.errors import UserError
from qaforge.serve.security import (
    NewKey,
    Passwords,
    Principal,
    Role,
    key_matches,
    new_key,
    split_key,
)
from qaforge.store.database import Database
from qaforge.store.service_tables import ApiKeyRow, TenantRow, UserRow
from qaforge.store.tables import AuditRow
from qaforge.store.times import aware, now

# Loopback only, until an admin allows more: a run opens the URLs API callers give it.
DEFAULT_ALLOW_HOSTS = ["127.0.0.1", "localhost", "::1"]


class AccountError(UserError):
    """A tenant, user or key that does not exist, or a name already taken."""


@dataclass(frozen=True)
class Tenant:
    id: int
    name: str
    allow_hosts: list[str]


@dataclass(frozen=True)
class KeyInfo:
    """A key as listed (never its secret)."""

    id: str
    name: str
    role: Role
    tenant: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "tenant": self.tenant,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


async def audit(
    db: Database, entity: str, entity_id: str, action: str, actor: str, **detail: Any
) -> None:
    """Write who did what to which entity."""
    async with db.session() as s:
        s.add(
            AuditRow(entity=entity, entity_id=entity_id, action=action, actor=actor, detail=detail)
        )


async def ensure_tenant(db: Database, name: str, actor: str = "") -> Tenant:
    """The tenant called `name`, created (loopback allowed) when there is none."""
    name = name.strip()
    if not name:
        raise AccountError("a tenant needs a name")
    async with db.session() as s:
        row = (
            await s.execute(select(TenantRow).where(TenantRow.name == name))
        ).scalar_one_or_none()
        created = row is None
        if row is None:
            row = TenantRow(name=name, allow_hosts=list(DEFAULT_ALLOW_HOSTS))
            s.add(row)
            await s.flush()
        tenant = Tenant(row.id, row.name, list(row.allow_hosts))
    if created:
        await audit(db, "tenant", str(tenant.id), "create", actor, name=name)
    return tenant


async def get_tenant(db: Database, tenant_id: int) -> Tenant:
    async with db.session() as s:
        row = await s.get(TenantRow, tenant_id)
        if row is None:
            raise AccountError(f"no tenant {tenant_id}")
        return Tenant(row.id, row.name, list(row.allow_hosts))


async def set_allow_hosts(db: Database, tenant_id: int, hosts: list[str], actor: str) -> Tenant:
    """Replace the hosts a tenant's projects may target."""
    cleaned = sorted({h.strip().lower() for h in hosts if h.strip()})
    async with db.session() as s:
        row = await s.get(TenantRow, tenant_id)
        if row is None:
            raise AccountError(f"no tenant {tenant_id}")
        row.allow_hosts = cleaned
        tenant = Tenant(row.id, row.name, cleaned)
    await audit(db, "tenant", str(tenant_id), "allow-hosts", actor, hosts=cleaned)
    return tenant


async def create_key(
    db: Database,
    tenant: Tenant,
    role: Role,
    *,
    name: str = "",
    expires_in: timedelta | None = None,
    actor: str = "",
) -> tuple[KeyInfo, str]:
    """A new key of `tenant` with `role`; returns it and its token (shown once)."""
    made: NewKey = new_key()
    expires = now() + expires_in if expires_in else None
    async with db.session() as s:
        row = ApiKeyRow(
            id=made.id,
            tenant_id=tenant.id,
            name=name,
            role=role.value,
            secret_hash=made.secret_hash,
            created_by=actor,
            expires_at=expires,
        )
        s.add(row)
        await s.flush()
        info = _key_info(row, tenant.name)
    await audit(db, "key", made.id, "create", actor, role=role.value, tenant=tenant.name, name=name)
    return info, made.token


def _key_info(row: ApiKeyRow, tenant: str) -> KeyInfo:
    created = aware(row.created_at)
    assert created is not None
    return KeyInfo(
        row.id,
        row.name,
        Role(row.role),
        tenant,
        row.created_by,
        created,
        aware(row.expires_at),
        aware(row.revoked_at),
        aware(row.last_used_at),
    )


async def list_keys(db: Database, tenant: Tenant) -> list[KeyInfo]:
    async with db.session() as s:
        rows = (
            await s.execute(
                select(ApiKeyRow)
                .where(ApiKeyRow.tenant_id == tenant.id)
                .order_by(ApiKeyRow.created_at)
            )
        ).scalars()
        return [_key_info(r, tenant.name) for r in rows]


async def revoke_key(db: Database, key_id: str, actor: str, tenant_id: int | None = None) -> None:
    """Revoke a key (of `tenant_id` when given: another tenant's key is 'not found')."""
    async with db.session() as s:
        row = await s.get(ApiKeyRow, key_id)
        if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
            raise AccountError(f"no key {key_id!r}")
        if row.revoked_at is None:
            row.revoked_at = now()
    await audit(db, "key", key_id, "revoke", actor)


async def authenticate_key(db: Database, token: str) -> Principal | None:
    """The principal a bearer token stands for; None when unknown, revoked or expired."""
    found = await _verify_key(db, token)
    return found[0] if found is not None else None


async def _verify_key(db: Database, token: str) -> tuple[Principal, datetime | None] | None:
    """The token's principal and its key's expiry."""
    parts = split_key(token)
    if parts is None:
        return None
    key_id, secret = parts
    async with db.session() as s:
        row = await s.get(ApiKeyRow, key_id)
        if row is None or not key_matches(secret, row.secret_hash) or row.revoked_at is not None:
            return None
        expires = aware(row.expires_at)
        t = now()
        if expires is not None and expires <= t:
            return None
        tenant = await s.get(TenantRow, row.tenant_id)
        assert tenant is not None
        last = aware(row.last_used_at)
        if last is None or t - last > timedelta(minutes=1):  # one write a minute, not per call
            row.last_used_at = t
        return Principal("key", row.id, row.name, tenant.id, tenant.name, Role(row.role)), expires


@dataclass
class VerifiedKeys:
    """Bearer tokens this server verified in the last `ttl_s` seconds.

    A pipeline polling a run sends many requests with one key: they cost one database
    lookup per `ttl_s`, not one each. A key revoked through this server stops at once
    (`forget`); revoked elsewhere (the CLI, another server), within `ttl_s`. An expiry is
    never overstepped. Only valid tokens are remembered, by their SHA-256."""

    ttl_s: float = 5.0
    max_entries: int = 10_000
    _seen: OrderedDict[str, tuple[Principal, float]] = field(default_factory=OrderedDict)

    async def principal(self, db: Database, token: str) -> Principal | None:
        """The token's principal (from memory when verified recently)."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        t = time.monotonic()
        hit = self._seen.get(digest)
        if hit is not None and hit[1] > t:
            return hit[0]
        found = await _verify_key(db, token)
        if found is None:
            self._seen.pop(digest, None)
            return None
        who, expires = found
        until = t + self.ttl_s
        if expires is not None:
            until = min(until, t + (expires - now()).total_seconds())
        self._seen[digest] = (who, until)
        self._seen.move_to_end(digest)
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return who

    def forget(self, key_id: str) -> None:
        """Stop trusting the key `key_id` from memory (it was revoked or changed)."""
        for digest in [d for d, (who, _) in self._seen.items() if who.id == key_id]:
            del self._seen[digest]


async def create_user(
    db: Database,
    tenant: Tenant,
    name: str,
    password: str,
    role: Role,
    *,
    passwords: Passwords,
    actor: str = "",
) -> Principal:
    """A new dashboard user; the password is stored as its Argon2id hash."""
    if len(password) < 8:
        raise AccountError("a password needs at least 8 characters")
    async with db.session() as s:
        taken = (await s.execute(select(UserRow.id).where(UserRow.name == name))).first()
        if taken is not None:
            raise AccountError(f"a user called {name!r} exists already")
        row = UserRow(
            tenant_id=tenant.id, name=name, password_hash=passwords.hash(password), role=role.value
        )
        s.add(row)
        await s.flush()
        user_id = row.id
    await audit(db, "user", str(user_id), "create", actor, name=name, role=role.value)
    return Principal("user", str(user_id), name, tenant.id, tenant.name, role)


async def authenticate_user(
    db: Database, name: str, password: str, passwords: Passwords
) -> Principal | None:
    """The user `name` when `password` is theirs (and they are not disabled)."""
    async with db.session() as s:
        row = (await s.execute(select(UserRow).where(UserRow.name == name))).scalar_one_or_none()
        if row is None or row.disabled:
            # Hash anyway: a missing user answers as slowly as a wrong password.
            passwords.verify(passwords.dummy, password)
            return None
        if not passwords.verify(row.password_hash, password):
            return None
        tenant = await s.get(TenantRow, row.tenant_id)
        assert tenant is not None
        return Principal("user", str(row.id), row.name, tenant.id, tenant.name, Role(row.role))


async def user_principal(db: Database, user_id: str) -> Principal | None:
    """The principal of a logged-in user (a session names the user by id)."""
    async with db.session() as s:
        row = await s.get(UserRow, int(user_id)) if user_id.isdigit() else None
        if row is None or row.disabled:
            return None
        tenant = await s.get(TenantRow, row.tenant_id)
        assert tenant is not None
        return Principal("user", str(row.id), row.name, tenant.id, tenant.name, Role(row.role))


async def set_role(db: Database, name: str, role: Role, actor: str) -> None:
    """Change a user's role."""
    async with db.session() as s:
        row = (await s.execute(select(UserRow).where(UserRow.name == name))).scalar_one_or_none()
        if row is None:
            raise AccountError(f"no user {name!r}")
        old = row.role
        row.role = role.value
        user_id = row.id
    await audit(db, "user", str(user_id), "role", actor, name=name, before=old, after=role.value)
