"""The orchestration graph: observe → require → analyze → evolve → execute (→ heal, ≤ 3 rounds)
→ report, as a LangGraph `StateGraph` with a checkpointer.

Each node sends a `Task` over the bus to the agent type and awaits its `TaskResult`. The state
holds only file paths in the run directory and counters, so a checkpoint is small, holds no
credentials, and a resumed run picks up after the last finished node.

`run_graph` / `resume_graph` take a `RunRequest` and give a `RunOutcome`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from qaforge.agents.catalog import TASK_AGENT
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.events import EventHub, StageFinished, StageStarted
from qaforge.contracts.summary import RunSummary, StrategyInfo
from qaforge.contracts.tasks import (
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
from qaforge.crawl.urltemplate import origin_of
from qaforge.errors import UserError
from qaforge.models import FailureClass, RunResults, TestOutcome
from qaforge.orchestrate.request import RunOutcome, RunRequest

CallFn = Callable[[Task, str], Awaitable[TaskResult]]


class PipelineError(UserError):
    """A stage failed for a reason the user can act on (the run is FAILED)."""


def _left(budget: int | None, spent: dict[str, Any] | None) -> int | None:
    """The run's token budget less what the requirements stage spent."""
    if budget is None:
        return None
    return max(0, budget - int((spent or {}).get("tokens", 0)))


class PipelineState(TypedDict, total=False):
    """What is checkpointed after each node: paths in the run directory and counters."""

    run_id: str
    model_path: str
    scenarios_path: str | None
    suite_path: str
    base_url: str
    results_path: str | None
    heal_round: int
    healed: int
    durations: dict[str, float]
    summary_path: str
    exit_code: int
    stage_errors: list[str]
    # The goals' figures (RequireResponse.goals, as JSON), for the summary.
    goals: dict[str, Any] | None
    # What the language model cost the requirements stage (LLMUse, as JSON).
    llm_require: dict[str, Any] | None


@dataclass
class RunContext:
    """What the nodes of one run need; never checkpointed."""

    run_id: str
    request: RunRequest
    call: CallFn
    progress: Callable[[str], Awaitable[None]]
    events: EventHub = field(default_factory=EventHub)
    started: float = field(default_factory=time.monotonic)

    async def task(self, node: str, task_type: str, payload: dict[str, Any], n: int = 0) -> Any:
        """Send one task and return its payload; a failed task fails the run."""
        await self.events.emit(StageStarted(run_id=self.run_id, stage=node))
        began = time.monotonic()
        await self.progress(node)
        # Deterministic ids: a resumed run reuses a result stored before the crash.
        task = Task(
            id=f"{self.run_id}:{node}:{n}", type=task_type, run_id=self.run_id, payload=payload
        )
        result = await self.call(task, TASK_AGENT[task_type])
        if not result.ok:
            raise PipelineError(f"{task_type}: {result.error}")
        await self.progress(f"{node}:done")
        await self.events.emit(
            StageFinished(run_id=self.run_id, stage=node, seconds=time.monotonic() - began)
        )
        return result.payload


def base_url_of(url: str) -> str:
    """scheme://host:port of `url`: suites use absolute paths of the app as crawled."""
    return origin_of(url)


def needs_heal(results_path: str | None) -> bool:
    """Whether a test failed on a broken locator."""
    if not results_path or not Path(results_path).exists():
        return False
    results = RunResults.model_validate_json(Path(results_path).read_text())
    return any(
        r.outcome == TestOutcome.FAILED and r.failure_class == FailureClass.BROKEN_LOCATOR
        for r in results.results
    )


NodeFn = Callable[[PipelineState], Awaitable[PipelineState]]


def _timed_node(bucket: str, fn: NodeFn) -> NodeFn:
    """`fn`, adding its wall time to `durations[bucket]` in the state it returns."""

    async def node(state: PipelineState) -> PipelineState:
        t0 = time.monotonic()
        update = await fn(state)
        durations = dict(state.get("durations") or {})
        durations[bucket] = durations.get(bucket, 0.0) + time.monotonic() - t0
        return {**update, "durations": durations}

    return node


def build_graph(ctx: RunContext) -> StateGraph[PipelineState]:
    """The pipeline graph for one run (nodes close over `ctx`)."""
    req = ctx.request
    out = Path(req.out_dir)

    async def adopt(state: PipelineState) -> PipelineState:
        suite_dir = Path(req.existing_suite or "")
        if not (suite_dir / "suite.json").exists():
            raise PipelineError(f"{suite_dir} has no suite.json: is it a qaforge-generated suite?")
        if not (suite_dir / "model.json").exists():
            raise PipelineError(f"{suite_dir} has no model.json next to the suite")
        return {
            "run_id": ctx.run_id,
            "suite_path": str(suite_dir / "suite.json"),
            "model_path": str(suite_dir / "model.json"),
            "scenarios_path": str(suite_dir / "scenarios.json"),
            "base_url": req.base_url or "",
            "heal_round": 0,
        }

    async def observe(state: PipelineState) -> PipelineState:
        out.mkdir(parents=True, exist_ok=True)
        payload = req.observe.model_copy(update={"out_dir": str(out)}).model_dump(mode="json")
        res = await ctx.task("observe", OBSERVE, payload)
        return {
            "run_id": ctx.run_id,
            "model_path": res["model_path"],
            "scenarios_path": str(out / "scenarios.json"),
            "base_url": req.base_url or base_url_of(req.observe.target.url),
            "heal_round": 0,
        }

    async def require(state: PipelineState) -> PipelineState:
        payload = RequireRequest(
            model_path=state["model_path"],
            out_dir=str(out),
            accessibility=req.accessibility,
            goals=req.goals,
            llm_budget=req.llm_budget,
            readable=req.readable,
        ).model_dump(mode="json")
        res = await ctx.task("require", REQUIRE, payload)
        return {
            "scenarios_path": res["scenarios_path"],
            "goals": res.get("goals"),
            "llm_require": res.get("llm"),
        }

    async def analyze(state: PipelineState) -> PipelineState:
        payload = AnalyzeRequest(
            model_path=state["model_path"],
            scenarios_path=str(state.get("scenarios_path")),
            app=req.app,
            max_tests=req.max_tests,
        ).model_dump(mode="json")
        res = await ctx.task("analyze", ANALYZE, payload)
        return {
            "scenarios_path": res["scenarios_path"],
        }

    async def evolve(state: PipelineState) -> PipelineState:
        payload = EvolveRequest(
            model_path=state["model_path"],
            scenarios_path=str(state.get("scenarios_path")),
            out_dir=str(out),
            strategy=req.strategy,
            strategy_params=req.strategy_params,
            language=req.language,
            standalone=req.standalone,
            app=req.app,
            variant_id=req.variant_id,
            experiment_id=req.experiment_id,
            patterns_applied=req.patterns_applied,
        ).model_dump(mode="json")
        res = await ctx.task("evolve", EVOLVE, payload)
        written = json.loads(Path(res["suite_path"]).read_text())
        if not written.get("tests"):
            raise PipelineError(
                "no test was generated: the crawl found nothing to test (see "
                f"{state['model_path']} and {state.get('scenarios_path')})"
            )
        return {
            "suite_path": res["suite_path"],
        }

    async def execute(state: PipelineState) -> PipelineState:
        payload = ExecuteRequest(
            suite_path=state["suite_path"],
            base_url=state["base_url"],
            out_dir=str(out),
            runs=req.runs,
            workers=req.workers,
            auth=req.observe.target.auth,
        ).model_dump(mode="json")
        res = await ctx.task("execute", EXECUTE, payload)
        return {
            "results_path": res["results_path"],
        }

    async def heal(state: PipelineState) -> PipelineState:
        n = state.get("heal_round", 0)
        payload = HealRequest(
            suite_path=state["suite_path"],
            results_path=str(state.get("results_path")),
            model_path=state["model_path"],
            base_url=state["base_url"],
            out_dir=str(out),
        ).model_dump(mode="json")
        try:
            res = await ctx.task("heal", HEAL, payload, n)
        except PipelineError as exc:
            # Healing is optional: the tests ran, so the run still reports what they showed.
            errors = [*(state.get("stage_errors") or []), str(exc)]
            return {"healed": 0, "heal_round": req.max_heal_rounds, "stage_errors": errors}
        return {
            "results_path": res["results_path"],
            "healed": int(res.get("healed", 0)),
            "heal_round": n + 1,
        }

    async def report(state: PipelineState) -> PipelineState:
        scenarios = state.get("scenarios_path")
        payload = ReportRequest(
            out_dir=str(out),
            model_path=state["model_path"],
            scenarios_path=scenarios if scenarios and Path(scenarios).exists() else None,
            suite_path=state.get("suite_path"),
            results_path=state.get("results_path"),
            durations=dict(state.get("durations") or {}),
            pdf=req.pdf,
            elapsed_s=time.monotonic() - ctx.started,
            strategy=strategy_info(req),
            stage_errors=list(state.get("stage_errors") or []),
            goals=state.get("goals"),
            triage=req.triage,
            llm_budget=_left(req.llm_budget, state.get("llm_require")),
            llm={"require": state["llm_require"]} if state.get("llm_require") else {},
        ).model_dump(mode="json")
        res = await ctx.task("report", REPORT, payload)
        return {"summary_path": res["summary_path"], "exit_code": int(res["exit_code"])}

    def route_start(state: PipelineState) -> str:
        return "adopt" if req.existing_suite else "observe"

    def route_after_execute(state: PipelineState) -> str:
        if req.heal and req.max_heal_rounds > 0 and needs_heal(state.get("results_path")):
            return "heal"
        return "report"

    def route_after_heal(state: PipelineState) -> str:
        if (
            state.get("healed", 0) > 0
            and state.get("heal_round", 0) < req.max_heal_rounds
            and needs_heal(state.get("results_path"))
        ):
            return "heal"
        return "report"

    g: StateGraph[PipelineState] = StateGraph(PipelineState)
    g.add_node("adopt", adopt)
    for name, fn in (
        ("observe", observe),
        ("require", require),
        ("analyze", analyze),
        ("evolve", evolve),
        ("execute", execute),
        # Healing re-runs the tests it repairs: its time is execution time.
        ("heal", heal),
        ("report", report),
    ):
        node: Any = _timed_node("execute" if name == "heal" else name, fn)  # StateGraph's
        g.add_node(name, node)  # node protocols do not accept a plain Callable
    g.add_conditional_edges(START, route_start, ["adopt", "observe"])
    g.add_edge("observe", "require")
    g.add_edge("require", "analyze")
    g.add_edge("analyze", "evolve")
    # Every suite runs, Python or TypeScript: the execution engine picks the runner.
    g.add_edge("evolve", "execute")
    g.add_edge("adopt", "execute")
    g.add_conditional_edges("execute", route_after_execute, ["heal", "report"])
    g.add_conditional_edges("heal", route_after_heal, ["heal", "report"])
    g.add_edge("report", END)
    return g


def strategy_info(req: RunRequest) -> StrategyInfo | None:
    """How `run` chose the strategy (name, method, variant); None when the suite's own name
    stands (`qaforge test`)."""
    if not req.strategy_method:
        return None
    return StrategyInfo(name=req.strategy, chosen_by=req.strategy_method, variant_id=req.variant_id)


def finish_summary(run_id: str, state: dict[str, Any]) -> RunOutcome:
    """The outcome of a finished run: the summary the Reporting agent wrote."""
    summary_path = Path(state["summary_path"])
    return RunOutcome(
        run_id=run_id,
        summary_path=str(summary_path),
        exit_code=int(state["exit_code"]),
        summary=RunSummary.load(summary_path),
    )
