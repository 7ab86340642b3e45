"""The in-process bus: asyncio only, no setup; same semantics as the Redis backend."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from qaforge.bus.base import DEFAULT_MAX_DELIVERIES, DeadLetter, Delivery, MessageBus
from qaforge.bus.messages import Message


@dataclass
class _Pending:
    consumer: str
    since: float
    deliveries: int


@dataclass
class _Group:
    ready: list[tuple[int, int, str]] = field(default_factory=list)  # (priority, seq, id)
    pending: dict[str, _Pending] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)


@dataclass
class _Topic:
    # id -> [priority, raw, groups that still have to ack it]
    entries: dict[str, list[int | str]] = field(default_factory=dict)
    groups: dict[str, _Group] = field(default_factory=dict)
    dead: list[DeadLetter] = field(default_factory=list)


class MemoryBus(MessageBus):
    """Topics in a dict, waiting on one condition; lower `priority` numbers go first."""

    def __init__(self, url: str = "memory://", max_deliveries: int = DEFAULT_MAX_DELIVERIES):
        self.url = url
        self.max_deliveries = max_deliveries
        self._topics: dict[str, _Topic] = {}
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()

    def _topic(self, name: str) -> _Topic:
        return self._topics.setdefault(name, _Topic())

    async def publish(self, topic: str, message: Message) -> str:
        """Append to every group's ready queue and wake the readers."""
        return await self._append(topic, message.encode(), message.priority)

    async def publish_raw(self, topic: str, raw: str) -> str:
        """Append raw text."""
        return await self._append(topic, raw, 5)

    async def _append(self, topic: str, raw: str, priority: int) -> str:
        seq = next(self._seq)
        entry_id = f"{seq}-0"
        t = self._topic(topic)
        t.entries[entry_id] = [priority, raw, len(t.groups)]
        for g in t.groups.values():
            heapq.heappush(g.ready, (priority, seq, entry_id))
        async with self._changed:
            self._changed.notify_all()
        return entry_id

    async def ensure_group(self, topic: str, group: str) -> None:
        """A new group starts with every entry still in the topic."""
        t = self._topic(topic)
        if group not in t.groups:
            g = _Group()
            for entry_id, entry in t.entries.items():
                entry[2] = int(entry[2]) + 1
                g.ready.append((int(entry[0]), int(entry_id.split("-")[0]), entry_id))
            heapq.heapify(g.ready)
            t.groups[group] = g

    def _take(self, topic: str, group: str, consumer: str, count: int) -> list[Delivery]:
        t = self._topic(topic)
        g = t.groups[group]
        out: list[Delivery] = []
        while g.ready and len(out) < count:
            _p, _seq, entry_id = heapq.heappop(g.ready)
            if entry_id not in t.entries:
                continue
            n = g.deliveries.get(entry_id, 0) + 1
            g.deliveries[entry_id] = n
            g.pending[entry_id] = _Pending(consumer, time.monotonic(), n)
            out.append(Delivery.parse(topic, group, entry_id, n, str(t.entries[entry_id][1])))
        return out

    async def receive(
        self, topic: str, group: str, consumer: str, count: int = 1, block_s: float = 1.0
    ) -> list[Delivery]:
        """Wait up to `block_s` for something ready."""
        await self.ensure_group(topic, group)
        deadline = time.monotonic() + block_s
        async with self._changed:
            while True:
                got = self._take(topic, group, consumer, count)
                left = deadline - time.monotonic()
                if got or left <= 0:
                    return got
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout=left)
                except TimeoutError:
                    return self._take(topic, group, consumer, count)

    async def ack(self, delivery: Delivery) -> None:
        """Forget the pending delivery; the entry goes once no group needs it."""
        t = self._topic(delivery.topic)
        g = t.groups.get(delivery.group)
        if g is None:
            return
        if g.pending.pop(delivery.entry_id, None) is None:
            return  # acked already
        g.deliveries.pop(delivery.entry_id, None)
        entry = t.entries.get(delivery.entry_id)
        if entry is not None:
            entry[2] = int(entry[2]) - 1
            if int(entry[2]) <= 0:
                del t.entries[delivery.entry_id]

    async def reclaim(
        self, topic: str, group: str, consumer: str, min_idle_s: float, count: int = 10
    ) -> list[Delivery]:
        """Hand pending deliveries idle for `min_idle_s` to `consumer`."""
        await self.ensure_group(topic, group)
        t = self._topic(topic)
        g = t.groups[group]
        now = time.monotonic()
        out: list[Delivery] = []
        for entry_id, p in list(g.pending.items()):
            if len(out) >= count:
                break
            if now - p.since < min_idle_s or entry_id not in t.entries:
                continue
            p.consumer, p.since, p.deliveries = consumer, now, p.deliveries + 1
            g.deliveries[entry_id] = p.deliveries
            raw = str(t.entries[entry_id][1])
            out.append(Delivery.parse(topic, group, entry_id, p.deliveries, raw))
        return out

    async def touch(self, deliveries: list[Delivery], consumer: str) -> None:
        """Restart the idle clock of deliveries `consumer` still holds."""
        now = time.monotonic()
        for d in deliveries:
            g = self._topic(d.topic).groups.get(d.group)
            p = g.pending.get(d.entry_id) if g else None
            if p is not None and p.consumer == consumer:
                p.since = now

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Keep the raw message and the reason, then ack."""
        self._topic(delivery.topic).dead.append(
            DeadLetter(
                delivery.topic,
                delivery.entry_id,
                delivery.raw,
                reason,
                delivery.deliveries,
                datetime.now(UTC),
            )
        )
        await self.ack(delivery)

    async def dead_letters(self, topic: str) -> list[DeadLetter]:
        """The topic's dead letters."""
        return list(self._topic(topic).dead)

    async def pending(self, topic: str, group: str) -> int:
        """Unacked deliveries."""
        g = self._topic(topic).groups.get(group)
        return len(g.pending) if g else 0

    async def length(self, topic: str) -> int:
        """Entries held."""
        return len(self._topic(topic).entries)

    async def delete_topic(self, topic: str) -> None:
        """Drop the topic."""
        self._topics.pop(topic, None)

    async def close(self) -> None:
        """Nothing to release."""
        self._topics.clear()
