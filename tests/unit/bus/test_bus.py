"""Both bus backends behave the same: groups, ack, reclaim, dead letters, bounded streams."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from qaforge.bus import MessageBus, open_bus
from qaforge.bus.messages import Message, MessageType
from qaforge.bus.redis import RedisBus


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[MessageBus]:
    url = "memory://" if request.param == "memory" else request.getfixturevalue("redis_url")
    b = open_bus(url)
    yield b
    await b.close()


def _msg(n: int, priority: int = 5) -> Message:
    return Message(
        sender="t", receiver="x", type=MessageType.EVENT, priority=priority, payload={"n": n}
    )


async def test_each_message_goes_to_one_consumer_of_a_group(bus: MessageBus) -> None:
    await bus.ensure_group("work", "g")
    for i in range(6):
        await bus.publish("work", _msg(i))
    a = await bus.receive("work", "g", "a", count=3, block_s=0.5)
    b = await bus.receive("work", "g", "b", count=10, block_s=0.5)
    seen = [d.message.payload["n"] for d in a + b if d.message]
    assert sorted(seen) == list(range(6))
    assert await bus.pending("work", "g") == 6
    for d in a + b:
        await bus.ack(d)
    assert await bus.pending("work", "g") == 0
    assert await bus.receive("work", "g", "a", block_s=0.1) == []


async def test_unacked_message_is_reclaimed_by_another_consumer(bus: MessageBus) -> None:
    await bus.ensure_group("work", "g")
    await bus.publish("work", _msg(1))
    [first] = await bus.receive("work", "g", "dead-consumer", block_s=0.5)
    assert first.deliveries == 1
    # Not idle long enough yet: nobody may take it.
    assert await bus.reclaim("work", "g", "other", min_idle_s=60) == []
    [again] = await bus.reclaim("work", "g", "other", min_idle_s=0)
    assert again.entry_id == first.entry_id and again.deliveries == 2
    assert again.message is not None and again.message.payload == {"n": 1}
    await bus.ack(again)
    assert await bus.pending("work", "g") == 0


async def test_dead_letter_keeps_raw_and_reason(bus: MessageBus) -> None:
    await bus.ensure_group("work", "g")
    await bus.publish_raw("work", "{not json")
    [d] = await bus.receive("work", "g", "c", block_s=0.5)
    assert d.message is None and d.error is not None and d.error.startswith("malformed")
    await bus.dead_letter(d, d.error)
    [dl] = await bus.dead_letters("work")
    assert dl.raw == "{not json" and dl.reason.startswith("malformed") and dl.deliveries == 1
    assert await bus.pending("work", "g") == 0


async def test_group_created_later_reads_from_the_start(bus: MessageBus) -> None:
    await bus.publish("late", _msg(7))
    await bus.ensure_group("late", "g")
    [d] = await bus.receive("late", "g", "c", block_s=0.5)
    assert d.message is not None and d.message.payload == {"n": 7}


async def test_memory_bus_serves_urgent_messages_first() -> None:
    b = open_bus("memory://")
    await b.ensure_group("p", "g")
    await b.publish("p", _msg(1, priority=9))
    await b.publish("p", _msg(2, priority=0))
    got = await b.receive("p", "g", "c", count=2, block_s=0.1)
    assert [d.message.payload["n"] for d in got if d.message] == [2, 1]


async def test_redis_stream_length_is_bounded(redis_url: str) -> None:
    b = RedisBus(redis_url, maxlen=100)
    try:
        for i in range(1000):
            await b.publish("bounded", _msg(i))
        # MAXLEN ~ trims whole macro nodes: close to, never far above, the bound.
        assert 100 <= await b.length("bounded") < 300
    finally:
        await b.close()


async def test_unknown_bus_url_is_a_clear_error() -> None:
    from qaforge.bus import BusError

    with pytest.raises(BusError, match=r"use one of memory://, redis://, rediss://, unix://"):
        open_bus("kafka://x")


async def test_a_bus_backend_is_one_module_and_one_registration() -> None:
    """A toy backend (a MemoryBus that counts what it carries) served under `toy://`."""
    from qaforge.bus import BusError, BusScheme, bus_schemes
    from qaforge.bus.memory import MemoryBus

    class CountingBus(MemoryBus):
        published = 0

        async def publish(self, topic: str, message: Message) -> str:
            CountingBus.published += 1
            return await super().publish(topic, message)

    toy = BusScheme(("toy",), CountingBus)
    schemes = {**bus_schemes(), "toy": toy}
    b = open_bus("toy://anything", schemes)
    try:
        assert isinstance(b, CountingBus)
        await b.ensure_group("work", "g")
        await b.publish("work", _msg(1))
        got = await b.receive("work", "g", "c1", count=1, block_s=0.5)
        assert [d.message.payload["n"] for d in got if d.message] == [1]
        assert CountingBus.published == 1
    finally:
        await b.close()
    # Without its registration the scheme is unknown, and a scheme served twice is refused.
    with pytest.raises(BusError, match="unknown bus URL"):
        open_bus("toy://anything")
    assert isinstance(open_bus("memory://", schemes), MemoryBus)
