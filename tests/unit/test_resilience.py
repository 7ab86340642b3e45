"""The circuit breaker opens after repeated failures and closes after a good trial call."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qaforge.resilience import BreakerState, CircuitBreaker, CircuitOpenError


@dataclass
class Clock:
    t: float = 0.0

    def __call__(self) -> float:
        return self.t


class Service:
    def __init__(self) -> None:
        self.up = False
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if not self.up:
            raise ConnectionError("down")
        return "pong"


async def test_opens_rejects_then_half_opens_and_closes() -> None:
    clock = Clock()
    cb = CircuitBreaker("svc", failure_threshold=3, reset_after_s=10, clock=clock)
    svc = Service()
    for _ in range(3):
        with pytest.raises(ConnectionError):
            await cb.call(svc)
    assert cb.state is BreakerState.OPEN
    with pytest.raises(CircuitOpenError, match="'svc' is open"):
        await cb.call(svc)
    assert svc.calls == 3  # the open breaker did not call the service

    clock.t = 10.0
    assert cb.state is BreakerState.HALF_OPEN
    svc.up = True
    assert await cb.call(svc) == "pong"
    assert cb.state is BreakerState.CLOSED and cb.failures == 0


async def test_a_failed_trial_opens_it_again() -> None:
    clock = Clock()
    cb = CircuitBreaker("svc", failure_threshold=2, reset_after_s=5, clock=clock)
    svc = Service()
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await cb.call(svc)
    clock.t = 5.0
    with pytest.raises(ConnectionError):
        await cb.call(svc)  # the half-open trial
    assert cb.state is BreakerState.OPEN
    clock.t = 9.0
    with pytest.raises(CircuitOpenError):
        await cb.call(svc)


async def test_successes_keep_it_closed() -> None:
    cb = CircuitBreaker("svc", failure_threshold=2)
    svc = Service()
    with pytest.raises(ConnectionError):
        await cb.call(svc)
    svc.up = True
    await cb.call(svc)
    svc.up = False
    with pytest.raises(ConnectionError):
        await cb.call(svc)
    assert cb.state is BreakerState.CLOSED  # failures in a row reset by the success


async def test_agents_share_one_breaker_per_service(tmp_path) -> None:
    from qaforge.config import Settings
    from tests.system.fakes import FakeObservation

    agent = FakeObservation(Settings(home=tmp_path))
    assert agent.breaker("llm") is agent.breaker("llm")
    agent.breaker("llm").failure_threshold = 1
    svc = Service()
    with pytest.raises(ConnectionError):
        await agent.call_external("llm", svc)
    with pytest.raises(CircuitOpenError):
        await agent.call_external("llm", svc)
