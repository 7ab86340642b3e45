"""One bus interface, two backends (in-process asyncio, Redis Streams).

Topics are named queues. Consumers read through a *group*: each message goes to one consumer
of the group and stays pending until acked, so a message whose consumer died can be reclaimed
by another (`reclaim`, by idle time). A message delivered too often, malformed or expired goes
to the topic's dead-letter store with the reason.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from qaforge.bus.messages import Message
from qaforge.errors import UserError

DEFAULT_MAX_DELIVERIES = 5
DEFAULT_MAXLEN = 100_000


class BusError(UserError):
    """The bus cannot be reached or was misconfigured."""


@dataclass
class Delivery:
    """One delivery of a message to a consumer; ack it once its effect is stored."""

    topic: str
    group: str
    entry_id: str
    deliveries: int
    raw: str
    message: Message | None = None
    error: str | None = None  # why `raw` is not a valid message

    @classmethod
    def parse(cls, topic: str, group: str, entry_id: str, deliveries: int, raw: str) -> Delivery:
        """Decode `raw`; a malformed message keeps its raw text and the reason."""
        try:
            return cls(topic, group, entry_id, deliveries, raw, Message.decode(raw))
        except (ValidationError, ValueError) as exc:
            first = str(exc).splitlines()[0]
            return cls(topic, group, entry_id, deliveries, raw, None, f"malformed: {first}")


@dataclass
class DeadLetter:
    """A message that failed for good, and why."""

    topic: str
    entry_id: str
    raw: str
    reason: str
    deliveries: int
    at: datetime


class MessageBus(abc.ABC):
    """What the orchestrator and the agents' workers use; the backend is chosen by URL."""

    url: str
    max_deliveries: int = DEFAULT_MAX_DELIVERIES

    async def ping(self) -> None:  # noqa: B027 -- optional: only remote backends need it
        """Raise `BusError` with a clear message when the bus cannot be reached."""

    @abc.abstractmethod
    async def publish(self, topic: str, message: Message) -> str:
        """Append `message` to `topic`; returns its entry id."""

    async def publish_raw(self, topic: str, raw: str) -> str:
        """Append raw text (tests use it to poison a topic)."""
        raise NotImplementedError

    @abc.abstractmethod
    async def ensure_group(self, topic: str, group: str) -> None:
        """Create the consumer group (reading from the start of the topic) if it is missing."""

    @abc.abstractmethod
    async def receive(
        self, topic: str, group: str, consumer: str, count: int = 1, block_s: float = 1.0
    ) -> list[Delivery]:
        """New messages for `consumer`, waiting up to `block_s` for the first."""

    @abc.abstractmethod
    async def ack(self, delivery: Delivery) -> None:
        """Mark a delivery done: it will not be delivered again."""

    @abc.abstractmethod
    async def reclaim(
        self, topic: str, group: str, consumer: str, min_idle_s: float, count: int = 10
    ) -> list[Delivery]:
        """Take over messages pending longer than `min_idle_s` (their consumer is presumed dead)."""

    @abc.abstractmethod
    async def touch(self, deliveries: list[Delivery], consumer: str) -> None:
        """Reset the idle time of deliveries `consumer` is still working on.

        A live consumer touches what it holds more often than the reclaim idle time, so only
        a dead consumer's messages are ever reclaimed, however long a task takes.
        """

    @abc.abstractmethod
    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Move a delivery to the dead-letter store with `reason`, and ack it."""

    @abc.abstractmethod
    async def dead_letters(self, topic: str) -> list[DeadLetter]:
        """What the topic's dead-letter store holds, oldest first."""

    @abc.abstractmethod
    async def pending(self, topic: str, group: str) -> int:
        """How many deliveries of the group are not acked yet."""

    @abc.abstractmethod
    async def length(self, topic: str) -> int:
        """How many entries the topic holds."""

    @abc.abstractmethod
    async def delete_topic(self, topic: str) -> None:
        """Remove a topic (a reply inbox that is no longer read)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections."""


async def stop_loops(loops: Iterable[asyncio.Task[None]], grace_s: float) -> None:
    """Wait up to `grace_s` for loops that watch a stop flag to end, then cancel the rest.

    Loops block on the bus for at most about a second, so they normally end within the grace
    time; cancelling one inside a blocking Redis read is the last resort.
    """
    tasks = [t for t in loops if not t.done()]
    if tasks:
        _done, pending = await asyncio.wait(tasks, timeout=grace_s)
        for t in pending:
            t.cancel()
        for t in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(t, timeout=grace_s)
    for t in loops:
        if t.done() and not t.cancelled():
            with contextlib.suppress(Exception):
                t.exception()
