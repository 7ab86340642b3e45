"""Knobs of the learning loop, passed in (never read from the environment here)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from qaforge.config import Settings


class RewardWeights(BaseModel):
    """Weight of each signal in the reward; missing signals drop out and the rest renormalise."""

    pass_rate: float = 0.4
    stability: float = 0.3  # 1 - flake rate
    no_heal: float = 0.1  # 1 - heal rate
    rating: float = 0.2
    ci: float = 0.2
    kept: float = 0.25  # implicit: tests kept as generated rather than edited or deleted
    mutation: float = 0.2  # system: mutation score from the fault benchmarks


class LearningConfig(BaseModel):
    """Selection, experiment and monitor settings of the learning loop."""

    method: Literal["thompson", "epsilon"] = "thompson"
    epsilon: float = Field(default=0.1, ge=0.0, le=1.0)
    prior_alpha: float = 1.0
    prior_beta: float = 1.0
    # Evidence per generation in the Beta posterior: a generation's reward r adds
    # r*weight successes and (1-r)*weight failures.
    evidence_weight: float = 1.0
    # ...times the generation's number of tests, capped: tests of one generation are not
    # independent, so a big suite must not swamp the posterior.
    evidence_cap: int = Field(default=10, ge=1)
    weights: RewardWeights = Field(default_factory=RewardWeights)
    # An app with no evidence of its own starts from what the variants did on every other app,
    # scaled down by this weight (0 turns the transfer off).
    transfer_weight: float = Field(default=0.3, ge=0.0, le=1.0)
    experiment_confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    experiment_min_samples: int = Field(default=20, ge=2)
    # Monitor: a variant's recent reward against its baseline.
    degradation_threshold: float = Field(default=0.2, gt=0.0, lt=1.0)
    baseline_min: int = Field(default=8, ge=2)
    recent_window: int = Field(default=6, ge=2)
    # The drop must also be significant (one-sided Mann-Whitney, recent < history): noise
    # in a handful of runs must not switch a good variant off.
    monitor_alpha: float = Field(default=0.01, gt=0.0, lt=0.5)
    # Patterns: a generation with at least this reward counts as a success.
    pattern_success_reward: float = 0.75
    pattern_min_trials: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> LearningConfig:
        """The `[learning]` table of the settings (qaforge.toml), over the defaults."""
        return cls.model_validate(settings.learning)
