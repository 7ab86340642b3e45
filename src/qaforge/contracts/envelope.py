"""The envelope every unit of work travels in: a `Task` to an agent type, its `TaskResult`,
and the per-agent figures a worker reports. The ground floor: the bus, the database and the
orchestrator speak it without knowing any agent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field


def new_id(prefix: str = "") -> str:
    """A random id, optionally prefixed (e.g. `run-…`)."""
    return f"{prefix}{uuid.uuid4().hex[:16]}"


class Task(BaseModel):
    """A unit of work for one agent type."""

    id: str = Field(default_factory=lambda: new_id("task-"))
    type: str  # capability asked for: observe, require, analyze, evolve, execute, heal, report
    run_id: str = ""
    payload: dict[str, Any] = Field(default_factory=dict)
    priority: int = 5
    attempt: int = 0
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class TaskResult(BaseModel):
    task_id: str
    agent: str
    ok: bool
    payload: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    duration_s: float = 0.0
    tokens: int = 0


@dataclass
class AgentMetrics:
    tasks_done: int = 0
    tasks_failed: int = 0
    busy_s: float = 0.0
    tokens: int = 0
    retries: int = 0

    def as_dict(self) -> dict[str, float]:
        return {
            "tasks_done": self.tasks_done,
            "tasks_failed": self.tasks_failed,
            "busy_s": round(self.busy_s, 3),
            "tokens": self.tokens,
            "retries": self.retries,
        }

    def mean_task_s(self, default: float = 1.0) -> float:
        """Average time per finished task (an estimate for Contract Net bids)."""
        n = self.tasks_done + self.tasks_failed
        return self.busy_s / n if n else default
