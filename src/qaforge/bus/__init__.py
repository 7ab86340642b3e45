"""The message bus: `open_bus(url)` gives the in-process or the Redis Streams backend."""

from __future__ import annotations

from qaforge.bus.base import BusError, DeadLetter, Delivery, MessageBus
from qaforge.bus.messages import Message, MessageType, Trace


def open_bus(url: str) -> MessageBus:
    """`memory://` (default) or `redis://host:port/db`."""
    if url.startswith("memory:"):
        from qaforge.bus.memory import MemoryBus

        return MemoryBus(url)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from qaforge.bus.redis import RedisBus

        return RedisBus(url)
    raise BusError(f"unknown bus URL {url!r}: use memory:// or redis://HOST:PORT/DB")


__all__ = [
    "BusError",
    "DeadLetter",
    "Delivery",
    "Message",
    "MessageBus",
    "MessageType",
    "Trace",
    "open_bus",
]
