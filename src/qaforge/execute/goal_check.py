"""A goal's planned scenarios are tried against the live app before they become tests: each
is written by our own emitter into a scratch suite and run once; only those that pass are
kept, and a goal none of whose scenarios passes is reported as not reached."""

from __future__ import annotations

from pathlib import Path

from qaforge.config import Settings
from qaforge.execute.runner import run_pytest
from qaforge.generate.goals import GoalOutcome
from qaforge.generate.strategy import get_strategy
from qaforge.generate.suite import write_suite
from qaforge.models import AppModel


async def verify_goals(
    settings: Settings, model: AppModel, outcomes: list[GoalOutcome], work_dir: Path
) -> None:
    """Run every planned scenario once against the app; a failing one moves from the goal's
    `scenarios` to its `failed` (with the test's message)."""
    planned = [sc for o in outcomes for sc in o.scenarios]
    if not planned:
        return
    suite_dir = work_dir / "goal-check"
    suite = write_suite(model, planned, suite_dir, get_strategy("balanced"))
    run = await run_pytest(
        suite_dir,
        model.target.url,
        work_dir / "goal-check-run",
        settings,
        0,
        None,
        1,
        artifacts=False,
    )
    by_scenario = {t.scenario_id: t.test_id for t in suite.tests}
    for outcome in outcomes:
        kept = []
        for sc in outcome.scenarios:
            case = run.cases.get(by_scenario.get(sc.id, ""))
            if case is not None and case.outcome == "passed":
                kept.append(sc)
            else:
                lines = case.message.strip().splitlines() if case is not None else []
                why = lines[0] if lines else ("failed" if case is not None else "did not run")
                outcome.failed[sc.id] = f"{sc.title}: {why}"[:300]
        outcome.scenarios = kept
