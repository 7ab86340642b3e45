"""The Execution agent: runs the suite (with reruns) and heals broken locators."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qaforge.agents.base import AgentError, BaseAgent
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.events import TestFinished, TestHealed, TestsPassFinished
from qaforge.contracts.tasks import (
    EXECUTE,
    HEAL,
    ExecuteRequest,
    ExecuteResponse,
    HealRequest,
    HealResponse,
)
from qaforge.execute.engine import execute_suite, load_suite
from qaforge.execute.healer import Healer
from qaforge.execute.runner import PytestRun
from qaforge.models import AppModel, FailureClass, RunResults, TestOutcome, TestResult


@dataclass
class ExecutionAgent(BaseAgent):
    """`execute`: run and classify; `heal`: repair broken locators, re-running each."""

    capabilities: frozenset[str] = frozenset({EXECUTE, HEAL})
    agent_type: str = "execution"

    def can_handle(self, task: Task) -> tuple[bool, float]:
        """Its task types, when a browser can be launched on this machine."""
        able, confidence = self.capability_match(task)
        if able and not self.settings.has_browser():
            return (False, 0.0)
        return (able, confidence)

    async def execute(self, task: Task) -> TaskResult:
        """Dispatch on the task type."""
        if task.type == HEAL:
            return await self._heal(task)
        req = ExecuteRequest.model_validate(task.payload)

        async def pass_ended(index: int, run: PytestRun) -> None:
            outcomes = [c.outcome for c in run.cases.values()]
            await self.emit(
                TestsPassFinished(
                    run_id=task.run_id,
                    index=index,
                    ran=len(outcomes),
                    passed=outcomes.count("passed"),
                    failed=len(outcomes) - outcomes.count("passed") - outcomes.count("skipped"),
                    skipped=outcomes.count("skipped"),
                )
            )

        try:
            results = await execute_suite(
                Path(req.suite_path),
                req.base_url,
                Path(req.out_dir) / "execution",
                self.settings,
                runs=req.runs,
                workers=req.workers,
                test_timeout_s=req.test_timeout_s,
                on_pass=pass_ended,
                login=req.auth,
            )
        except RuntimeError as exc:
            raise AgentError(str(exc)) from exc
        path = Path(req.out_dir) / "results.json"
        path.write_text(results.model_dump_json(indent=2), encoding="utf-8")
        for r in results.results:
            await self.emit(_finished(task, r))
        return self.ok(task, ExecuteResponse(results_path=str(path)).model_dump())

    async def _heal(self, task: Task) -> TaskResult:
        req = HealRequest.model_validate(task.payload)
        results = RunResults.model_validate_json(Path(req.results_path).read_text())
        suite = load_suite(Path(req.suite_path))
        model = AppModel.load(Path(req.model_path))
        attempted = sum(
            1
            for r in results.results
            if r.outcome == TestOutcome.FAILED and r.failure_class == FailureClass.BROKEN_LOCATOR
        )
        healer = Healer(self.settings, suite, model, req.base_url, Path(req.out_dir) / "healing")
        healed = await healer.heal_all(results.results)
        Path(req.results_path).write_text(results.model_dump_json(indent=2), encoding="utf-8")
        for r in results.results:
            if r.heals and r.outcome != TestOutcome.FAILED:
                # Its outcome changed after the execute stage told it: tell the new one.
                await self.emit(_finished(task, r))
            for h in r.heals:
                await self.emit(
                    TestHealed(
                        run_id=task.run_id,
                        test_id=r.test_id,
                        old_locator=h.old_locator,
                        new_locator=h.new_locator,
                        accepted=h.accepted,
                        reason=h.reason,
                    )
                )
        resp = HealResponse(results_path=req.results_path, healed=healed, attempted=attempted)
        return self.ok(task, resp.model_dump())


def _finished(task: Task, r: TestResult) -> TestFinished:
    """The event telling `r`'s outcome as it stands."""
    return TestFinished(
        run_id=task.run_id,
        test_id=r.test_id,
        outcome=r.outcome.value,
        failure_class=r.failure_class.value if r.failure_class else None,
        message=r.message[:500],
        duration_s=r.duration_s,
    )
