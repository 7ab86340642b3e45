"""The plain sequential driver: every stage is the agent's own `execute(task)`, in order.

Observe → Require → Analyze → Evolve → Execute (→ Heal → Execute, ≤ 3 rounds) → Report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qaforge.agents.analysis import AnalysisAgent
from qaforge.agents.base import AgentError, BaseAgent, Task, new_id
from qaforge.agents.evolution import EvolutionAgent
from qaforge.agents.execution import ExecutionAgent
from qaforge.agents.observation import ObservationAgent
from qaforge.agents.reporting import ReportingAgent
from qaforge.agents.requirements import RequirementsAgent
from qaforge.agents.tasks import (
    ANALYZE,
    EVOLVE,
    EXECUTE,
    HEAL,
    OBSERVE,
    REPORT,
    REQUIRE,
    AnalyzeRequest,
    EvolveRequest,
    ExecuteRequest,
    HealRequest,
    ReportRequest,
    RequireRequest,
)
from qaforge.config import Settings
from qaforge.models import RunResults, TestOutcome
from qaforge.orchestrate.request import RunOutcome, RunRequest

StageFn = Callable[[str], None]


class PipelineError(Exception):
    """A stage failed for a reason the user can act on."""


async def _call(
    agent: BaseAgent, task_type: str, payload: dict[str, Any], run_id: str
) -> dict[str, Any]:
    result = await agent.handle(Task(type=task_type, run_id=run_id, payload=payload))
    if not result.ok:
        raise PipelineError(f"{task_type}: {result.error}")
    return result.payload


def base_url_of(url: str) -> str:
    from urllib.parse import urlsplit

    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


async def run_pipeline(
    req: RunRequest, settings: Settings, on_stage: StageFn | None = None
) -> RunOutcome:
    """Run every stage in this process; returns the summary and the exit code."""
    run_id = req.run_id or new_id("run-")
    out = Path(req.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    durations: dict[str, float] = {}
    t_start = time.monotonic()

    def stage(name: str) -> float:
        if on_stage:
            on_stage(name)
        return time.monotonic()

    model_path = str(out / "model.json")
    scenarios_path: str | None = str(out / "scenarios.json")
    if req.existing_suite:
        suite_dir = Path(req.existing_suite)
        suite_path = str(suite_dir / "suite.json")
        model_path = str(suite_dir / "model.json")
        scenarios_path = str(suite_dir / "scenarios.json")
        if not Path(suite_path).exists():
            raise PipelineError(f"{suite_dir} has no suite.json: is it a qaforge-generated suite?")
        if not Path(model_path).exists():
            raise PipelineError(f"{suite_dir} has no model.json next to the suite")
        base_url = req.base_url or ""
    else:
        t = stage("observe")
        observe = req.observe.model_copy(update={"out_dir": str(out)})
        model_path = (
            await _call(ObservationAgent(settings), OBSERVE, observe.model_dump(), run_id)
        )["model_path"]
        durations["observe"] = time.monotonic() - t
        t = stage("require")
        await _call(
            RequirementsAgent(settings),
            REQUIRE,
            RequireRequest(
                model_path=model_path, out_dir=str(out), accessibility=req.accessibility
            ).model_dump(),
            run_id,
        )
        durations["require"] = time.monotonic() - t
        t = stage("analyze")
        await _call(
            AnalysisAgent(settings),
            ANALYZE,
            AnalyzeRequest(
                model_path=model_path,
                scenarios_path=str(scenarios_path),
                app=req.app,
                max_tests=req.max_tests,
            ).model_dump(),
            run_id,
        )
        durations["analyze"] = time.monotonic() - t
        t = stage("evolve")
        suite_path = (
            await _call(
                EvolutionAgent(settings),
                EVOLVE,
                EvolveRequest(
                    model_path=model_path,
                    scenarios_path=str(scenarios_path),
                    out_dir=str(out),
                    strategy=req.strategy,
                    strategy_params=req.strategy_params,
                    language=req.language,
                    app=req.app,
                ).model_dump(),
                run_id,
            )
        )["suite_path"]
        durations["evolve"] = time.monotonic() - t
        base_url = req.base_url or base_url_of(req.observe.target.url)
    results_path: str | None = None
    if req.language == "python":
        t = stage("execute")
        execution = ExecutionAgent(settings)
        results_path = (
            await _call(
                execution,
                EXECUTE,
                ExecuteRequest(
                    suite_path=suite_path,
                    base_url=base_url,
                    out_dir=str(out),
                    runs=req.runs,
                    workers=req.workers,
                ).model_dump(),
                run_id,
            )
        )["results_path"]
        for _ in range(req.max_heal_rounds if req.heal else 0):
            results = RunResults.model_validate_json(Path(results_path).read_text())
            if not any(
                r.outcome == TestOutcome.FAILED
                and r.failure_class
                and r.failure_class.value == "broken-locator"
                for r in results.results
            ):
                break
            stage("heal")
            healed = await _call(
                execution,
                HEAL,
                HealRequest(
                    suite_path=suite_path,
                    results_path=results_path,
                    model_path=model_path,
                    base_url=base_url,
                    out_dir=str(out),
                ).model_dump(),
                run_id,
            )
            if not healed["healed"]:
                break
        durations["execute"] = time.monotonic() - t
    t = stage("report")
    report = await _call(
        ReportingAgent(settings),
        REPORT,
        ReportRequest(
            out_dir=str(out),
            model_path=model_path,
            scenarios_path=scenarios_path
            if scenarios_path and Path(scenarios_path).exists()
            else None,
            suite_path=suite_path,
            results_path=results_path,
            durations=durations,
            pdf=req.pdf,
        ).model_dump(),
        run_id,
    )
    durations["report"] = time.monotonic() - t
    durations["total"] = time.monotonic() - t_start
    summary_path = Path(report["summary_path"])
    summary = json.loads(summary_path.read_text())
    summary["durations"].update({k: round(v, 3) for k, v in durations.items()})
    summary["run_id"] = run_id
    summary_path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return RunOutcome(
        run_id=run_id,
        summary_path=str(summary_path),
        exit_code=report["exit_code"],
        summary=summary,
    )


__all__ = ["AgentError", "PipelineError", "run_pipeline"]
