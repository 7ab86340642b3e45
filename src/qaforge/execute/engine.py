"""The execution engine: run the suite several times, find flaky tests, classify failures."""

from __future__ import annotations

import json
import time
from pathlib import Path

from qaforge.config import Settings
from qaforge.execute.classify import classify
from qaforge.execute.runner import PytestRun, run_pytest
from qaforge.models import RunResults, TestOutcome, TestResult, TestSuite


def load_suite(suite_path: Path) -> TestSuite:
    """The suite's `suite.json`, located where it is now (users move and copy suites)."""
    suite = TestSuite.model_validate_json(suite_path.read_text(encoding="utf-8"))
    suite.directory = str(suite_path.resolve().parent)
    return suite


def quarantine(suite_dir: Path, entries: dict[str, str]) -> None:
    """Mark tests skipped with a reason (read by the generated conftest); files stay intact."""
    path = suite_dir / "quarantine.json"
    current: dict[str, str] = {}
    if path.exists():
        current = {q["test_id"]: q["reason"] for q in json.loads(path.read_text())}
    current.update(entries)
    doc = [{"test_id": k, "reason": v} for k, v in sorted(current.items())]
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def _artifact(out_dir: Path, run_index: int, test_id: str, suffix: str) -> str | None:
    folder = out_dir / f"artifacts-run{run_index}"
    if not folder.exists():
        return None
    stem = test_id.split("::")[-1].replace("_", "-")
    for p in sorted(folder.glob(f"*{stem}*/*{suffix}")):
        return str(p)
    return None


def combine(
    suite: TestSuite, runs: list[PytestRun], out_dir: Path
) -> tuple[list[TestResult], dict[str, str]]:
    """One result per test from several runs; tests whose outcome differed are flaky."""
    results: list[TestResult] = []
    flaky: dict[str, str] = {}
    quarantined = _quarantined(Path(suite.directory))
    for gt in suite.tests:
        seen = [r.cases.get(gt.test_id) for r in runs]
        outcomes = [c.outcome if c else "missing" for c in seen]
        duration = sum(c.duration_s for c in seen if c) / max(1, len(runs))
        last_fail = next(
            (c for c in reversed(seen) if c and c.outcome in {"failed", "error"}), None
        )
        message = last_fail.message if last_fail else ""
        server = [e for r in runs for e in r.server_errors.get(gt.test_id, [])]
        res = TestResult(
            test_id=gt.test_id,
            scenario_id=gt.scenario_id,
            outcome=TestOutcome.PASSED,
            duration_s=round(duration, 3),
            runs=outcomes,
        )
        if gt.test_id in quarantined or all(o == "skipped" for o in outcomes):
            res.outcome = TestOutcome.QUARANTINED
            res.message = quarantined.get(gt.test_id, "skipped")
        elif len(set(outcomes)) > 1:
            res.outcome = TestOutcome.FLAKY
            res.message = "outcome changed between runs: " + ", ".join(outcomes)
            flaky[gt.test_id] = res.message
        elif outcomes and outcomes[0] in {"failed", "error", "missing"}:
            fc = classify(message, gt.expect_defect, server)
            res.failure_class = fc
            res.outcome = TestOutcome.APP_DEFECT if fc.value == "app-defect" else TestOutcome.FAILED
            res.message = message or "the test did not run"
            idx = len(runs) - 1
            res.trace = _artifact(out_dir, idx, gt.test_id, "trace.zip")
            res.screenshot = _artifact(out_dir, idx, gt.test_id, ".png")
        results.append(res)
    return results, flaky


def _quarantined(suite_dir: Path) -> dict[str, str]:
    path = suite_dir / "quarantine.json"
    if not path.exists():
        return {}
    return {q["test_id"]: q["reason"] for q in json.loads(path.read_text())}


async def execute_suite(
    suite_path: Path,
    base_url: str,
    out_dir: Path,
    settings: Settings,
    runs: int = 2,
    workers: int = 2,
    test_timeout_s: float = 60.0,
) -> RunResults:
    """Run the suite `runs` times; quarantine flaky tests; classify the failures."""
    suite = load_suite(suite_path)
    suite_dir = Path(suite.directory)
    t0 = time.monotonic()
    done: list[PytestRun] = []
    for i in range(max(1, runs)):
        done.append(
            await run_pytest(
                suite_dir, base_url, out_dir, settings, i, None, workers, test_timeout_s
            )
        )
    if not any(r.cases for r in done):
        tail = done[-1].output.strip().splitlines()[-5:]
        raise RuntimeError("pytest ran no test: " + " | ".join(tail))
    results, flaky = combine(suite, done, out_dir)
    if flaky:
        quarantine(suite_dir, {k: "flaky: " + v for k, v in flaky.items()})
        for r in results:
            if r.test_id in flaky:
                r.outcome = TestOutcome.QUARANTINED
                r.message = "flaky, quarantined: " + r.message
    return RunResults(
        suite_dir=str(suite_dir),
        results=results,
        runs=len(done),
        duration_s=round(time.monotonic() - t0, 3),
        junit=str(done[-1].junit) if done[-1].junit else None,
    )
