"""Daily aggregates per agent, and a watch on each variant's quality with automatic rollback."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from scipy import stats
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qaforge.learn.config import LearningConfig
from qaforge.store.learning_tables import (
    AgentPerformance,
    LearningEvent,
    StrategyVariant,
    TestGeneration,
    UserFeedback,
)

log = logging.getLogger("qaforge.learn.monitor")


def record_event(
    s: AsyncSession,
    kind: str,
    agent: str,
    variant: str | None,
    message: str,
    replacement: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """An entry in the learning loop's events and in the shared audit log."""
    from qaforge.store.tables import AuditRow

    s.add(
        LearningEvent(
            kind=kind,
            agent=agent,
            variant=variant,
            replacement=replacement,
            message=message,
            details=details or {},
        )
    )
    s.add(
        AuditRow(
            entity="strategy_variant",
            entity_id=f"{agent}/{variant or ''}",
            action=kind,
            actor="learning",
            detail={"message": message, "replacement": replacement, **(details or {})},
        )
    )


async def update_daily(
    s: AsyncSession, agent: str, day: date, variants: list[str] | None = None
) -> None:
    """Recompute `agent_performance` rows of `agent` for `day`: all variants together ("")
    and each of `variants` (default: every variant seen that day)."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    g = TestGeneration
    in_day = [g.agent == agent, g.created_at >= start, g.created_at < start + timedelta(days=1)]
    done = g.reward.is_not(None)
    cols = (
        func.count(g.id),
        func.coalesce(func.sum(g.tests_generated), 0),
        func.count(g.reward),
        func.avg(case((done, g.pass_rate))),
        func.avg(case((done, g.flake_rate))),
        func.avg(case((done, g.heal_rate))),
        func.avg(g.reward),
        func.coalesce(func.sum(g.tokens), 0),
        func.coalesce(func.sum(g.duration_s), 0.0),
    )
    rows: list[tuple[str, Any]] = [("", (await s.execute(select(*cols).where(*in_day))).one())]
    q = select(g.strategy, *cols).where(*in_day)
    if variants is not None:
        q = q.where(g.strategy.in_(variants))
    per = await s.execute(q.group_by(g.strategy))
    rows += [(r[0], r[1:]) for r in per.all()]
    for variant, r in rows:
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
        perf.generations, perf.tests_generated, perf.with_outcomes = int(r[0]), int(r[1]), int(r[2])
        perf.avg_pass_rate, perf.avg_flake_rate, perf.avg_heal_rate, perf.avg_reward = (
            None if x is None else round(float(x), 6) for x in r[3:7]
        )
        perf.tokens, perf.duration_s = int(r[7]), round(float(r[8]), 3)
        runs = select(g.run_id).where(*in_day)
        if variant:
            runs = runs.where(g.strategy == variant)
        rating = await s.scalar(
            select(func.avg(UserFeedback.rating)).where(
                UserFeedback.source == "explicit", UserFeedback.run_id.in_(runs)
            )
        )
        perf.avg_rating = None if rating is None else round(float(rating), 6)
    await s.flush()


async def bump_daily(
    s: AsyncSession, agent: str, day: date, duration_s: float, tokens: int, ok: bool
) -> None:
    """Count one finished task of an agent that makes no test generation (crawl, run, report)."""
    perf = await s.scalar(
        select(AgentPerformance).where(
            AgentPerformance.agent == agent,
            AgentPerformance.day == day,
            AgentPerformance.variant == "",
        )
    )
    if perf is None:
        perf = AgentPerformance(
            agent=agent,
            day=day,
            variant="",
            generations=0,
            tests_generated=0,
            with_outcomes=0,
            tokens=0,
            duration_s=0.0,
        )
        s.add(perf)
    perf.generations += 1  # tasks, for agents that generate no tests
    perf.with_outcomes += 1 if ok else 0
    perf.tokens += tokens
    perf.duration_s = round(perf.duration_s + duration_s, 3)
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
    record_event(
        s,
        "alert",
        variant.agent,
        variant.name,
        message,
        details={"baseline": baseline, "recent": recent, "drop": drop, "p_value": p_value},
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
    record_event(
        s,
        "rollback",
        variant.agent,
        variant.name,
        f"rolled back {variant.name!r} to {name!r}",
        replacement=name,
        details={"baseline": baseline, "recent": recent},
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
