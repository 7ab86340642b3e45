"""What a run driver calls: choose the strategy before generating, write outcomes back after.

    choice = await strategy_for_run(settings, app, requested=None, seed=None)
    EvolveRequest(..., strategy=choice.name, strategy_params=choice.parameters or None)
        .model_dump() | evolve_extras(choice)        # lets the recorder hook see the variant
    ...
    await finish_run(settings, run_id, summary)       # after summary.json is written

Both open the configured database themselves and never fail a run: learning problems are
logged, and the run goes on with the default strategy.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from qaforge.config import Settings
from qaforge.contracts.summary import RunSummary
from qaforge.learn.config import LearningConfig
from qaforge.learn.selector import StrategyChoice, choose
from qaforge.learn.store import ensure_tables
from qaforge.learn.tracking import GenerationRecord, record_generation, record_outcomes
from qaforge.learn.variants import EVOLUTION, default_strategy_name, get_variant, seed_variants
from qaforge.store.database import Database

log = logging.getLogger("qaforge.learn")

AUTO = "auto"


async def strategy_for_run(
    settings: Settings,
    app: str,
    requested: str | None = None,
    seed: int | None = None,
    db: Database | None = None,
) -> StrategyChoice:
    """The user's `--strategy` when given (not "auto"), else the learning loop's choice.

    `db` is the caller's open database (a driver running many runs shares one pool);
    without it one is opened for the call.
    """
    if requested and requested != AUTO:
        choice = StrategyChoice(name=requested, variant_id=None, method="requested")
    elif not settings.learning_enabled:
        return StrategyChoice(name=default_strategy_name(), variant_id=None)
    else:
        choice = StrategyChoice(name=default_strategy_name(), variant_id=None)
    own = db is None
    try:
        if db is None:
            db = Database(str(settings.database_url))
        if choice.method == "requested":
            await ensure_tables(db)
            async with db.session() as s:
                await seed_variants(s)
                v = await get_variant(s, EVOLUTION, requested or "")
                if v is not None:
                    choice.variant_id = v.id
                    # Variants the generator does not ship (registered ones) travel in full.
                    choice.parameters = dict(v.parameters)
            return choice
        return await choose(db, app, settings, np.random.default_rng(seed))
    except Exception:
        log.exception("learning loop unavailable; generating with %s", choice.name)
        return choice
    finally:
        if own and db is not None:
            await db.dispose()


def evolve_extras(choice: StrategyChoice) -> dict[str, Any]:
    """Keys to add to the evolve task's payload so the generation is attributed correctly."""
    return {
        "variant_id": choice.variant_id,
        "experiment_id": choice.experiment_id,
        "patterns_applied": choice.patterns_applied,
    }


async def record_run_generation(settings: Settings, rec: GenerationRecord) -> int | None:
    """Record a generation directly (drivers whose agents have no recorder hook)."""
    if not settings.learning_enabled:
        return None
    db: Database | None = None
    try:
        db = Database(str(settings.database_url))
        return await record_generation(db, rec)
    except Exception:
        log.exception("could not record the generation of run %s", rec.run_id)
        return None
    finally:
        if db is not None:
            await db.dispose()


async def finish_run(
    settings: Settings, run_id: str, summary: RunSummary, db: Database | None = None
) -> list[int]:
    """Write a finished run's outcomes back (`record_outcomes`); never raises."""
    if not settings.learning_enabled:
        return []
    own = db is None
    try:
        if db is None:
            db = Database(str(settings.database_url))
        # The [learning] table of qaforge.toml weighs the rewards it records.
        return await record_outcomes(db, run_id, summary, LearningConfig.from_settings(settings))
    except Exception:
        log.exception("could not write the outcomes of run %s back", run_id)
        return []
    finally:
        if own and db is not None:
            await db.dispose()
