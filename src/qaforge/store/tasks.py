"""Agent tasks and their results (the idempotency store), dead letters and metric snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from qaforge.store.database import Database
from qaforge.store.tables import AgentMetricRow, AgentTaskRow, DeadLetterRow
from qaforge.store.times import now

if TYPE_CHECKING:
    from qaforge.contracts.envelope import AgentMetrics, Task, TaskResult


class TaskStore:
    """Results keyed by task id: a task whose result is stored is never executed again."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, task_id: str) -> TaskResult | None:
        """The stored result of `task_id`, if any."""
        from qaforge.contracts.envelope import TaskResult

        async with self.db.session() as s:
            row = await s.get(AgentTaskRow, task_id)
            if row is None or row.result is None:
                return None
            return TaskResult.model_validate(row.result)

    async def put(self, task: Task, result: TaskResult, agent_id: str, agent_type: str) -> bool:
        """Store the result; False when another worker stored one first (keep the first)."""
        try:
            return await self._put(task, result, agent_id, agent_type)
        except IntegrityError:  # a concurrent insert of the same task id won
            return False

    async def _put(self, task: Task, result: TaskResult, agent_id: str, agent_type: str) -> bool:
        async with self.db.session() as s:
            row = await s.get(AgentTaskRow, task.id)
            if row is not None and row.result is not None:
                return False
            if row is None:
                row = AgentTaskRow(id=task.id, run_id=task.run_id, type=task.type)
                s.add(row)
            row.payload = task.payload
            row.agent_id = agent_id
            row.agent_type = agent_type
            row.status = "done" if result.ok else "failed"
            row.ok = result.ok
            row.result = result.model_dump(mode="json")
            row.error = result.error
            row.duration_s = result.duration_s
            row.tokens = result.tokens
            row.finished_at = now()
        return True

    async def count(self, run_id: str | None = None) -> int:
        """How many task results are stored (for one run)."""
        q = select(func.count()).select_from(AgentTaskRow)
        if run_id is not None:
            q = q.where(AgentTaskRow.run_id == run_id)
        async with self.db.session() as s:
            return int((await s.execute(q)).scalar_one())

    async def dead_letter(
        self,
        topic: str,
        reason: str,
        raw: str,
        deliveries: int,
        message_id: str | None = None,
        task_id: str | None = None,
    ) -> None:
        """Keep a message that failed for good, with the reason."""
        async with self.db.session() as s:
            s.add(
                DeadLetterRow(
                    topic=topic,
                    reason=reason,
                    raw=raw,
                    deliveries=deliveries,
                    message_id=message_id,
                    task_id=task_id,
                )
            )

    async def dead_letters(self, topic: str | None = None) -> list[dict[str, Any]]:
        """Stored dead letters, oldest first."""
        q = select(DeadLetterRow).order_by(DeadLetterRow.id)
        if topic is not None:
            q = q.where(DeadLetterRow.topic == topic)
        async with self.db.session() as s:
            rows = (await s.scalars(q)).all()
        return [
            {"topic": r.topic, "reason": r.reason, "deliveries": r.deliveries, "task_id": r.task_id}
            for r in rows
        ]

    async def save_metrics(self, agent_id: str, agent_type: str, m: AgentMetrics) -> None:
        """Append a snapshot of an agent's counters."""
        async with self.db.session() as s:
            s.add(
                AgentMetricRow(
                    agent_id=agent_id,
                    agent_type=agent_type,
                    tasks_done=m.tasks_done,
                    tasks_failed=m.tasks_failed,
                    busy_s=m.busy_s,
                    tokens=m.tokens,
                    retries=m.retries,
                )
            )
