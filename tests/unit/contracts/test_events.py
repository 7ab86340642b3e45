"""The event hub: subscribers hear the events they asked for, in order; one that fails is
logged and neither stops the others nor the emitter."""

from __future__ import annotations

import asyncio
import logging

import pytest

from qaforge.contracts.events import (
    EVENT_ADAPTER,
    CrawlProgressed,
    EventHub,
    RunFailed,
    StageFinished,
    StageStarted,
)
from qaforge.models import CrawlStats


async def test_subscribers_hear_what_they_asked_for_in_order() -> None:
    hub = EventHub()
    heard: list[str] = []

    async def slow(e: StageStarted) -> None:
        await asyncio.sleep(0.01)
        heard.append(f"async {e.stage}")

    hub.subscribe(lambda e: heard.append(f"any {type(e).__name__}"))
    hub.subscribe(slow, StageStarted)
    stop = hub.subscribe(lambda e: heard.append(f"done {e.stage}"), StageFinished)
    await hub.emit(StageStarted(run_id="r", stage="observe"))
    await hub.emit(StageFinished(run_id="r", stage="observe", seconds=1.0))
    stop()
    await hub.emit(StageFinished(run_id="r", stage="require", seconds=1.0))
    assert heard == [
        "any StageStarted",
        "async observe",  # awaited before emit returned
        "any StageFinished",
        "done observe",
        "any StageFinished",
    ]


async def test_a_failing_subscriber_is_logged_and_the_others_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = EventHub()
    heard: list[str] = []

    def broken(e: RunFailed) -> None:
        raise RuntimeError("subscriber bug")

    hub.subscribe(broken, RunFailed)
    hub.subscribe(lambda e: heard.append(e.error), RunFailed)
    with caplog.at_level(logging.ERROR):
        await hub.emit(RunFailed(run_id="run-7", error="crawl: unreachable"))
    assert heard == ["crawl: unreachable"]
    assert "a subscriber to RunFailed of run run-7 failed" in caplog.text
    assert "subscriber bug" in caplog.text


async def test_events_emitted_without_awaiting_reach_async_subscribers_too() -> None:
    hub = EventHub()
    seen: list[int] = []
    done = asyncio.Event()

    async def record(e: CrawlProgressed) -> None:
        seen.append(e.stats.states)
        done.set()

    hub.subscribe(lambda e: seen.append(-e.stats.states), CrawlProgressed)
    hub.subscribe(record, CrawlProgressed)
    hub.emit_soon(CrawlProgressed(run_id="r", stats=CrawlStats(states=3)))
    assert seen == [-3]  # the synchronous one at once
    await asyncio.wait_for(done.wait(), 2)
    assert seen == [-3, 3]


def test_events_travel_as_json_and_come_back_typed() -> None:
    event = StageFinished(run_id="r", stage="execute", seconds=12.5)
    back = EVENT_ADAPTER.validate_json(event.model_dump_json())
    assert isinstance(back, StageFinished) and back == event


def test_an_agent_tells_only_what_happened_in_its_task() -> None:
    from qaforge.contracts.events import RunFinished, TestFinished, agent_event
    from qaforge.contracts.summary import RunSummary

    told = TestFinished(run_id="r", test_id="t", outcome="passed").model_dump(mode="json")
    assert isinstance(agent_event(told), TestFinished)
    # The run's own course is the orchestrator's: a worker cannot end a run (or feed the
    # learning loop a summary) by sending RunFinished.
    finished = RunFinished(
        run_id="r", exit_code=0, summary_path="x", summary=RunSummary(target="http://x/")
    ).model_dump(mode="json")
    assert agent_event(finished) is None
    assert agent_event(StageStarted(run_id="r", stage="observe").model_dump(mode="json")) is None
    assert agent_event({"kind": "test-finished"}) is None  # malformed
    assert agent_event("nonsense") is None
