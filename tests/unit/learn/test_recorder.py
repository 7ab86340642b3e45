"""The recorder the agents call after every task: one pool per event loop, nothing lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from qaforge.contracts.generation import GenerationRecord as TaskRecord
from qaforge.learn.recorder import DatabaseRecorder
from qaforge.store.database import Database
from qaforge.store.learning_tables import AgentPerformance


def _task(n: int) -> TaskRecord:
    return TaskRecord(
        run_id=f"r{n}",
        task_id=f"t{n}",
        task_type="observe",
        agent="observation-1",
        agent_type="observation",
        ok=True,
        started_at=datetime(2026, 12, 4, tzinfo=UTC),
        duration_s=1.5,
    )


def test_a_recorder_outliving_its_event_loop_keeps_recording(tmp_path: Path) -> None:
    # A worker (and the CLI) run one event loop per task: the recorder they share must not
    # reuse a pool bound to a loop that is gone.
    url = f"sqlite:///{tmp_path / 'q.db'}"
    recorder = DatabaseRecorder(url)
    asyncio.run(recorder.record(_task(1)))
    first_pool = recorder._db
    asyncio.run(recorder.record(_task(2)))
    assert recorder._db is not first_pool

    async def count() -> tuple[int, float]:
        db = Database(url)
        try:
            async with db.session() as s:
                perf = (await s.scalars(select(AgentPerformance))).one()
                return perf.generations, perf.duration_s
        finally:
            await db.dispose()

    assert asyncio.run(count()) == (2, 3.0)
