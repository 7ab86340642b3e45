"""The reward: weighted mean of the signals present, in [0, 1]."""

from __future__ import annotations

import pytest

from qaforge.learn.config import RewardWeights
from qaforge.learn.reward import Figures, rates_from_summary, reward
from qaforge.learn.simulate import synthetic_summary


def test_no_signal_no_reward() -> None:
    assert reward(Figures()) is None


def test_only_present_signals_count() -> None:
    assert reward(Figures(pass_rate=0.8)) == pytest.approx(0.8)
    w = RewardWeights(pass_rate=1.0, stability=1.0)
    assert reward(Figures(pass_rate=1.0, flake_rate=0.5), w) == pytest.approx(0.75)


def test_flaky_tests_cost_reward_even_with_perfect_pass_rate() -> None:
    stable = reward(Figures(pass_rate=1.0, flake_rate=0.0, heal_rate=0.0))
    flaky = reward(Figures(pass_rate=1.0, flake_rate=0.5, heal_rate=0.0))
    assert stable is not None and flaky is not None
    assert flaky < stable


def test_ratings_map_one_to_five_onto_zero_to_one() -> None:
    assert reward(Figures(rating=1)) == 0.0
    assert reward(Figures(rating=5)) == 1.0
    assert reward(Figures(rating=3)) == pytest.approx(0.5)


def test_rates_from_summary_counts_quarantined_flaky_once() -> None:
    r = rates_from_summary(synthetic_summary(10, 6, flaky=2))
    assert r["flake_rate"] == pytest.approx(0.2)
    assert r["pass_rate"] == pytest.approx(6 / 8)
    assert r["kept_denominator"] == 8
