"""The execution engine: run the suite several times, find flaky tests, classify failures."""

from __future__ import annotations

import glob
import time
import uuid
from collections.abc import Awaitable, Callable, Collection
from pathlib import Path

from qaforge.config import Settings
from qaforge.errors import UserError
from qaforge.execute import quarantine
from qaforge.execute.classify import classify
from qaforge.execute.recheck import Recheck, recheck_selection
from qaforge.execute.runner import CaseResult, PytestRun, workers_for
from qaforge.execute.runners import node_id as node_id  # (moved there; still importable)
from qaforge.execute.runners import runner_for
from qaforge.generate.conftest_py import CONFIG_MARKER
from qaforge.models import Auth, GeneratedTest, RunResults, TestOutcome, TestResult, TestSuite

_FAILING = frozenset({"failed", "error", "missing"})

# Told about each pytest pass as it ends (its index, counting retries, and what it ran).
PassListener = Callable[[int, PytestRun], Awaitable[None]]


def load_suite(suite_path: Path) -> TestSuite:
    """The suite's `suite.json`, located where it is now (users move and copy suites)."""
    suite = TestSuite.model_validate_json(suite_path.read_text(encoding="utf-8"))
    suite.directory = str(suite_path.resolve().parent)
    return suite


def _artifact(out_dir: Path, run_index: int, test_id: str, suffix: str) -> str | None:
    folder = out_dir / f"artifacts-run{run_index}"
    if not folder.exists():
        return None
    stem = glob.escape(test_id.split("::")[-1].replace("_", "-"))
    for p in sorted(folder.glob(f"*{stem}*/*{suffix}")):
        return str(p)
    return None


def _attached(case: CaseResult | None, suffix: str) -> str | None:
    """A file the runner itself named for the case (Playwright Test does), if it exists."""
    for path in case.attachments if case else ():
        if path.endswith(suffix) and Path(path).exists():
            return path
    return None


def _outcomes(seen: list[CaseResult | None]) -> list[str]:
    return [c.outcome if c else "missing" for c in seen]


def _classified(
    res: TestResult,
    gt: GeneratedTest,
    seen: list[CaseResult | None],
    server: list[str],
    out_dir: Path,
    run_index: int,
) -> None:
    """Make `res` a classified failure from the failing runs `seen`."""
    last_fail = next((c for c in reversed(seen) if c and c.outcome in _FAILING), None)
    message = last_fail.message if last_fail else ""
    fc = classify(message, gt.expect_defect, server)
    res.failure_class = fc
    res.outcome = TestOutcome.APP_DEFECT if fc.value == "app-defect" else TestOutcome.FAILED
    res.message = message or "the test did not run"
    res.trace = _attached(last_fail, "trace.zip") or _artifact(
        out_dir, run_index, gt.test_id, "trace.zip"
    )
    res.screenshot = _attached(last_fail, ".png") or _artifact(
        out_dir, run_index, gt.test_id, ".png"
    )


def _seen(
    test_id: str, runs: list[PytestRun], rechecked: Collection[str] | None
) -> list[CaseResult | None]:
    """The test's case in each run that was meant to run it (None: it went missing)."""
    return [
        r.cases.get(test_id)
        for i, r in enumerate(runs)
        if i == 0 or rechecked is None or test_id in rechecked
    ]


def combine(
    suite: TestSuite,
    runs: list[PytestRun],
    out_dir: Path,
    retries: list[PytestRun] | None = None,
    retried: set[str] | None = None,
    rechecked: Collection[str] | None = None,
) -> tuple[list[TestResult], dict[str, str]]:
    """One result per test from several runs (quarantine is applied afterwards).

    The runs after the first hold only the `rechecked` tests when that is given (every test
    otherwise). A test whose outcome differed between `runs` is judged by its `retries` (runs of
    the differing tests only; `retried` says which, by default every test they hold): all passed
    → PASSED, "passed on retry"; all failed → a classified failure; else FLAKY, and it is in the
    returned dict with why. Without retries a differing test is FLAKY."""
    retries = retries or []
    if retried is None:
        retried = {tid for r in retries for tid in r.cases}
    results: list[TestResult] = []
    flaky: dict[str, str] = {}
    for gt in suite.tests:
        seen = _seen(gt.test_id, runs, rechecked)
        outcomes = _outcomes(seen)
        duration = sum(c.duration_s for c in seen if c) / max(1, len(seen))
        server = [e for r in runs for e in r.server_errors.get(gt.test_id, [])]
        res = TestResult(
            test_id=gt.test_id,
            scenario_id=gt.scenario_id,
            outcome=TestOutcome.PASSED,
            duration_s=round(duration, 3),
            runs=outcomes,
        )
        if outcomes and all(o == "skipped" for o in outcomes):
            res.outcome = TestOutcome.SKIPPED
            last = seen[-1]
            res.message = "skipped: " + (last.message if last else "")
        elif len(set(outcomes)) > 1:
            changed = "outcome changed between runs: " + ", ".join(outcomes)
            again = [r.cases.get(gt.test_id) for r in retries] if gt.test_id in retried else []
            verdict = quarantine.verdict_of_retries(_outcomes(again))
            if verdict == "passed":
                res.message = quarantine.passed_on_retry_message(outcomes + _outcomes(again))
            elif verdict == "failed":
                server += [e for r in retries for e in r.server_errors.get(gt.test_id, [])]
                last_index = len(runs) + len(retries) - 1
                _classified(res, gt, seen + again, server, out_dir, last_index)
                res.message = f"failed every retry ({changed}): {res.message}"
            else:
                if again:
                    changed += "; on retry: " + ", ".join(_outcomes(again))
                res.outcome = TestOutcome.FLAKY
                res.message = changed
                flaky[gt.test_id] = changed
        elif outcomes and outcomes[0] in _FAILING:
            _classified(res, gt, seen, server, out_dir, len(runs) - 1)
        results.append(res)
    return results, flaky


class SuiteCannotRun(UserError):
    """The runner could not run the suite at all (no test collected, configuration missing)."""


def _missing_configuration(run: PytestRun) -> str:
    """The generated conftest's own message when the suite lacks settings (credentials)."""
    for case in run.cases.values():
        if case.outcome in {"failed", "error"} and CONFIG_MARKER in case.message:
            line = next(x for x in case.message.splitlines() if CONFIG_MARKER in x)
            return line[line.index(CONFIG_MARKER) :].strip().rstrip("\"'")
    return ""


def differing(
    runs: list[PytestRun], test_ids: list[str], rechecked: Collection[str] | None = None
) -> list[str]:
    """The tests whose outcome was not the same in every run that ran them."""
    return [t for t in test_ids if len(set(_outcomes(_seen(t, runs, rechecked)))) > 1]


async def execute_suite(
    suite_path: Path,
    base_url: str,
    out_dir: Path,
    settings: Settings,
    runs: int = 2,
    workers: int = 2,
    test_timeout_s: float = 60.0,
    recheck_salt: str | None = None,
    on_pass: PassListener | None = None,
    login: Auth | None = None,
) -> RunResults:
    """Run the suite, then `runs - 1` more passes of the tests `recheck_selection` picks
    (`recheck_salt` fixes its draw); retry the tests whose outcome differed; quarantine the ones
    still flaky; classify the failures. Quarantined tests run and are reported like any other;
    they are released after consecutive passing executions (see `quarantine`). `on_pass`
    hears of every pass as it ends."""

    async def told(index: int, run: PytestRun) -> PytestRun:
        if on_pass is not None:
            await on_pass(index, run)
        return run

    suite = load_suite(suite_path)
    suite_dir = Path(suite.directory)
    t0 = time.monotonic()
    entries = quarantine.load(suite_dir)
    done: list[PytestRun] = []
    retries: list[PytestRun] = []
    retried: list[str] = []
    recheck: Recheck | None = None
    # pytest or Playwright Test, by the suite's language; each names a test its own way.
    runner = runner_for(suite)
    select = {t.test_id: runner.selector(t) for t in suite.tests}
    # An old generated conftest skips what quarantine.json lists: keep it out of its sight.
    quarantine.hide_from_legacy_conftest(suite_dir)
    try:
        passes = max(1, runs)
        for i in range(passes):
            if recheck is not None and not recheck.tests:
                break
            # A failure's trace and screenshot are read from the last run that failed it (the
            # last pass, or the last retry of a test that changed outcome): only those record.
            # Every test that failed the first pass is in the later ones, so they suffice.
            done.append(
                await told(
                    i,
                    await runner.run(
                        suite_dir,
                        base_url,
                        out_dir,
                        settings,
                        i,
                        None
                        if recheck is None
                        else [select[t.test_id] for t in suite.tests if t.test_id in recheck.tests],
                        # A selection is sized by the runner; the whole suite here.
                        workers_for(len(suite.tests), workers) if recheck is None else workers,
                        test_timeout_s,
                        artifacts=i == passes - 1,
                        login=login,
                    ),
                )
            )
            if i == 0:
                if not done[0].cases:
                    tail = done[0].output.strip().splitlines()[-5:]
                    raise SuiteCannotRun(f"{runner.name} ran no test: " + " | ".join(tail))
                missing = _missing_configuration(done[0])
                if missing:
                    raise SuiteCannotRun(f"the suite cannot run: {missing}")
                if passes > 1:
                    recheck = recheck_selection(
                        suite,
                        done[0],
                        entries,
                        settings.recheck_sample,
                        recheck_salt if recheck_salt is not None else uuid.uuid4().hex,
                    )
        rechecked = recheck.tests if recheck is not None else None
        # A quarantined test that flips again is still flaky: no retry needed to say so.
        ids = [t.test_id for t in suite.tests]
        retried = [t for t in differing(done, ids, rechecked) if t not in entries]
        for k in range(quarantine.RETRIES if retried else 0):
            retries.append(
                await told(
                    len(done) + k,
                    await runner.run(
                        suite_dir,
                        base_url,
                        out_dir,
                        settings,
                        len(done) + k,
                        [select[t] for t in retried],
                        workers,
                        test_timeout_s,
                        login=login,
                    ),
                )
            )
    finally:
        quarantine.unhide(suite_dir)
    results, flaky = combine(suite, done, out_dir, retries, set(retried), rechecked)
    kept, _released = quarantine.apply(results, entries, flaky)
    quarantine.save(suite_dir, kept)
    return RunResults(
        suite_dir=str(suite_dir),
        results=results,
        runs=len(done),
        duration_s=round(time.monotonic() - t0, 3),
        # The first pass is the only one that ran every test.
        junit=str(done[0].junit) if done[0].junit else None,
        recheck=recheck.rule if recheck is not None else "",
    )
