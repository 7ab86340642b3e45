"""Daily aggregates per agent, and a watch on each variant's quality with automatic rollback."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from scipy import stats
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qaforge.learn.config import LearningConfig
from qaforge.store.learning_tables import (
    AgentPerformance,
    LearningEvent,
    StrategyVariant,
    TestGeneration,
)

log = logging.getLogger("qaforge.learn.monitor")


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 6) if xs else None


async def update_daily(s: AsyncSession, agent: str, day: date) -> None:
    """Recompute `agent_performance` rows of `agent` for `day` (all variants and each one)."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    gens = (
        await s.scalars(
            select(TestGeneration).where(
                TestGeneration.agent == agent,
                TestGeneration.created_at >= start,
                TestGeneration.created_at < start + timedelta(days=1),
            )
        )
    ).all()
    groups: dict[str, list[TestGeneration]] = defaultdict(list)
    for g in gens:
        groups[""].append(g)
        groups[g.strategy].append(g)
    for variant, rows in groups.items():
        perf = await s.scalar(
            select(AgentPerformance).where(
                AgentPerformance.agent == agent,
                AgentPerformance.day == day,
                AgentPerformance.variant == variant,
            )
        )
        if perf is None:
            perf = AgentPerformance(agent=agent, day=day, variant=variant)
            s.add(perf)
        done = [g for g in rows if g.reward is not None]
        perf.generations = len(rows)
        perf.tests_generated = sum(g.tests_generated for g in rows)
        perf.with_outcomes = len(done)
        perf.avg_pass_rate = _mean([g.pass_rate for g in done if g.pass_rate is not None])
        perf.avg_flake_rate = _mean([g.flake_rate for g in done if g.flake_rate is not None])
        perf.avg_heal_rate = _mean([g.heal_rate for g in done if g.heal_rate is not None])
        perf.avg_reward = _mean([g.reward for g in done if g.reward is not None])
        perf.avg_rating = _mean(
            [float(g.details["rating"]) for g in done if g.details.get("rating") is not None]
        )
        perf.tokens = sum(g.tokens for g in rows)
        perf.duration_s = round(sum(g.duration_s for g in rows), 3)
    await s.flush()


@dataclass
class Rollback:
    """A variant switched off because its quality dropped, and what replaces it."""

    agent: str
    variant: str
    replacement: str | None
    baseline: float
    recent: float


async def check_variant(
    s: AsyncSession, variant: StrategyVariant, cfg: LearningConfig
) -> Rollback | None:
    """Alert and roll back when the recent reward is more than the threshold below baseline."""
    if not variant.active:
        return None
    rewards = [
        r
        for r in (
            await s.scalars(
                select(TestGeneration.reward)
                .where(TestGeneration.variant_id == variant.id, TestGeneration.reward.is_not(None))
                .order_by(TestGeneration.outcome_at, TestGeneration.id)
            )
        ).all()
        if r is not None
    ]
    if len(rewards) < cfg.baseline_min + cfg.recent_window:
        return None
    history, recent_rows = rewards[: -cfg.recent_window], rewards[-cfg.recent_window :]
    baseline = sum(history) / len(history)
    recent = sum(recent_rows) / len(recent_rows)
    variant.baseline_reward = round(baseline, 6)
    if baseline <= 0 or recent >= baseline * (1.0 - cfg.degradation_threshold):
        return None
    p_value = float(stats.mannwhitneyu(recent_rows, history, alternative="less").pvalue)
    if p_value >= cfg.monitor_alpha:
        return None
    drop = 1.0 - recent / baseline
    message = (
        f"{variant.agent} variant {variant.name!r}: reward fell {drop:.0%} "
        f"(recent {recent:.3f} vs baseline {baseline:.3f})"
    )
    log.warning("quality alert: %s", message)
    s.add(
        LearningEvent(
            kind="alert",
            agent=variant.agent,
            variant=variant.name,
            message=message,
            details={"baseline": baseline, "recent": recent, "drop": drop, "p_value": p_value},
        )
    )
    return await rollback(s, variant, baseline, recent)


async def rollback(
    s: AsyncSession, variant: StrategyVariant, baseline: float, recent: float
) -> Rollback:
    """Deactivate `variant`; the best other active variant (by reward) takes over as champion."""
    others = (
        await s.scalars(
            select(StrategyVariant).where(
                StrategyVariant.agent == variant.agent,
                StrategyVariant.active.is_(True),
                StrategyVariant.id != variant.id,
            )
        )
    ).all()
    ranked = sorted(
        others,
        key=lambda v: (v.avg_reward is not None, v.avg_reward or 0.0, v.is_default),
        reverse=True,
    )
    replacement = ranked[0] if ranked else None
    was_champion = variant.is_default
    variant.active = False
    variant.is_default = False
    if replacement is not None and (was_champion or not any(v.is_default for v in others)):
        replacement.is_default = True
    name = replacement.name if replacement else None
    log.warning("rollback: %s → %s", variant.name, name)
    s.add(
        LearningEvent(
            kind="rollback",
            agent=variant.agent,
            variant=variant.name,
            replacement=name,
            message=f"rolled back {variant.name!r} to {name!r}",
            details={"baseline": baseline, "recent": recent},
        )
    )
    await s.flush()
    return Rollback(variant.agent, variant.name, name, baseline, recent)


async def check_all(
    s: AsyncSession, cfg: LearningConfig, agent: str | None = None
) -> list[Rollback]:
    """Check every active variant (of `agent`, or all)."""
    q = select(StrategyVariant).where(StrategyVariant.active.is_(True))
    if agent:
        q = q.where(StrategyVariant.agent == agent)
    out: list[Rollback] = []
    for v in (await s.scalars(q)).all():
        rb = await check_variant(s, v, cfg)
        if rb is not None:
            out.append(rb)
    return out


async def events(s: AsyncSession, kind: str | None = None) -> list[LearningEvent]:
    """The learning loop's audit trail, oldest first."""
    q = select(LearningEvent).order_by(LearningEvent.id)
    if kind:
        q = q.where(LearningEvent.kind == kind)
    return list((await s.scalars(q)).all())
