"""On the real demo app: a strategy that writes flaky tests for /deals loses to one that does not.

The flaky strategy is a test fixture (DESIGN.md §7), registered into the variant library here:
it asserts every visible text, including the deal of the day that alternates on every other
request. Each run is the whole pipeline (crawl, generate, run twice, report) scoped to /deals
to keep browser time small; the learning calls are the ones `qaforge run` makes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits, ObserveRequest
from qaforge.demoapp.launcher import DemoApp
from qaforge.generate.strategy import Strategy
from qaforge.learn.driver import strategy_for_run
from qaforge.learn.store import ensure_tables
from qaforge.learn.variants import list_variants, register_variant, seed_variants
from qaforge.models import Target
from qaforge.orchestrate.orchestrator import run_graph
from qaforge.orchestrate.request import RunRequest
from qaforge.store.database import Database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APP = "demo-deals"
FLAKY = Strategy(
    name="all-visible-text-fixture",
    description="TEST FIXTURE: asserts every visible text, stable or not",
    assertion_strictness="all-visible-text",
    max_controls_asserted=8,
)
ROUNDS_PER_STRATEGY = 2


async def one_run(
    settings: Settings, app_url: str, out: Path, run_id: str, name: str
) -> dict[str, Any]:
    """One whole run through the graph, as `qaforge run --strategy NAME` makes it: the
    orchestrator resolves the variant, the Evolution agent's recorder stores the generation,
    and the outcomes are written back when the report is done."""
    req = RunRequest(
        run_id=run_id,
        observe=ObserveRequest(
            target=Target(url=app_url + "/deals", app=APP, include=[r"/deals$"]),
            # No HTTP walk: its page checks are the same whatever the strategy, and would
            # only water down the difference between the two this test is about.
            limits=CrawlLimits(
                max_states=3, max_actions=20, contexts=1, time_budget_s=60, http_pages=0
            ),
            out_dir=str(out),
        ),
        out_dir=str(out),
        app=APP,
        strategy=name,
        pdf=False,
        workers=1,
    )
    outcome = await run_graph(req, settings)
    assert outcome.summary.strategy.name == name
    assert outcome.summary.strategy.variant_id is not None
    return outcome.summary.model_dump(mode="json")


def test_flaky_strategy_loses_on_deals_and_the_selector_prefers_the_stable_one(
    demo_app: DemoApp, tmp_path: Path
) -> None:
    # Every pass re-runs every test: the alternating deal is read-only, and this test is about
    # what the learning loop makes of flakes, not how often the sample catches one.
    settings = Settings(home=tmp_path / "home", disable_learning=False, recheck_sample=1.0)

    async def scenario() -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any], list[str]]:
        d = Database(str(settings.database_url))
        try:
            await ensure_tables(d)
            async with d.session() as s:
                await seed_variants(s)
                await register_variant(
                    s,
                    "evolution",
                    FLAKY.name,
                    FLAKY.model_dump(mode="json"),
                    FLAKY.description,
                    source="test",
                )
                # Only the two contenders compete for this app.
                for v in await list_variants(s, "evolution"):
                    v.active = v.name in {"balanced", FLAKY.name}
            summaries: dict[str, list[dict[str, Any]]] = {"balanced": [], FLAKY.name: []}
            for i in range(ROUNDS_PER_STRATEGY):
                for name in summaries:
                    run_id = f"run-{name}-{i}"
                    out = tmp_path / run_id
                    summaries[name].append(await one_run(settings, demo_app.url, out, run_id, name))
            async with d.session() as s:
                figures = {
                    v.name: {
                        "reward": v.avg_reward,
                        "flake": v.avg_flake_rate,
                        "n": v.outcome_count,
                    }
                    for v in await list_variants(s, "evolution")
                }
            # What the driver would pick for the next runs of this app (seeded).
            picks = [(await strategy_for_run(settings, APP, seed=k)).name for k in range(100)]
            return summaries, figures, picks
        finally:
            await d.dispose()

    summaries, figures, picks = asyncio.run(scenario())
    for s in summaries["balanced"]:
        t = s["tests"]
        assert t["generated"] > 0 and t["flaky"] == 0 and t["passed"] == t["generated"], t
    # The fixture's tests assert the alternating deal: every run finds them flaky.
    for s in summaries[FLAKY.name]:
        t = s["tests"]
        assert t["generated"] > 0 and t["flaky"] > 0 and t["passed"] < t["generated"], t
    good, bad = figures["balanced"], figures[FLAKY.name]
    assert good["n"] == bad["n"] == ROUNDS_PER_STRATEGY
    assert good["flake"] == 0.0 and bad["flake"] > 0.0
    assert good["reward"] > bad["reward"]
    share = picks.count("balanced") / len(picks)
    assert share > 0.9, share
