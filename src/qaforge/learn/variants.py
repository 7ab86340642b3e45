"""The library of strategy variants per agent type, seeded from the built-in strategies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from qaforge.store.learning_tables import StrategyVariant, TestGeneration, UserFeedback

EVOLUTION = "evolution"
OBSERVATION = "observation"
PROMPT = "llm-prompt"

# Crawl policies the Observation agent can compete on (CrawlLimits fields they set).
CRAWL_POLICIES: dict[str, tuple[str, dict[str, Any]]] = {
    "breadth": (
        "shallow and wide: many templates, few instances",
        {"max_depth": 4, "instances_per_template": 2},
    ),
    "deep": (
        "follows flows further: deeper paths, more instances",
        {"max_depth": 8, "instances_per_template": 3},
    ),
}
# Placeholder until an LLM generates code: the template text is the only parameter.
PROMPT_TEMPLATES: dict[str, tuple[str, dict[str, Any]]] = {
    "plain-v1": (
        "placeholder prompt template (no LLM yet)",
        {"template": "Write a pytest-playwright test for: {scenario}"},
    ),
}


def _builtin_strategies() -> dict[str, tuple[str, dict[str, Any]]]:
    try:
        from qaforge.generate.strategy import STRATEGIES
    except ImportError:  # the generator is optional for the learning loop
        return {}
    return {name: (s.description, s.model_dump(mode="json")) for name, s in STRATEGIES.items()}


def default_strategy_name() -> str:
    """The shipped default strategy (used when learning is off)."""
    try:
        from qaforge.generate.strategy import DEFAULT_STRATEGY
    except ImportError:
        return "balanced"
    return DEFAULT_STRATEGY


async def seed_variants(session: AsyncSession) -> int:
    """Insert the built-in variants that are missing; returns how many were added.

    Runs started together seed at the same moment: the insert skips rows another session
    added meanwhile (ON CONFLICT DO NOTHING) instead of failing on the unique key.
    """
    existing = {(v.agent, v.name) for v in (await session.scalars(select(StrategyVariant))).all()}
    default = default_strategy_name()
    groups = [
        (EVOLUTION, _builtin_strategies(), True),
        # Inactive: nothing chooses a crawl policy yet (the crawl follows its budget), and an
        # active variant nobody can be given would only skew the variant listings.
        (OBSERVATION, CRAWL_POLICIES, False),
        (PROMPT, PROMPT_TEMPLATES, False),  # inactive until an LLM generates code
    ]
    rows: list[dict[str, Any]] = [
        {
            "agent": agent,
            "name": name,
            "parameters": params,
            "description": description,
            "source": "builtin",
            "active": active,
            "is_default": agent == EVOLUTION and name == default,
        }
        for agent, entries, active in groups
        for name, (description, params) in entries.items()
        if (agent, name) not in existing
    ]
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(StrategyVariant)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["agent", "name"])
        .returning(StrategyVariant.id)
    )
    return len((await session.execute(stmt)).all())


async def register_variant(
    session: AsyncSession,
    agent: str,
    name: str,
    parameters: dict[str, Any],
    description: str = "",
    source: str = "registered",
    active: bool = True,
) -> StrategyVariant:
    """Add a variant (or update the parameters of one with the same agent and name)."""
    v = await get_variant(session, agent, name)
    if v is None:
        v = StrategyVariant(agent=agent, name=name, source=source)
        session.add(v)
    v.parameters = parameters
    v.description = description
    v.active = active
    await session.flush()
    return v


async def get_variant(session: AsyncSession, agent: str, name: str) -> StrategyVariant | None:
    """The variant `name` of `agent`, if known."""
    return await session.scalar(
        select(StrategyVariant).where(StrategyVariant.agent == agent, StrategyVariant.name == name)
    )


async def list_variants(
    session: AsyncSession, agent: str | None = None, active_only: bool = False
) -> list[StrategyVariant]:
    """Variants ordered by agent and name."""
    q = select(StrategyVariant).order_by(StrategyVariant.agent, StrategyVariant.name)
    if agent:
        q = q.where(StrategyVariant.agent == agent)
    if active_only:
        q = q.where(StrategyVariant.active.is_(True))
    return list((await session.scalars(q)).all())


async def refresh_variant_figures(session: AsyncSession, variant: StrategyVariant) -> None:
    """Recompute the running averages from the variant's generations with outcomes."""
    g = TestGeneration
    row = (
        await session.execute(
            select(
                func.count(g.id),
                func.avg(g.pass_rate),
                func.avg(g.flake_rate),
                func.avg(g.heal_rate),
                func.avg(g.reward),
            ).where(g.variant_id == variant.id, g.reward.is_not(None))
        )
    ).one()
    variant.outcome_count = int(row[0])
    variant.avg_pass_rate, variant.avg_flake_rate, variant.avg_heal_rate, variant.avg_reward = (
        None if x is None else round(float(x), 6) for x in row[1:]
    )
    runs = select(g.run_id).where(g.variant_id == variant.id)
    rating = (
        await session.execute(
            select(func.count(UserFeedback.id), func.avg(UserFeedback.rating)).where(
                UserFeedback.source == "explicit",
                UserFeedback.rating.is_not(None),
                UserFeedback.run_id.in_(runs),
            )
        )
    ).one()
    variant.rating_count = int(rating[0])
    variant.avg_rating = None if rating[1] is None else round(float(rating[1]), 6)
