"""The pattern library: what worked in high-reward generations, applied to later ones.

A rule pairs a condition on the app (features of its crawled model) with a choice in the
strategy. Mining counts, over generations on apps where the condition holds, how often the
generations that made that choice earned a high reward; a rule that beats the generations
without the choice becomes a named pattern (per app, and across apps under app "").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qaforge.learn.config import LearningConfig
from qaforge.store.learning_tables import LearnedPattern, TestGeneration

Params = dict[str, Any]


def features_of_model(model: Any) -> dict[str, Any]:
    """App features the rules look at, from an `AppModel`."""
    elements = [e for st in model.states for e in st.elements]
    interactive = [e for e in elements if e.role in {"button", "link", "textbox", "combobox"}]
    with_testid = [e for e in interactive if e.attributes.get("data-testid")]
    password = any(
        f.type == "password" for st in model.states for fm in st.forms for f in fm.fields
    )
    volatile = any(set(st.visible_texts) - set(st.stable_texts) for st in model.states)
    return {
        "testid_share": round(len(with_testid) / len(interactive), 4) if interactive else 0.0,
        "has_testids": len(with_testid) > 0,
        "password_form": password,
        "volatile_text": volatile,
        "client_side": any(t.outcome.value == "dom-changed" for t in model.transitions),
    }


def features_of_suite(suite_dir: Path) -> dict[str, Any]:
    """Features from the model.json saved beside a suite ({} when there is none)."""
    path = suite_dir / "model.json"
    if not path.exists():
        return {}
    try:
        from qaforge.models import AppModel

        return features_of_model(AppModel.load(path))
    except (ValueError, OSError):
        return {}


def _priority(p: Params) -> list[str]:
    return [str(x) for x in p.get("locator_priority", [])]


def _prefer_testid(p: Params) -> Params:
    order = [x for x in _priority(p) if x != "test_id"]
    return {**p, "locator_priority": ["test_id", *order]}


@dataclass(frozen=True)
class Rule:
    """A candidate pattern: when the app has `condition`, strategies with `uses` do well."""

    key: str
    kind: str
    description: str
    condition: Callable[[dict[str, Any]], bool]
    uses: Callable[[Params], bool]
    apply: Callable[[Params], Params]


RULES: tuple[Rule, ...] = (
    Rule(
        key="prefer-test-id",
        kind="locator",
        description="this app's controls carry data-testid attributes: prefer them",
        condition=lambda f: bool(f.get("has_testids")),
        uses=lambda p: "test_id" in _priority(p)[:2],
        apply=_prefer_testid,
    ),
    Rule(
        key="wait-after-password-submit",
        kind="wait",
        description="forms with a password field: wait for navigation after submit",
        condition=lambda f: bool(f.get("password_form")),
        uses=lambda p: p.get("wait_policy") in {"load", "networkidle"},
        apply=lambda p: {**p, "wait_policy": "load"},
    ),
    Rule(
        key="required-fields-only-on-client-side-apps",
        kind="data",
        description="client-side apps: fill only required fields (fewer re-renders mid-fill)",
        condition=lambda f: bool(f.get("client_side")),
        uses=lambda p: p.get("data_style") == "required-only",
        apply=lambda p: {**p, "data_style": "required-only"},
    ),
)
RULES_BY_KEY = {r.key: r for r in RULES}


async def mine_patterns(
    s: AsyncSession, cfg: LearningConfig, app: str | None = None
) -> list[LearnedPattern]:
    """Re-mine the rules over generations with outcomes (for `app` and across apps)."""
    gens = (await s.scalars(select(TestGeneration).where(TestGeneration.reward.is_not(None)))).all()
    scopes = [""] + ([app] if app else sorted({g.app for g in gens}))
    found: list[LearnedPattern] = []
    for scope in scopes:
        pool = [g for g in gens if scope == "" or g.app == scope]
        for rule in RULES:
            rows = [g for g in pool if rule.condition(g.details.get("features") or {})]
            with_ = [g for g in rows if rule.uses(g.details.get("strategy_params") or {})]
            without = [g for g in rows if g not in with_]
            wins = sum(1 for g in with_ if (g.reward or 0.0) >= cfg.pattern_success_reward)
            if len(with_) < cfg.pattern_min_trials:
                continue
            rate = wins / len(with_)
            other = (
                sum(1 for g in without if (g.reward or 0.0) >= cfg.pattern_success_reward)
                / len(without)
                if without
                else None
            )
            if rate < 0.5 or (other is not None and rate <= other):
                continue
            pat = await s.scalar(
                select(LearnedPattern).where(
                    LearnedPattern.key == rule.key, LearnedPattern.app == scope
                )
            )
            if pat is None:
                pat = LearnedPattern(key=rule.key, app=scope, kind=rule.kind, times_applied=0)
                s.add(pat)
            pat.description = rule.description
            pat.successes, pat.trials, pat.success_rate = wins, len(with_), round(rate, 4)
            pat.evidence = {
                "with": {"generations": len(with_), "success_rate": round(rate, 4)},
                "without": {
                    "generations": len(without),
                    "success_rate": None if other is None else round(other, 4),
                },
                "examples": [
                    g.run_id for g in with_ if (g.reward or 0) >= cfg.pattern_success_reward
                ][:5],
            }
            found.append(pat)
    await s.flush()
    return found


async def app_features(s: AsyncSession, app: str) -> dict[str, Any]:
    """The features recorded with the app's latest generation that had any."""
    gens = (
        await s.scalars(
            select(TestGeneration)
            .where(TestGeneration.app == app)
            .order_by(TestGeneration.id.desc())
        )
    ).all()
    for g in gens:
        feats = g.details.get("features")
        if feats:
            return dict(feats)
    return {}


async def apply_patterns(
    s: AsyncSession, app: str, params: Params, features: dict[str, Any] | None = None
) -> tuple[Params, list[str]]:
    """Apply the app's (and cross-app) patterns whose condition holds; count each application."""
    feats = features if features is not None else await app_features(s, app)
    if not feats or not params:
        return params, []
    pats = (
        await s.scalars(
            select(LearnedPattern)
            .where(LearnedPattern.app.in_([app, ""]))
            .order_by(LearnedPattern.app.desc(), LearnedPattern.id)
        )
    ).all()
    applied: list[str] = []
    for pat in pats:
        rule = RULES_BY_KEY.get(pat.key)
        if rule is None or pat.key in applied or not rule.condition(feats):
            continue
        if rule.uses(params):
            continue
        params = rule.apply(params)
        pat.times_applied += 1
        applied.append(pat.key)
    return params, applied


async def list_patterns(s: AsyncSession) -> list[LearnedPattern]:
    """All patterns, best first."""
    q = select(LearnedPattern).order_by(
        LearnedPattern.success_rate.desc(), LearnedPattern.trials.desc()
    )
    return list((await s.scalars(q)).all())
