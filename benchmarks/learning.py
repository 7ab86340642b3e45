"""Learning-loop benchmark: how fast the selector finds the best variant, and how reliable
the A/B experiments are, on synthetic outcomes with known true pass rates.

    .venv/bin/python benchmarks/learning.py [--seeds 50] [--rounds 300] [--json]

Figures: share of rounds choosing the best of three variants (true pass rates 0.55 / 0.70 /
0.90, 10 tests per generation) after 50/100/200/300 rounds, for Thompson sampling and the
epsilon-greedy fallback, against uniform random choice; and for fixed-horizon experiments
(20 generations per arm) the power to find a real difference and the false-positive rate
between equal variants.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from qaforge.learn.config import LearningConfig
from qaforge.learn.simulate import ab_trial, simulate_bandit

RATES = [0.55, 0.70, 0.90]
CHECKPOINTS = (50, 100, 200, 300)


def bandit_figures(method: str, seeds: int, rounds: int) -> dict[str, Any]:
    """Mean share of the best variant up to each checkpoint, and over the last 100 rounds."""
    cfg = LearningConfig(method=method)  # type: ignore[arg-type]
    cum = {c: [] for c in CHECKPOINTS if c <= rounds}  # type: dict[int, list[float]]
    last100: list[float] = []
    first_over_80: list[int] = []
    for seed in range(seeds):
        run = simulate_bandit(RATES, rounds, np.random.default_rng(seed), cfg)
        best = [c == 2 for c in run.choices]
        for c in cum:
            cum[c].append(sum(best[:c]) / c)
        last100.append(run.share(2, last=100))
        running = np.cumsum(best) / np.arange(1, rounds + 1)
        # The round from which the running share stays above 80% for good.
        below = np.nonzero(running <= 0.8)[0]
        first_over_80.append(int(below[-1]) + 2 if len(below) else 1)
    return {
        "method": method,
        "share_of_best_by_round": {str(c): round(float(np.mean(v)), 3) for c, v in cum.items()},
        "min_share_at_end": round(float(min(cum[max(cum)])), 3),
        "share_last_100": round(float(np.mean(last100)), 3),
        "median_round_share_stays_over_80pct": int(np.median(first_over_80)),
    }


def experiment_figures(trials: int) -> dict[str, Any]:
    """Power (0.70 vs 0.85) and false-positive rate (equal rates) of the A/B test."""
    power = [ab_trial(0.70, 0.85, 20, np.random.default_rng(s)) for s in range(trials)]
    wrong = sum(1 for v in power if v == "a")
    fpr = {
        str(rate): round(
            sum(
                ab_trial(rate, rate, 20, np.random.default_rng(10_000 + s)) is not None
                for s in range(trials)
            )
            / trials,
            4,
        )
        for rate in (0.6, 0.75, 0.9)
    }
    return {
        "samples_per_arm": 20,
        "confidence": 0.95,
        "power_0.70_vs_0.85": round(power.count("b") / trials, 4),
        "wrong_winner": wrong,
        "false_positive_rate": fpr,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    t0 = time.monotonic()
    out = {
        "true_pass_rates": RATES,
        "seeds": args.seeds,
        "bandit": [bandit_figures(m, args.seeds, args.rounds) for m in ("thompson", "epsilon")],
        "random_share_of_best": round(1 / len(RATES), 3),
        "experiments": experiment_figures(args.trials),
    }
    out["seconds"] = round(time.monotonic() - t0, 1)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"true pass rates {RATES}, {args.seeds} seeds, {args.rounds} rounds")
    for b in out["bandit"]:
        by = ", ".join(f"{k}: {v:.0%}" for k, v in b["share_of_best_by_round"].items())
        print(
            f"  {b['method']:9s} share of best by round {by}; last 100 rounds "
            f"{b['share_last_100']:.0%}; worst seed {b['min_share_at_end']:.0%}; "
            f"running share stays > 80% from round "
            f"{b['median_round_share_stays_over_80pct']} (median)"
        )
    print(f"  random    share of best {out['random_share_of_best']:.0%}")
    e = out["experiments"]
    print(
        f"experiments ({e['samples_per_arm']} generations/arm, confidence {e['confidence']}): "
        f"power {e['power_0.70_vs_0.85']:.1%}, wrong winners {e['wrong_winner']}, "
        f"false positives {e['false_positive_rate']}"
    )
    print(f"({out['seconds']} s)")


if __name__ == "__main__":
    main()
