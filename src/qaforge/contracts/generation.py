"""The hook through which every generation reaches the learning loop (default: no-op)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field


class GenerationRecord(BaseModel):
    """One task an agent finished: what was asked, what came out, time and tokens.

    `task_type == "evolve"` is a test generation in the sense of architecture.md §6; the recorder
    decides what it keeps.
    """

    run_id: str
    task_id: str
    task_type: str
    agent: str
    agent_type: str
    ok: bool
    started_at: datetime
    duration_s: float
    tokens: int = 0
    request: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


@runtime_checkable
class GenerationRecorder(Protocol):
    """Implemented by the learning loop; called once per handled task, after it finished."""

    async def record(self, record: GenerationRecord) -> None:
        """Store `record` (must not raise for the agent's sake; errors are logged and dropped)."""
        ...


class NoopRecorder:
    """The default: records nothing."""

    async def record(self, record: GenerationRecord) -> None:
        """Do nothing."""
        return None
