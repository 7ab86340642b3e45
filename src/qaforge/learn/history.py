"""Past outcomes per URL template, for the Analysis agent's risk scores (`HistoryProvider`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from qaforge.learn.store import ensure_tables
from qaforge.store.database import Database
from qaforge.store.learning_tables import TestGeneration

log = logging.getLogger("qaforge.learn")


@dataclass
class StoredHistory:
    """Failure and defect rates per (app, template), read once from the learning tables."""

    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    def template_rates(self, app: str, template: str) -> tuple[float, float] | None:
        """(failure rate, defect rate) of earlier tests of `template` on `app`, if any."""
        c = self.counts.get((app, template))
        if not c or not c["tests"]:
            return None
        return (c["failed"] / c["tests"], c["defects"] / c["tests"])


async def load_history(database_url: str, app: str) -> StoredHistory:
    """Every finished generation of `app` summed per template; empty when anything fails."""
    history = StoredHistory()
    db = Database(database_url)
    try:
        await ensure_tables(db)
        async with db.session() as s:
            rows = await s.scalars(
                select(TestGeneration).where(
                    TestGeneration.app == app, TestGeneration.outcome_at.is_not(None)
                )
            )
            for gen in rows.all():
                for template, c in (gen.details.get("by_template") or {}).items():
                    total = history.counts.setdefault(
                        (app, template), {"tests": 0, "failed": 0, "defects": 0}
                    )
                    for key in total:
                        total[key] += int(c.get(key, 0))
    except Exception:
        log.exception("could not read the history of %s; ranking without it", app)
    finally:
        await db.dispose()
    return history
