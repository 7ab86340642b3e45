"""The library of strategy variants per agent type, seeded from the built-in strategies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qaforge.store.learning_tables import StrategyVariant, TestGeneration

EVOLUTION = "evolution"
OBSERVATION = "observation"
PROMPT = "llm-prompt"

# Crawl policies the Observation agent can compete on (CrawlLimits fields they set).
CRAWL_POLICIES: dict[str, tuple[str, dict[str, Any]]] = {
    "breadth": (
        "shallow and wide: many templates, few instances",
        {"max_depth": 4, "instances_per_template": 2, "max_states": 60},
    ),
    "deep": (
        "follows flows further: deeper paths, more instances",
        {"max_depth": 8, "instances_per_template": 3, "max_states": 60},
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
    """Insert the built-in variants that are missing; returns how many were added."""
    existing = {(v.agent, v.name) for v in (await session.scalars(select(StrategyVariant))).all()}
    default = default_strategy_name()
    added = 0
    groups = [
        (EVOLUTION, _builtin_strategies(), True),
        (OBSERVATION, CRAWL_POLICIES, True),
        (PROMPT, PROMPT_TEMPLATES, False),  # inactive until an LLM generates code
    ]
    for agent, entries, active in groups:
        for name, (description, params) in entries.items():
            if (agent, name) in existing:
                continue
            session.add(
                StrategyVariant(
                    agent=agent,
                    name=name,
                    parameters=params,
                    description=description,
                    source="builtin",
                    active=active,
                    is_default=agent == EVOLUTION and name == default,
                )
            )
            added += 1
    if added:
        await session.flush()
    return added


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


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 6) if xs else None


async def refresh_variant_figures(session: AsyncSession, variant: StrategyVariant) -> None:
    """Recompute the running averages from the variant's generations with outcomes."""
    gens = (
        await session.scalars(
            select(TestGeneration).where(
                TestGeneration.variant_id == variant.id, TestGeneration.reward.is_not(None)
            )
        )
    ).all()
    variant.outcome_count = len(gens)
    variant.avg_pass_rate = _mean([g.pass_rate for g in gens if g.pass_rate is not None])
    variant.avg_flake_rate = _mean([g.flake_rate for g in gens if g.flake_rate is not None])
    variant.avg_heal_rate = _mean([g.heal_rate for g in gens if g.heal_rate is not None])
    variant.avg_reward = _mean([g.reward for g in gens if g.reward is not None])
    ratings = [float(g.details["rating"]) for g in gens if g.details.get("rating") is not None]
    variant.avg_rating = _mean(ratings)
    variant.rating_count = sum(int(g.details.get("rating_count", 0)) for g in gens)
