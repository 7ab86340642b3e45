"""BaseAgent's inherited behaviour: retries with backoff, metrics, the generation hook."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from qaforge.agents.base import AgentError, BaseAgent
from qaforge.config import Settings
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.generation import GenerationRecord, GenerationRecorder
from qaforge.resilience import RetryPolicy, TransientError


@dataclass
class Flaky(BaseAgent):
    """Fails transiently `fail_times` times, then works."""

    capabilities: frozenset[str] = frozenset({"flaky"})
    agent_type: str = "flaky"
    fail_times: int = 0
    calls: int = 0
    error: type[Exception] = TransientError

    def can_handle(self, task: Task) -> tuple[bool, float]:
        return self.capability_match(task)

    async def execute(self, task: Task) -> TaskResult:
        self.calls += 1
        if self.calls <= self.fail_times:
            raise self.error(f"boom {self.calls}")
        return self.ok(task, {"calls": self.calls}, tokens=7)


@dataclass
class ListRecorder:
    records: list[GenerationRecord] = field(default_factory=list)

    async def record(self, record: GenerationRecord) -> None:
        self.records.append(record)


class BrokenRecorder:
    async def record(self, record: GenerationRecord) -> None:
        raise RuntimeError("learning store down")


FAST = RetryPolicy(max_attempts=3, base_s=0.001, cap_s=0.005)


async def test_transient_errors_are_retried_then_succeed(tmp_path) -> None:
    agent = Flaky(Settings(home=tmp_path), fail_times=2, retry=FAST)
    result = await agent.handle(Task(type="flaky"))
    assert result.ok and result.payload == {"calls": 3}
    assert agent.metrics.retries == 2 and agent.metrics.tasks_done == 1
    assert agent.metrics.tokens == 7


async def test_retries_give_up_with_the_reason(tmp_path) -> None:
    agent = Flaky(Settings(home=tmp_path), fail_times=10, retry=FAST)
    result = await agent.handle(Task(type="flaky"))
    assert not result.ok
    assert result.error == "gave up after 3 attempts: boom 3"
    assert agent.calls == 3 and agent.metrics.tasks_failed == 1


async def test_agent_error_is_not_retried(tmp_path) -> None:
    agent = Flaky(Settings(home=tmp_path), fail_times=10, retry=FAST, error=AgentError)
    result = await agent.handle(Task(type="flaky"))
    assert not result.ok and agent.calls == 1 and result.error == "boom 1"


async def test_unexpected_errors_propagate(tmp_path) -> None:
    agent = Flaky(Settings(home=tmp_path), fail_times=1, retry=FAST, error=KeyError)
    with pytest.raises(KeyError):
        await agent.handle(Task(type="flaky"))


def test_backoff_grows_exponentially_within_the_cap() -> None:
    from tenacity import RetryCallState

    wait = RetryPolicy(base_s=1.0, factor=2.0, cap_s=5.0).wait()
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        state = RetryCallState(None, None, (), {})
        state.attempt_number = retry
        delays = [wait(state) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # jitter spreads over the whole window


async def test_every_task_is_recorded_for_the_learning_loop(tmp_path) -> None:
    recorder = ListRecorder()
    assert isinstance(recorder, GenerationRecorder)
    agent = Flaky(Settings(home=tmp_path), recorder=recorder)
    await agent.handle(Task(type="flaky", run_id="run-1", payload={"x": 1}))
    [rec] = recorder.records
    assert rec.run_id == "run-1" and rec.task_type == "flaky" and rec.ok
    assert rec.request == {"x": 1} and rec.result == {"calls": 1} and rec.tokens == 7
    assert rec.agent_type == "flaky"


async def test_a_failing_recorder_never_fails_the_task(tmp_path) -> None:
    agent = Flaky(Settings(home=tmp_path), recorder=BrokenRecorder())
    assert (await agent.handle(Task(type="flaky"))).ok


def test_can_handle_by_capability(tmp_path) -> None:
    agent = Flaky(Settings(home=tmp_path))
    assert agent.can_handle(Task(type="flaky")) == (True, 1.0)
    assert agent.can_handle(Task(type="observe")) == (False, 0.0)


def test_capabilities_and_can_handle_are_abstract(tmp_path) -> None:
    class NoBid(BaseAgent):
        capabilities: frozenset[str] = frozenset({"x"})

        async def execute(self, task: Task) -> TaskResult:
            return self.ok(task, {})

    with pytest.raises(TypeError, match="can_handle"):
        NoBid(Settings(home=tmp_path))  # type: ignore[abstract]


def test_browser_agents_refuse_without_a_browser(tmp_path) -> None:
    from qaforge.agents.execution import ExecutionAgent
    from qaforge.agents.observation import ObservationAgent

    here = Settings(home=tmp_path)
    assert ObservationAgent(here).can_handle(Task(type="observe")) == (True, 1.0)
    nowhere = Settings(home=tmp_path, chromium=str(tmp_path / "no-such-chromium"))
    assert ObservationAgent(nowhere).can_handle(Task(type="observe")) == (False, 0.0)
    assert ExecutionAgent(nowhere).can_handle(Task(type="heal")) == (False, 0.0)
