"""The shape every agent shares: capabilities, `can_handle`, `execute`; the rest is inherited.

Agents never call each other. The orchestrator sends a `Task` (over the bus, or directly in a
sequential driver) and gets a `TaskResult` back; payloads are plain JSON so the same task can
cross a process boundary unchanged.
"""

from __future__ import annotations

import abc
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from qaforge.config import Settings


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

    def as_dict(self) -> dict[str, float]:
        return {
            "tasks_done": self.tasks_done,
            "tasks_failed": self.tasks_failed,
            "busy_s": round(self.busy_s, 3),
            "tokens": self.tokens,
        }


class AgentError(Exception):
    """A task failed for a reason worth telling the user (no traceback needed)."""


@dataclass
class BaseAgent(abc.ABC):
    """Base class: subclasses declare `capabilities` and implement `execute`."""

    settings: Settings
    name: str = ""
    metrics: AgentMetrics = field(default_factory=AgentMetrics)
    agent_id: str = field(default_factory=lambda: new_id("agent-"))

    capabilities: frozenset[str] = frozenset()
    agent_type: str = "base"

    def __post_init__(self) -> None:
        if not self.name:
            self.name = self.agent_type

    def can_handle(self, task: Task) -> tuple[bool, float]:
        """Whether this agent can take `task`, and how confident it is (0..1)."""
        return (task.type in self.capabilities, 1.0 if task.type in self.capabilities else 0.0)

    @abc.abstractmethod
    async def execute(self, task: Task) -> TaskResult:
        """Do the work of `task` and return its result."""

    async def handle(self, task: Task) -> TaskResult:
        """Run `execute` with timing and metrics; failures become a failed `TaskResult`."""
        start = time.perf_counter()
        try:
            result = await self.execute(task)
        except AgentError as exc:
            result = TaskResult(task_id=task.id, agent=self.name, ok=False, error=str(exc))
        elapsed = time.perf_counter() - start
        result.duration_s = elapsed
        self.metrics.busy_s += elapsed
        self.metrics.tokens += result.tokens
        if result.ok:
            self.metrics.tasks_done += 1
        else:
            self.metrics.tasks_failed += 1
        return result

    def ok(self, task: Task, payload: dict[str, Any], tokens: int = 0) -> TaskResult:
        """A successful result for `task`."""
        return TaskResult(task_id=task.id, agent=self.name, ok=True, payload=payload, tokens=tokens)
