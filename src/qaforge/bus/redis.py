"""The Redis Streams bus: a stream per topic, consumer groups, XAUTOCLAIM, a dead-letter stream."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from qaforge.bus.base import (
    DEFAULT_MAX_DELIVERIES,
    DEFAULT_MAXLEN,
    BusError,
    DeadLetter,
    Delivery,
    MessageBus,
)
from qaforge.bus.messages import Message
from qaforge.errors import mask_url


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class RedisBus(MessageBus):
    """`redis://host:port/db?prefix=qaforge&maxlen=100000&max_deliveries=5`."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str | None = None,
        maxlen: int | None = None,
        max_deliveries: int | None = None,
    ) -> None:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.url = url
        self.prefix = prefix or query.pop("prefix", "qaforge")
        self.maxlen = maxlen or int(query.pop("maxlen", DEFAULT_MAXLEN))
        self.max_deliveries = max_deliveries or int(
            query.pop("max_deliveries", DEFAULT_MAX_DELIVERIES)
        )
        plain = urlunsplit(parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())))
        self.client: aioredis.Redis = aioredis.Redis.from_url(plain, decode_responses=False)
        self._groups: set[tuple[str, str]] = set()

    def key(self, topic: str) -> str:
        """The stream holding `topic`."""
        return f"{self.prefix}:{topic}"

    def dlq_key(self, topic: str) -> str:
        """The dead-letter stream of `topic`."""
        return f"{self.prefix}:dlq:{topic}"

    async def ping(self) -> None:
        """Fail with a clear error when Redis is unreachable."""
        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            raise BusError(f"cannot reach Redis at {mask_url(self.url)}: {exc}") from exc

    async def publish(self, topic: str, message: Message) -> str:
        """XADD with an approximate MAXLEN so streams stay bounded."""
        return await self.publish_raw(topic, message.encode())

    async def publish_raw(self, topic: str, raw: str) -> str:
        """XADD raw text."""
        entry = await self.client.xadd(
            self.key(topic), {"m": raw}, maxlen=self.maxlen, approximate=True
        )
        return _s(entry)

    async def ensure_group(self, topic: str, group: str) -> None:
        """XGROUP CREATE ... 0 MKSTREAM, tolerating an existing group."""
        if (topic, group) in self._groups:
            return
        try:
            await self.client.xgroup_create(self.key(topic), group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups.add((topic, group))

    async def receive(
        self, topic: str, group: str, consumer: str, count: int = 1, block_s: float = 1.0
    ) -> list[Delivery]:
        """XREADGROUP `>` (new messages only; reclaim handles the pending ones)."""
        await self.ensure_group(topic, group)
        try:
            reply = await self.client.xreadgroup(
                group,
                consumer,
                {self.key(topic): ">"},
                count=count,
                block=max(1, int(block_s * 1000)),
            )
        except ResponseError as exc:
            if "NOGROUP" in str(exc):  # the stream was deleted under us: recreate
                self._groups.discard((topic, group))
                return []
            raise
        out: list[Delivery] = []
        streams: list[Any] = cast(list[Any], reply or [])
        for _stream, entries in streams:
            for entry_id, fields in entries:
                raw = _s(fields.get(b"m", b""))
                out.append(Delivery.parse(topic, group, _s(entry_id), 1, raw))
        return out

    async def ack(self, delivery: Delivery) -> None:
        """XACK, then XDEL: every group of our topics is a work queue read once."""
        key = self.key(delivery.topic)
        await self.client.xack(key, delivery.group, delivery.entry_id)

    async def touch(self, deliveries: list[Delivery], consumer: str) -> None:
        """XCLAIM ... 0 JUSTID to ourselves: resets the idle time without a new delivery."""
        for d in deliveries:
            await self.client.xclaim(
                self.key(d.topic),
                d.group,
                consumer,
                min_idle_time=0,
                message_ids=[d.entry_id],
                justid=True,
            )

    async def reclaim(
        self, topic: str, group: str, consumer: str, min_idle_s: float, count: int = 10
    ) -> list[Delivery]:
        """XAUTOCLAIM entries idle for `min_idle_s`; delivery counts come from XPENDING."""
        await self.ensure_group(topic, group)
        key = self.key(topic)
        reply: list[Any] = await self.client.xautoclaim(
            key, group, consumer, min_idle_time=int(min_idle_s * 1000), start_id="0-0", count=count
        )
        claimed = reply[1] if len(reply) > 1 else []
        out: list[Delivery] = []
        for entry_id, fields in claimed:
            if fields is None:  # trimmed away while pending
                await self.client.xack(key, group, entry_id)
                continue
            info = await self.client.xpending_range(key, group, min=entry_id, max=entry_id, count=1)
            n = int(info[0]["times_delivered"]) if info else 1
            out.append(Delivery.parse(topic, group, _s(entry_id), n, _s(fields.get(b"m", b""))))
        return out

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """XADD to the dead-letter stream with the reason, then XACK the original."""
        await self.client.xadd(
            self.dlq_key(delivery.topic),
            {
                "m": delivery.raw,
                "reason": reason,
                "entry_id": delivery.entry_id,
                "deliveries": str(delivery.deliveries),
                "at": datetime.now(UTC).isoformat(),
            },
            maxlen=self.maxlen,
            approximate=True,
        )
        await self.ack(delivery)

    async def dead_letters(self, topic: str) -> list[DeadLetter]:
        """XRANGE over the dead-letter stream."""
        rows: list[Any] = cast(list[Any], await self.client.xrange(self.dlq_key(topic)))
        return [
            DeadLetter(
                topic,
                _s(f[b"entry_id"]),
                _s(f[b"m"]),
                _s(f[b"reason"]),
                int(_s(f[b"deliveries"])),
                datetime.fromisoformat(_s(f[b"at"])),
            )
            for _id, f in rows
        ]

    async def pending(self, topic: str, group: str) -> int:
        """XPENDING summary count."""
        try:
            info = await self.client.xpending(self.key(topic), group)
        except ResponseError:
            return 0
        return int(info["pending"])

    async def length(self, topic: str) -> int:
        """XLEN."""
        return int(await self.client.xlen(self.key(topic)))

    async def delete_topic(self, topic: str) -> None:
        """DEL the stream."""
        await self.client.delete(self.key(topic))
        self._groups = {tg for tg in self._groups if tg[0] != topic}

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()
