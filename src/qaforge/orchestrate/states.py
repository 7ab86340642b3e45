"""The workflow state machine: PENDING → RUNNING → COMPLETED / FAILED / CANCELLED.

FAILED → PENDING retries a run; CANCELLED → PENDING resumes one; RUNNING → PENDING requeues a
run whose owner died (stale heartbeat: the caller checks). Anything else is refused.
"""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


ALLOWED: dict[RunState, frozenset[RunState]] = {
    RunState.PENDING: frozenset({RunState.RUNNING, RunState.CANCELLED}),
    RunState.RUNNING: frozenset(
        {RunState.COMPLETED, RunState.FAILED, RunState.CANCELLED, RunState.PENDING}
    ),
    RunState.FAILED: frozenset({RunState.PENDING}),
    RunState.CANCELLED: frozenset({RunState.PENDING}),
    RunState.COMPLETED: frozenset(),
}

TERMINAL = frozenset({RunState.COMPLETED, RunState.FAILED, RunState.CANCELLED})


class InvalidTransition(Exception):
    """A state change the workflow state machine does not allow."""

    def __init__(self, run_id: str, current: RunState, target: RunState) -> None:
        allowed = ", ".join(sorted(ALLOWED[current])) or "nothing (final state)"
        super().__init__(
            f"run {run_id} cannot go from {current} to {target}; from {current} it may go to "
            f"{allowed}"
        )
        self.run_id, self.current, self.target = run_id, current, target


def check(run_id: str, current: RunState, target: RunState) -> None:
    """Raise `InvalidTransition` unless `current → target` is allowed."""
    if target not in ALLOWED[current]:
        raise InvalidTransition(run_id, current, target)
