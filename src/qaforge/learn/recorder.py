"""The `GenerationRecorder` BaseAgent calls after every task (found by `agents.catalog`)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from qaforge.config import Settings
from qaforge.contracts.generation import GenerationRecord as TaskRecord
from qaforge.contracts.generation import GenerationRecorder
from qaforge.learn.monitor import bump_daily
from qaforge.learn.store import ensure_tables
from qaforge.learn.tracking import GenerationRecord, record_generation
from qaforge.learn.variants import EVOLUTION
from qaforge.store.database import Database

log = logging.getLogger("qaforge.learn")


def generation_of(rec: TaskRecord) -> GenerationRecord | None:
    """The test generation a finished task made (evolve tasks that succeeded), else None."""
    if rec.task_type != "evolve" or not rec.ok:
        return None
    req: dict[str, Any] = rec.request
    params = req.get("strategy_params") or {}
    suite_path = rec.result.get("suite_path")
    return GenerationRecord(
        run_id=rec.run_id,
        agent=EVOLUTION,
        app=str(req.get("app") or ""),
        strategy=str(params.get("name") or req.get("strategy") or "balanced"),
        variant_id=req.get("variant_id"),
        experiment_id=req.get("experiment_id"),
        duration_s=rec.duration_s,
        tokens=rec.tokens,
        suite_dir=str(Path(suite_path).parent) if suite_path else None,
        parameters=params or None,
        patterns_applied=list(req.get("patterns_applied") or []),
    )


class DatabaseRecorder:
    """Writes each test generation to `test_generations` in the configured database."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._db: Database | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _database(self) -> Database:
        # One pool per event loop: recorders outlive loops in workers and tests, engines do
        # not; and a pool per call opened a connection per concurrent task (100 runs at once
        # ran PostgreSQL out of connections).
        loop = asyncio.get_running_loop()
        if self._db is None or self._loop is not loop:
            if self._db is not None:
                # The old loop's connections cannot be closed from this one: drop the pool
                # without touching them (SQLAlchemy's way for a pool that changed owner).
                self._db.engine.sync_engine.dispose(close=False)
            self._db, self._loop = Database(self.database_url), loop
        return self._db

    async def record(self, record: TaskRecord) -> None:
        """Record `record` if it is a generation; never raises (the agent's task is done)."""
        gen = generation_of(record)
        if gen is None and record.task_type == "evolve":
            return  # a failed generation: nothing was written
        try:
            db = self._database()
            if gen is not None:
                await record_generation(db, gen)
            else:
                await ensure_tables(db)
                async with db.session() as s:
                    await bump_daily(
                        s,
                        record.agent_type,
                        record.started_at.date(),
                        record.duration_s,
                        record.tokens,
                        record.ok,
                    )
        except Exception:
            log.exception("could not record the generation of run %s", record.run_id)


def make_recorder(settings: Settings) -> GenerationRecorder:
    """The recorder for `settings` (called by `qaforge.agents.catalog.default_recorder`)."""
    return DatabaseRecorder(str(settings.database_url))
