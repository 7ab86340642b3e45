"""Working memory: namespaced key/values with an expiry, in the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from qaforge.store.database import Database
from qaforge.store.tables import WorkingMemoryRow
from qaforge.store.times import aware, now


class WorkingMemory:
    """`put`/`get`/`delete`; expired entries read as missing and `purge` removes them."""

    def __init__(self, db: Database, namespace: str) -> None:
        self.db = db
        self.namespace = namespace

    async def put(self, key: str, value: Any, ttl_s: float | None = None) -> None:
        """Store `value` (JSON) under `key`, expiring after `ttl_s` when given."""
        expires = now() + timedelta(seconds=ttl_s) if ttl_s is not None else None
        async with self.db.session() as s:
            row = await s.get(WorkingMemoryRow, (self.namespace, key))
            if row is None:
                s.add(
                    WorkingMemoryRow(
                        namespace=self.namespace, key=key, value=value, expires_at=expires
                    )
                )
            else:
                row.value, row.expires_at, row.updated_at = value, expires, now()

    async def get(self, key: str, default: Any = None) -> Any:
        """The value, or `default` when missing or expired."""
        async with self.db.session() as s:
            row = await s.get(WorkingMemoryRow, (self.namespace, key))
            if row is None:
                return default
            exp = aware(row.expires_at)
            if exp is not None and exp <= now():
                return default
            return row.value

    async def delete(self, key: str) -> None:
        """Forget `key`."""
        async with self.db.session() as s:
            await s.execute(
                delete(WorkingMemoryRow).where(
                    WorkingMemoryRow.namespace == self.namespace, WorkingMemoryRow.key == key
                )
            )

    async def keys(self) -> list[str]:
        """Live keys of this namespace."""
        async with self.db.session() as s:
            rows = (
                await s.scalars(
                    select(WorkingMemoryRow).where(WorkingMemoryRow.namespace == self.namespace)
                )
            ).all()
        t = now()
        return sorted(r.key for r in rows if (e := aware(r.expires_at)) is None or e > t)

    async def purge(self) -> int:
        """Delete expired entries of every namespace; returns how many."""
        async with self.db.session() as s:
            res = await s.execute(
                delete(WorkingMemoryRow).where(
                    WorkingMemoryRow.expires_at.is_not(None), WorkingMemoryRow.expires_at <= now()
                )
            )
            return int(getattr(res, "rowcount", 0) or 0)
