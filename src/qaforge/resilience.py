"""Retries with exponential backoff and jitter (tenacity), and a circuit breaker for outside
services."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

T = TypeVar("T")


class TransientError(Exception):
    """A failure worth retrying (a timeout, a dropped connection, a busy service)."""


class CircuitOpenError(TransientError):
    """The breaker is open: the service failed too often lately, so it is not called."""


# What counts as transient when an agent does not say: network and time-outs.
TRANSIENT: tuple[type[BaseException], ...] = (TransientError, ConnectionError, TimeoutError)


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` tries; wait n is uniform in [0, min(cap, base·factorⁿ)] (full jitter)."""

    max_attempts: int = 3
    base_s: float = 0.2
    factor: float = 2.0
    cap_s: float = 10.0

    def wait(self) -> wait_random_exponential:
        """tenacity's wait for this policy."""
        return wait_random_exponential(multiplier=self.base_s, exp_base=self.factor, max=self.cap_s)

    def retrying(self, on_retry: Callable[[RetryCallState], None] | None = None) -> AsyncRetrying:
        """A tenacity loop: transient errors (`TRANSIENT`) are retried, anything else and the
        last transient one are raised as they are; `on_retry` hears each retry."""
        return AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self.wait(),
            retry=retry_if_exception_type(TRANSIENT),
            before_sleep=on_retry,
            reraise=True,
        )


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """Opens after `failure_threshold` failures in a row; after `reset_after_s` one trial call
    goes through (half-open): success closes it, failure opens it again."""

    name: str
    failure_threshold: int = 5
    reset_after_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    _trial_running: bool = field(default=False, repr=False)

    @property
    def state(self) -> BreakerState:
        """Closed, open, or half-open once the reset time has passed."""
        if self.opened_at is None:
            return BreakerState.CLOSED
        if self.clock() - self.opened_at >= self.reset_after_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def _admit(self) -> None:
        state = self.state
        if state is BreakerState.OPEN or (state is BreakerState.HALF_OPEN and self._trial_running):
            raise CircuitOpenError(f"circuit {self.name!r} is open after {self.failures} failures")
        if state is BreakerState.HALF_OPEN:
            self._trial_running = True

    def record_success(self) -> None:
        """A call worked: close."""
        self.failures = 0
        self.opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        """A call failed: open when the threshold is reached (or the half-open trial failed)."""
        self.failures += 1
        if self._trial_running or self.failures >= self.failure_threshold:
            self.opened_at = self.clock()
        self._trial_running = False

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn` through the breaker."""
        self._admit()
        try:
            result = await fn()
        except Exception:
            self.record_failure()
            raise
        self.record_success()
        return result
