"""Lightweight agents with the real task contracts, for orchestration tests (no browser).

Every invocation appends `<stage>` to `out_dir/invocations.log` when it starts and
`<stage>:done` when it finishes. Files in the run directory steer them:
`hang_at` (a stage name: the first invocation of that stage hangs), `delay` (seconds per stage),
`broken` (execute reports one broken locator; heal repairs it), `poison` (execute raises).
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qaforge.agents.base import AgentError, BaseAgent
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.summary import CrawlFigures, RunSummary, TestCounts
from qaforge.contracts.tasks import ANALYZE, EVOLVE, EXECUTE, HEAL, OBSERVE, REPORT, REQUIRE


def _out(payload: dict[str, Any]) -> Path:
    if payload.get("out_dir"):
        return Path(payload["out_dir"])
    return Path(payload["scenarios_path"]).parent


def invocations(out: Path) -> list[str]:
    """The invocation log of a run directory."""
    log = out / "invocations.log"
    return log.read_text().split() if log.exists() else []


def _log(out: Path, line: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / "invocations.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{line}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, data: Any) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@dataclass
class FakeAgent(BaseAgent):
    """Shared behaviour; subclasses say which stage they are and what they write."""

    stage: str = ""
    confidence: float = 1.0
    refuse: bool = False

    def can_handle(self, task: Task) -> tuple[bool, float]:
        """Refuse when told to (Contract Net no-bid tests)."""
        if self.refuse or task.type not in self.capabilities:
            return (False, 0.0)
        return (True, self.confidence)

    async def execute(self, task: Task) -> TaskResult:
        """Log, maybe hang or wait, do the stage's work, log done."""
        out = _out(task.payload)
        stage = task.type
        _log(out, stage)
        hang = out / "hang_at"
        if hang.exists() and hang.read_text().strip() == stage and invocations(out).count(stage) == 1:
            await asyncio.sleep(3600)
        delay = out / "delay"
        if delay.exists():
            await asyncio.sleep(float(delay.read_text()))
        if (out / "poison").exists() and stage == EXECUTE:
            raise RuntimeError("poisoned task")
        if (out / f"fail_{stage}").exists():
            raise AgentError(f"{stage} told to fail")
        payload = self.work(task, out)
        _log(out, f"{stage}:done")
        return self.ok(task, payload)

    def work(self, task: Task, out: Path) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class FakeObservation(FakeAgent):
    capabilities: frozenset[str] = frozenset({OBSERVE})
    agent_type: str = "observation"

    def work(self, task: Task, out: Path) -> dict[str, Any]:
        seed = int(task.payload.get("limits", {}).get("seed", 0))
        return {"model_path": _write(out / "model.json", {"states": 3 + seed % 5, "seed": seed})}


@dataclass
class FakeRequirements(FakeAgent):
    capabilities: frozenset[str] = frozenset({REQUIRE})
    agent_type: str = "requirements"

    def work(self, task: Task, out: Path) -> dict[str, Any]:
        model = json.loads(Path(task.payload["model_path"]).read_text())
        scenarios = [{"id": f"s{i}"} for i in range(model["states"] * 2)]
        return {"scenarios_path": _write(out / "scenarios.json", scenarios)}


@dataclass
class FakeAnalysis(FakeAgent):
    capabilities: frozenset[str] = frozenset({ANALYZE})
    agent_type: str = "analysis"

    def work(self, task: Task, out: Path) -> dict[str, Any]:
        path = Path(task.payload["scenarios_path"])
        scenarios = json.loads(path.read_text())
        for i, s in enumerate(scenarios):
            s["risk"] = round(1 - i / max(1, len(scenarios)), 3)
        return {"scenarios_path": _write(path, scenarios)}


@dataclass
class FakeEvolution(FakeAgent):
    capabilities: frozenset[str] = frozenset({EVOLVE})
    agent_type: str = "evolution"

    def work(self, task: Task, out: Path) -> dict[str, Any]:
        scenarios = json.loads(Path(task.payload["scenarios_path"]).read_text())
        tests = {f"test_{s['id']}": s["id"] for s in scenarios}
        return {"suite_path": _write(out / "tests" / "suite.json", {"tests": tests})}


@dataclass
class FakeExecution(FakeAgent):
    capabilities: frozenset[str] = frozenset({EXECUTE, HEAL})
    agent_type: str = "execution"

    def work(self, task: Task, out: Path) -> dict[str, Any]:
        if task.type == HEAL:
            results = json.loads(Path(task.payload["results_path"]).read_text())
            healed = 0
            for r in results["results"]:
                if r["failure_class"] == "broken-locator":
                    r.update(outcome="healed", failure_class=None)
                    healed += 1
            path = _write(out / "results.json", results)
            return {"results_path": path, "healed": healed, "attempted": healed}
        suite = json.loads(Path(task.payload["suite_path"]).read_text())
        results = [
            {"test_id": t, "scenario_id": s, "outcome": "passed"} for t, s in suite["tests"].items()
        ]
        if (out / "broken").exists() and results:
            results[0].update(outcome="failed", failure_class="broken-locator")
        for r in results:
            r.setdefault("failure_class", None)
        data = {"suite_dir": str(out / "tests"), "results": results, "runs": 2}
        return {"results_path": _write(out / "results.json", data)}


@dataclass
class FakeReporting(FakeAgent):
    capabilities: frozenset[str] = frozenset({REPORT})
    agent_type: str = "reporting"

    def work(self, task: Task, out: Path) -> dict[str, Any]:
        results = json.loads(Path(task.payload["results_path"]).read_text())["results"]
        counts: dict[str, int] = {}
        for r in results:
            counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
        model = json.loads(Path(task.payload["model_path"]).read_text())
        summary = RunSummary(
            target="http://fake.invalid/",
            run_id=task.run_id,
            crawl=CrawlFigures(states=model["states"]),
            tests=TestCounts(
                generated=len(results),
                passed=counts.get("passed", 0),
                failed=counts.get("failed", 0),
            ),
            executed=True,
        )
        exit_code = summary.exit_code()
        path = out / "summary.json"
        summary.write(path)
        return {"summary_path": str(path), "exit_code": exit_code}


CATALOG: dict[str, type[BaseAgent]] = {
    "observation": FakeObservation,
    "requirements": FakeRequirements,
    "analysis": FakeAnalysis,
    "evolution": FakeEvolution,
    "execution": FakeExecution,
    "reporting": FakeReporting,
}
SPEC = "tests.system.fakes:CATALOG"
