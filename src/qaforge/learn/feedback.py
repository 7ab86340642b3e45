"""Explicit feedback (ratings) and system metrics, stored without personal data."""

from __future__ import annotations

import re

from sqlalchemy import select

from qaforge.learn.config import LearningConfig
from qaforge.learn.store import ensure_tables
from qaforge.learn.tracking import refresh_run
from qaforge.store.database import Database
from qaforge.store.learning_tables import TestGeneration, UserFeedback


class FeedbackError(ValueError):
    """Feedback that cannot be recorded (unknown run or test, rating out of range)."""


# Comments are free text: strip what would identify a person before storing them.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ()-]{7,}\d")


def scrub(text: str) -> str:
    """Replace e-mail addresses and phone numbers in a comment."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


async def run_generations(db: Database, run_id: str) -> list[TestGeneration]:
    """The generations recorded for `run_id` (FeedbackError when there is none)."""
    await ensure_tables(db)
    async with db.session() as s:
        gens = list(
            (await s.scalars(select(TestGeneration).where(TestGeneration.run_id == run_id))).all()
        )
    if not gens:
        raise FeedbackError(f"no generation recorded for run {run_id!r}")
    return gens


def _check_rating(name: str, value: int | None) -> None:
    if value is not None and not 1 <= value <= 5:
        raise FeedbackError(f"{name} must be 1 to 5, not {value}")


async def add_feedback(
    db: Database,
    run_id: str,
    rating: int,
    *,
    coverage: int | None = None,
    quality: int | None = None,
    relevance: int | None = None,
    comment: str | None = None,
    test_id: str | None = None,
    user_id: str | None = None,
    config: LearningConfig,
) -> int:
    """Store a rating of a run (or one of its tests) and fold it into the rewards; returns id."""
    for name, value in (
        ("rating", rating),
        ("coverage", coverage),
        ("quality", quality),
        ("relevance", relevance),
    ):
        _check_rating(name, value)
    gens = await run_generations(db, run_id)
    gen = gens[-1]
    if test_id is not None:
        known = {t["test_id"] for g in gens for t in g.details.get("tests", [])}
        if known and test_id not in known:
            raise FeedbackError(f"run {run_id!r} has no test {test_id!r}")
    async with db.session() as s:
        row = UserFeedback(
            run_id=run_id,
            generation_id=gen.id,
            source="explicit",
            test_id=test_id,
            user_id=user_id,
            rating=rating,
            coverage=coverage,
            quality=quality,
            relevance=relevance,
            comment=scrub(comment) if comment else None,
        )
        s.add(row)
        await s.flush()
        fid = row.id
    await refresh_run(db, run_id, config)
    return fid


async def record_system_metric(
    db: Database, run_id: str, name: str, value: float, config: LearningConfig
) -> int:
    """Store a system metric of a run (e.g. `mutation_score` from the fault benchmarks)."""
    gens = await run_generations(db, run_id)
    async with db.session() as s:
        row = UserFeedback(
            run_id=run_id, generation_id=gens[-1].id, source="system", signal=name, value=value
        )
        s.add(row)
        await s.flush()
        fid = row.id
    await refresh_run(db, run_id, config)
    return fid
