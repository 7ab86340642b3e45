"""Short-term memory: the context of a running workflow, with a TTL.

In-process dict by default (`memory://`), Redis when configured (`redis://...`); one interface.
Values are JSON.
"""

from __future__ import annotations

import abc
import json
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis


class ShortTermMemory(abc.ABC):
    """`set` with a TTL, `get`, `delete`, `keys`."""

    @abc.abstractmethod
    async def set(self, key: str, value: Any, ttl_s: float | None = None) -> None:
        """Store `value` (JSON-serialisable) for `ttl_s` seconds (None: until deleted)."""

    @abc.abstractmethod
    async def get(self, key: str, default: Any = None) -> Any:
        """The value, or `default` when missing or expired."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Forget `key`."""

    @abc.abstractmethod
    async def keys(self) -> list[str]:
        """Live keys."""

    async def close(self) -> None:
        """Release resources."""
        return None


class TTLDict(ShortTermMemory):
    """A dict whose entries expire (checked on access; `clock` is injectable for tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._data: dict[str, tuple[str, float | None]] = {}

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        raw, expires = item
        if expires is not None and self._clock() >= expires:
            del self._data[key]
            return None
        return raw

    async def set(self, key: str, value: Any, ttl_s: float | None = None) -> None:
        """Store (JSON-encoded so both backends behave the same)."""
        expires = self._clock() + ttl_s if ttl_s is not None else None
        self._data[key] = (json.dumps(value), expires)

    async def get(self, key: str, default: Any = None) -> Any:
        """Decode the live value."""
        raw = self._live(key)
        return default if raw is None else json.loads(raw)

    async def delete(self, key: str) -> None:
        """Forget."""
        self._data.pop(key, None)

    async def keys(self) -> list[str]:
        """Sorted live keys."""
        return sorted(k for k in list(self._data) if self._live(k) is not None)


class RedisMemory(ShortTermMemory):
    """Keys `prefix:key` with Redis expiry (PX)."""

    def __init__(self, url: str, prefix: str = "qaforge:stm") -> None:
        self.client: aioredis.Redis = aioredis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix

    def _k(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def set(self, key: str, value: Any, ttl_s: float | None = None) -> None:
        """SET with PX."""
        px = max(1, int(ttl_s * 1000)) if ttl_s is not None else None
        await self.client.set(self._k(key), json.dumps(value), px=px)

    async def get(self, key: str, default: Any = None) -> Any:
        """GET and decode."""
        raw = await self.client.get(self._k(key))
        return default if raw is None else json.loads(raw)

    async def delete(self, key: str) -> None:
        """DEL."""
        await self.client.delete(self._k(key))

    async def keys(self) -> list[str]:
        """SCAN the prefix."""
        n = len(self.prefix) + 1
        return sorted([k[n:] async for k in self.client.scan_iter(match=f"{self.prefix}:*")])

    async def close(self) -> None:
        """Close the pool."""
        await self.client.aclose()


def open_shortterm(url: str, prefix: str = "qaforge:stm") -> ShortTermMemory:
    """`memory://` → `TTLDict`; `redis://...` → `RedisMemory`."""
    if url.startswith("memory:"):
        return TTLDict()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisMemory(url, prefix)
    raise ValueError(f"unknown short-term memory URL {url!r}: use memory:// or redis://")
