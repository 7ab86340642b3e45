"""The message bus: `open_bus(url)` gives the backend its URL scheme names.

Built in: `memory://` (in process) and `redis://`, `rediss://`, `unix://` (Redis Streams). A
package adds a backend with a module holding a `MessageBus` subclass and a `BusScheme`, and
one registration: an entry point in the group `qaforge.bus_schemes`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from urllib.parse import urlsplit

from qaforge.bus.base import BusError, DeadLetter, Delivery, MessageBus
from qaforge.bus.messages import Message, MessageType, Trace

ENTRY_POINT_GROUP = "qaforge.bus_schemes"


@dataclass(frozen=True)
class BusScheme:
    """A bus backend: the URL schemes it serves and how to open one from its URL."""

    schemes: tuple[str, ...]
    open: Callable[[str], MessageBus]


def _memory(url: str) -> MessageBus:
    from qaforge.bus.memory import MemoryBus

    return MemoryBus(url)


def _redis(url: str) -> MessageBus:
    from qaforge.bus.redis import RedisBus

    return RedisBus(url)


BUILT_IN = (BusScheme(("memory",), _memory), BusScheme(("redis", "rediss", "unix"), _redis))


def bus_schemes(plugins: bool = True) -> dict[str, BusScheme]:
    """Every URL scheme a bus can be opened with: built-ins, then installed entry points."""
    table: dict[str, BusScheme] = {}
    found = list(BUILT_IN)
    if plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            scheme = ep.load()
            if not isinstance(scheme, BusScheme):
                raise BusError(f"entry point {ep.name!r} ({ep.value}) is not a BusScheme")
            found.append(scheme)
    for backend in found:
        for name in backend.schemes:
            if name in table:
                raise BusError(f"bus URL scheme {name!r} is served twice")
            table[name] = backend
    return table


def open_bus(url: str, schemes: Mapping[str, BusScheme] | None = None) -> MessageBus:
    """The bus `url` names: `memory://` (default), `redis://HOST:PORT/DB`, or a plugin's."""
    table = bus_schemes() if schemes is None else schemes
    backend = table.get(urlsplit(url).scheme)
    if backend is None:
        known = ", ".join(f"{s}://" for s in table)
        raise BusError(f"unknown bus URL {url!r}: use one of {known}")
    return backend.open(url)


__all__ = [
    "BusError",
    "BusScheme",
    "DeadLetter",
    "Delivery",
    "Message",
    "MessageBus",
    "MessageType",
    "Trace",
    "bus_schemes",
    "open_bus",
]
