"""Tables of the learning loop (architecture.md §6), on the shared `Base` so Alembic sees them.

No foreign keys to the orchestration tables (runs, tasks): a generation is recorded by run id
so the learning loop works even where a run row lives in another database or was pruned.
Nothing personal is stored beyond the optional, caller-chosen `user_id` of a feedback row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from qaforge.store.base import Base, utcnow

_TS = DateTime(timezone=True)


class TestGeneration(Base):
    """One generation by one agent in one run, and (later) the outcomes of what it produced."""

    __tablename__ = "test_generations"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    agent: Mapped[str] = mapped_column(String(64), default="evolution")
    app: Mapped[str] = mapped_column(String(300), index=True)
    strategy: Mapped[str] = mapped_column(String(120))
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("strategy_variants.id", ondelete="SET NULL"), nullable=True, index=True
    )
    experiment_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiments.id", ondelete="SET NULL"), nullable=True
    )
    scenario_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    tests_generated: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    suite_dir: Mapped[str | None] = mapped_column(Text, nullable=True)
    patterns_applied: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    # Outcomes, written back by `record_outcomes` when execution finishes.
    outcome_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    passed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    failed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    flaky: Mapped[int | None] = mapped_column(Integer, nullable=True)
    healed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quarantined: Mapped[int | None] = mapped_column(Integer, nullable=True)
    app_defects: Mapped[int | None] = mapped_column(Integer, nullable=True)
    coverage: Mapped[float | None] = mapped_column(Float, nullable=True)
    faults_caught: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pass_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    flake_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    heal_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    reward: Mapped[float | None] = mapped_column(Float, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class GeneratedFile(Base):
    """What a generation wrote, so `qaforge sync` can tell kept, edited and deleted apart."""

    __tablename__ = "generated_files"
    __table_args__ = (UniqueConstraint("generation_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    generation_id: Mapped[int] = mapped_column(
        ForeignKey("test_generations.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(500))  # relative to the suite dir
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="generated")  # last sync verdict
    edit_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    synced_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


class UserFeedback(Base):
    """One piece of feedback: explicit ratings, implicit edit signals, CI results, metrics."""

    __tablename__ = "user_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    generation_id: Mapped[int | None] = mapped_column(
        ForeignKey("test_generations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    source: Mapped[str] = mapped_column(String(16))  # explicit / implicit / ci / system
    test_id: Mapped[str | None] = mapped_column(String(500), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    coverage: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    relevance: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # implicit: kept / edited / deleted; ci: passed / failed / skipped; system: metric name
    signal: Mapped[str | None] = mapped_column(String(32), nullable=True)
    edit_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class StrategyVariant(Base):
    """A competing variant of one agent type's strategy, with its running quality figures."""

    __tablename__ = "strategy_variants"
    __table_args__ = (UniqueConstraint("agent", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent: Mapped[str] = mapped_column(String(64))  # evolution / observation / llm-prompt
    name: Mapped[str] = mapped_column(String(120))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="builtin")  # builtin/registered
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    outcome_count: Mapped[int] = mapped_column(Integer, default=0)
    avg_pass_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    avg_flake_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    avg_heal_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    avg_rating: Mapped[float | None] = mapped_column(Float, nullable=True)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    avg_reward: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Quality the monitor compares against (set once enough outcomes exist).
    baseline_reward: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(_TS, default=utcnow, onupdate=utcnow)


class AgentPerformance(Base):
    """Daily aggregate per agent (and per variant; "" aggregates all of the agent's variants)."""

    __tablename__ = "agent_performance"
    __table_args__ = (UniqueConstraint("agent", "day", "variant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    variant: Mapped[str] = mapped_column(String(120), default="")
    generations: Mapped[int] = mapped_column(Integer, default=0)
    tests_generated: Mapped[int] = mapped_column(Integer, default=0)
    with_outcomes: Mapped[int] = mapped_column(Integer, default=0)
    avg_pass_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    avg_flake_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    avg_heal_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    avg_reward: Mapped[float | None] = mapped_column(Float, nullable=True)
    avg_rating: Mapped[float | None] = mapped_column(Float, nullable=True)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(_TS, default=utcnow, onupdate=utcnow)


class LearnedPattern(Base):
    """Something that worked, mined from high-reward generations and applied to later ones."""

    __tablename__ = "learned_patterns"
    __table_args__ = (UniqueConstraint("key", "app"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120))  # machine name, e.g. "prefer-test-id"
    app: Mapped[str] = mapped_column(String(300), default="")  # "" = every app
    kind: Mapped[str] = mapped_column(String(32))  # locator / wait / assertion / data
    description: Mapped[str] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    successes: Mapped[int] = mapped_column(Integer, default=0)
    trials: Mapped[int] = mapped_column(Integer, default=0)
    success_rate: Mapped[float] = mapped_column(Float, default=0.0)
    times_applied: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(_TS, default=utcnow, onupdate=utcnow)


class Experiment(Base):
    """An A/B test between variants; concluded only by a real statistical test."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    agent: Mapped[str] = mapped_column(String(64), default="evolution")
    app: Mapped[str | None] = mapped_column(String(300), nullable=True)  # None = any app
    variants: Mapped[list[str]] = mapped_column(JSON)  # [control, treatment]
    split: Mapped[list[float]] = mapped_column(JSON)  # traffic share per variant
    traffic: Mapped[float] = mapped_column(Float, default=1.0)  # share of runs enrolled
    metric: Mapped[str] = mapped_column(String(32), default="pass_rate")
    min_samples: Mapped[int] = mapped_column(Integer, default=30)
    confidence: Mapped[float] = mapped_column(Float, default=0.95)
    status: Mapped[str] = mapped_column(String(16), default="running")
    winner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    p_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    concluded_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)


class ExperimentResult(Base):
    """One sample of an experiment: a variant's figures from one generation or rating."""

    __tablename__ = "experiment_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    variant: Mapped[str] = mapped_column(String(120))
    generation_id: Mapped[int | None] = mapped_column(
        ForeignKey("test_generations.id", ondelete="SET NULL"), nullable=True
    )
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    successes: Mapped[int] = mapped_column(Integer, default=0)
    trials: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class LearningEvent(Base):
    """Audit trail of the learning loop: alerts, rollbacks, promotions, pattern mining."""

    __tablename__ = "learning_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # alert / rollback / promote
    agent: Mapped[str] = mapped_column(String(64), default="evolution")
    variant: Mapped[str | None] = mapped_column(String(120), nullable=True)
    replacement: Mapped[str | None] = mapped_column(String(120), nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


LEARNING_TABLES = [
    "test_generations",
    "generated_files",
    "user_feedback",
    "strategy_variants",
    "agent_performance",
    "learned_patterns",
    "experiments",
    "experiment_results",
    "learning_events",
]
