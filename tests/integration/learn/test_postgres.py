"""The learning loop on the real PostgreSQL (a fresh schema for this test session)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest

from qaforge.config import Settings
from qaforge.learn.config import LearningConfig
from qaforge.learn.experiments import create_experiment, list_experiments
from qaforge.learn.feedback import add_feedback
from qaforge.learn.monitor import events
from qaforge.learn.selector import choose
from qaforge.learn.store import ensure_tables
from qaforge.learn.variants import get_variant, list_variants, seed_variants
from qaforge.store.database import Database
from tests.unit.learn.helpers import synthetic_run

pytestmark = pytest.mark.services

PG = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A schema of its own on the test database, dropped afterwards."""
    schema = f"learn_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG}?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_record_feedback_experiment_and_selection_on_postgres(pg_url: str) -> None:
    async def scenario() -> None:
        db = Database(pg_url)
        try:
            await ensure_tables(db)
            async with db.session() as s:
                await seed_variants(s)
                await create_experiment(s, "pg", ["balanced", "resilient"], min_samples=10, config=LearningConfig())
            rng = np.random.default_rng(8)
            outcome_rng = np.random.default_rng(88)
            true = {"balanced": 0.55, "resilient": 0.9}
            settings = Settings(disable_learning=False)
            for i in range(40):
                c = await choose(db, "pg-app", settings, rng)
                if c.method != "experiment":
                    break
                await synthetic_run(
                    db, "pg-app", f"pg-{i}", c, int(outcome_rng.binomial(10, true[c.name]))
                )
            await add_feedback(db, "pg-0", 4, quality=5, user_id="u", config=LearningConfig())
            async with db.session() as s:
                (exp,) = await list_experiments(s)
                promoted = await events(s, "promote")
                variants = {v.name: v for v in await list_variants(s, "evolution")}
            assert exp["status"] == "concluded" and exp["winner"] == "resilient"
            assert [e.variant for e in promoted] == ["resilient"]
            assert variants["resilient"].is_default
            assert variants["resilient"].avg_pass_rate is not None
            assert variants["resilient"].avg_pass_rate > variants["balanced"].avg_pass_rate  # type: ignore[operator]
            # After the experiment the bandit prefers the winner too.
            async with db.session() as s:
                for v in await list_variants(s, "evolution"):
                    v.active = v.name in true
                r = await get_variant(s, "evolution", "resilient")
                assert r is not None
            picks = [(await choose(db, "pg-app", settings, rng)).name for _ in range(100)]
            assert picks.count("resilient") > 90
        finally:
            await db.dispose()

    asyncio.run(scenario())


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_runs_seeding_at_the_same_moment_do_not_collide(
    backend: str, tmp_path: pytest.TempPathFactory
) -> None:
    # Ten runs started together each seed the built-in variants on their own connection into
    # an empty store: none may fail on the unique key, and each variant exists once.
    schema = f"seed_{uuid.uuid4().hex[:10]}"
    url = f"{PG}?options=-csearch_path%3D{schema}"
    if backend == "postgresql":
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    else:
        url = f"sqlite:///{tmp_path}/seed.db"

    async def scenario() -> None:
        setup = Database(url)
        await ensure_tables(setup)
        dbs = [Database(url) for _ in range(10)]

        async def seed(d: Database) -> int:
            async with d.session() as s:
                return await seed_variants(s)

        try:
            async with setup.session() as s:
                before = len(await list_variants(s))
            added = await asyncio.gather(*(seed(d) for d in dbs))
            async with setup.session() as s:
                names = [(v.agent, v.name) for v in await list_variants(s)]
            assert len(names) == len(set(names)) and before + sum(added) == len(names) > 0
        finally:
            for d in [setup, *dbs]:
                await d.dispose()

    try:
        asyncio.run(scenario())
    finally:
        if backend == "postgresql":
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
