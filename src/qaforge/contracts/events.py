"""What happens during a run, as typed events (like Scrapy's signals): the orchestrator emits
them, and the CLI's progress, the learning loop's recording and (later) the API's live stream
subscribe to them instead of being called by name.

Agents emit theirs (crawl progress, test results, heals, findings) while they work on a task;
the events ride the bus to the orchestrator that asked for the task, in the same process or
from a worker on another machine, and the orchestrator hands them to its hub.

A subscriber that raises is logged with the event and the run, never allowed to stop the run
or keep the other subscribers from hearing the event."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from qaforge.contracts.summary import RunSummary
from qaforge.models import CrawlStats

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    at: datetime = Field(default_factory=_now)


class RunStarted(_Event):
    """A run began, or a stopped one was taken up again (`resumed`)."""

    kind: Literal["run-started"] = "run-started"
    target: str = ""
    resumed: bool = False


class StageStarted(_Event):
    """A stage (observe, require, analyze, evolve, execute, heal, report) sent its task."""

    kind: Literal["stage-started"] = "stage-started"
    stage: str


class StageFinished(_Event):
    """A stage's task came back done."""

    kind: Literal["stage-finished"] = "stage-finished"
    stage: str
    seconds: float


class CrawlProgressed(_Event):
    """The crawl's figures so far (from an Observation agent in this process)."""

    kind: Literal["crawl-progress"] = "crawl-progress"
    stats: CrawlStats


class TestsPassFinished(_Event):
    """One pytest pass over the suite (or a retry of some of its tests) has ended."""

    kind: Literal["tests-pass-finished"] = "tests-pass-finished"
    index: int
    ran: int
    passed: int
    failed: int
    skipped: int = 0


class TestFinished(_Event):
    """A test's outcome once every pass and retry is in, with its failure class; told again
    when a heal changed it (the last one told is the test's outcome)."""

    __test__ = False  # not a pytest test class, whatever its name
    kind: Literal["test-finished"] = "test-finished"
    test_id: str
    outcome: str
    failure_class: str | None = None
    message: str = ""
    duration_s: float = 0.0


class TestHealed(_Event):
    """A heal was tried on a broken locator: accepted or refused, with the reason."""

    __test__ = False
    kind: Literal["test-healed"] = "test-healed"
    test_id: str
    old_locator: str
    new_locator: str
    accepted: bool
    reason: str = ""


class FindingReported(_Event):
    """Something wrong with the app: a crawl finding or a test failed on an app defect."""

    kind: Literal["finding"] = "finding"
    finding: str
    where: str
    detail: str


class RunFinished(_Event):
    """A run ended with a report: its exit code and summary."""

    kind: Literal["run-finished"] = "run-finished"
    exit_code: int
    summary_path: str
    summary: RunSummary


class RunFailed(_Event):
    """A run stopped on an error (it can be resumed)."""

    kind: Literal["run-failed"] = "run-failed"
    error: str


# Any one of them.
RunEvent = (
    RunStarted
    | StageStarted
    | StageFinished
    | CrawlProgressed
    | TestsPassFinished
    | TestFinished
    | TestHealed
    | FindingReported
    | RunFinished
    | RunFailed
)
Event = Annotated[RunEvent, Field(discriminator="kind")]
# What an agent may tell about its task; the run's own course (started, stages, finished,
# failed) is the orchestrator's to tell.
AGENT_EVENTS: tuple[type[_Event], ...] = (
    CrawlProgressed,
    TestsPassFinished,
    TestFinished,
    TestHealed,
    FindingReported,
)
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
# Where an agent's events go: the orchestrator that asked for the task, over the bus.
EventSink = Callable[[RunEvent], Awaitable[None]]


def agent_event(data: object) -> RunEvent | None:
    """The event an agent sent (JSON), or None when it is malformed or one only the
    orchestrator may tell (a run started, a stage, a run finished or failed)."""
    try:
        event = EVENT_ADAPTER.validate_python(data)
    except ValueError:  # pydantic's ValidationError
        return None
    return event if isinstance(event, AGENT_EVENTS) else None


E = TypeVar("E", bound=_Event)
Subscriber = Callable[[E], Awaitable[None] | None]


@dataclass
class _Subscription:
    types: tuple[type[_Event], ...]
    fn: Callable[[_Event], Awaitable[None] | None]


@dataclass
class EventHub:
    """Who listens to what; one per orchestrator (no process-wide state)."""

    _subs: list[_Subscription] = field(default_factory=list)
    _pending: set[asyncio.Future[None]] = field(default_factory=set)

    def subscribe(self, fn: Subscriber[E], *types: type[E]) -> Callable[[], None]:
        """Call `fn` with every event of `types` (every event when none); returns the function
        that unsubscribes it."""
        sub = _Subscription(types, fn)  # type: ignore[arg-type]
        self._subs.append(sub)

        def unsubscribe() -> None:
            if sub in self._subs:
                self._subs.remove(sub)

        return unsubscribe

    async def emit(self, event: _Event) -> None:
        """Hand `event` to its subscribers in the order they subscribed, awaiting the async
        ones."""
        for sub in list(self._subs):
            if sub.types and not isinstance(event, sub.types):
                continue
            try:
                result = sub.fn(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception(
                    "a subscriber to %s of run %s failed",
                    type(event).__name__,
                    event.run_id,
                )

    def emit_soon(self, event: _Event) -> None:
        """Hand `event` to its subscribers from code that cannot await (the crawl's progress
        callback): synchronous ones now, async ones as tasks of the running loop."""
        for sub in list(self._subs):
            if sub.types and not isinstance(event, sub.types):
                continue
            try:
                result = sub.fn(event)
            except Exception:
                log.exception(
                    "a subscriber to %s of run %s failed", type(event).__name__, event.run_id
                )
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._pending.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[None]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("an async event subscriber failed", exc_info=task.exception())
