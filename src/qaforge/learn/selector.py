"""Choose a strategy variant per app (and scenario kind): Thompson sampling or epsilon-greedy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qaforge.config import Settings
from qaforge.learn.config import LearningConfig
from qaforge.learn.store import ensure_tables
from qaforge.learn.variants import EVOLUTION, default_strategy_name, seed_variants
from qaforge.store.database import Database
from qaforge.store.learning_tables import StrategyVariant, TestGeneration


@dataclass
class Arm:
    """A variant with its Beta posterior over reward for one (app, kind) scope."""

    variant_id: int | None
    name: str
    alpha: float
    beta: float
    n: int = 0
    reward_sum: float = 0.0
    champion: bool = False

    @property
    def mean(self) -> float:
        """Posterior mean."""
        return self.alpha / (self.alpha + self.beta)

    def observe(self, r: float, weight: float = 1.0) -> None:
        """Fold one reward in [0, 1] into the posterior (a fractional Bernoulli trial)."""
        r = min(1.0, max(0.0, r))
        self.alpha += r * weight
        self.beta += (1.0 - r) * weight
        self.n += 1
        self.reward_sum += r


def evidence(cfg: LearningConfig, tests: int) -> float:
    """How many Bernoulli trials one generation of `tests` tests counts as."""
    return cfg.evidence_weight * max(1, min(tests, cfg.evidence_cap))


def thompson_pick(arms: list[Arm], rng: np.random.Generator) -> Arm:
    """One draw from each posterior; the best draw wins."""
    draws = [rng.beta(a.alpha, a.beta) for a in arms]
    return arms[int(np.argmax(draws))]


def epsilon_pick(arms: list[Arm], rng: np.random.Generator, epsilon: float) -> Arm:
    """Explore uniformly with probability epsilon, else the best posterior mean (untried first)."""
    if rng.random() < epsilon:
        return arms[int(rng.integers(len(arms)))]
    untried = [a for a in arms if a.n == 0]
    if untried:
        return untried[0]
    return max(arms, key=lambda a: (a.mean, a.champion))


def pick(arms: list[Arm], rng: np.random.Generator, cfg: LearningConfig) -> Arm:
    """The configured method's choice."""
    if not arms:
        raise ValueError("no active variant to choose from")
    if cfg.method == "epsilon":
        return epsilon_pick(arms, rng, cfg.epsilon)
    return thompson_pick(arms, rng)


async def arm_stats(
    s: AsyncSession,
    agent: str,
    app: str | None,
    cfg: LearningConfig,
    kind: str | None = None,
) -> list[Arm]:
    """Posteriors of the agent's active variants from their generations' rewards on `app`.

    With `kind`, only that scenario kind's reward counts (generations that wrote tests of it).
    """
    variants = (
        await s.scalars(
            select(StrategyVariant)
            .where(StrategyVariant.agent == agent, StrategyVariant.active.is_(True))
            .order_by(StrategyVariant.id)
        )
    ).all()
    arms = {
        v.id: Arm(v.id, v.name, cfg.prior_alpha, cfg.prior_beta, champion=v.is_default)
        for v in variants
    }
    g = TestGeneration
    filters = [g.agent == agent, g.reward.is_not(None), g.variant_id.in_(list(arms))]
    if app is not None:
        filters.append(g.app == app)
    if kind is None:
        # Only the columns the posterior needs: this runs before every generation.
        rows = await s.execute(
            select(g.variant_id, g.reward, g.tests_generated).where(*filters).order_by(g.id)
        )
        for vid, r, tests in rows.all():
            if vid in arms and r is not None:
                arms[vid].observe(float(r), evidence(cfg, int(tests)))
        return list(arms.values())
    for gen in (await s.scalars(select(g).where(*filters).order_by(g.id))).all():
        arm = arms.get(gen.variant_id) if gen.variant_id is not None else None
        per_kind = (gen.details.get("by_kind") or {}).get(kind)
        if arm is not None and per_kind is not None:
            arm.observe(float(per_kind["reward"]), evidence(cfg, int(per_kind.get("tests", 1))))
    return list(arms.values())


async def transfer_prior(
    s: AsyncSession, agent: str, arms: list[Arm], cfg: LearningConfig, kind: str | None
) -> bool:
    """Start a new app's arms from every app's evidence, scaled by `transfer_weight`.

    Returns whether there was any evidence to transfer.
    """
    overall = {a.variant_id: a for a in await arm_stats(s, agent, None, cfg, kind)}
    if not any(a.n for a in overall.values()):
        return False
    w = cfg.transfer_weight
    for arm in arms:
        other = overall.get(arm.variant_id)
        if other is not None and other.n:
            arm.alpha += (other.alpha - cfg.prior_alpha) * w
            arm.beta += (other.beta - cfg.prior_beta) * w
    return True


@dataclass
class StrategyChoice:
    """What the driver passes on to the Evolution agent."""

    name: str
    variant_id: int | None
    parameters: dict[str, Any] = field(default_factory=dict)
    method: str = "default"  # default / thompson / epsilon / experiment
    experiment_id: int | None = None
    patterns_applied: list[str] = field(default_factory=list)


async def choose(
    db: Database,
    app: str,
    settings: Settings,
    rng: np.random.Generator,
    kind: str | None = None,
    agent: str = EVOLUTION,
    config: LearningConfig | None = None,
) -> StrategyChoice:
    """Pick a variant: the default when learning is off, an experiment's arm, else the bandit."""
    if not settings.learning_enabled:
        return StrategyChoice(name=default_strategy_name(), variant_id=None)
    cfg = config or LearningConfig.from_settings(settings)
    await ensure_tables(db)
    from qaforge.learn.experiments import assign_arm, running_experiment
    from qaforge.learn.patterns import apply_patterns

    async with db.session() as s:
        await seed_variants(s)
        chosen: StrategyVariant | None = None
        method: str = cfg.method
        exp_id: int | None = None
        exp = await running_experiment(s, agent, app)
        if exp is not None:
            arm_name = assign_arm(exp, rng)
            if arm_name is not None:
                chosen = await s.scalar(
                    select(StrategyVariant).where(
                        StrategyVariant.agent == agent, StrategyVariant.name == arm_name
                    )
                )
                if chosen is not None:
                    method, exp_id = "experiment", exp.id
        if chosen is None:
            arms = await arm_stats(s, agent, app, cfg, kind)
            if not arms:
                return StrategyChoice(name=default_strategy_name(), variant_id=None)
            fresh = cfg.transfer_weight > 0 and all(a.n == 0 for a in arms)
            if fresh and await transfer_prior(s, agent, arms, cfg, kind):
                method = f"{method}+transfer"
            best = pick(arms, rng, cfg)
            chosen = await s.get(StrategyVariant, best.variant_id)
            assert chosen is not None
        params = dict(chosen.parameters)
        applied: list[str] = []
        # Patterns change a variant's behaviour: never inside an experiment's arms.
        if agent == EVOLUTION and method != "experiment":
            params, applied = await apply_patterns(s, app, params)
        return StrategyChoice(
            name=chosen.name,
            variant_id=chosen.id,
            parameters=params,
            method=method,
            experiment_id=exp_id,
            patterns_applied=applied,
        )


async def choose_strategy(
    db: Database, app: str, settings: Settings, rng: np.random.Generator
) -> tuple[str, int | None]:
    """The strategy name (and variant id) the run driver should generate with."""
    choice = await choose(db, app, settings, rng)
    return choice.name, choice.variant_id
