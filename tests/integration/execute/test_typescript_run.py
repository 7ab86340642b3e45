"""`qaforge run --lang ts` of the demo shop: the TypeScript suite runs with Playwright Test, twice,
and its failures are classified as the Python suite's are (the deliberate defects as app
defects, everything else passing), with junit.xml and the report written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from qaforge.demoapp.launcher import DemoApp
from qaforge.orchestrate.request import RunOutcome

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _outcomes(out: Path) -> dict[str, tuple[str, str | None]]:
    """Scenario title → (outcome, failure class) of a run directory."""
    scenarios = json.loads((out / "scenarios.json").read_text())["scenarios"]
    titles = {s["id"]: s["title"] for s in scenarios}
    results = json.loads((out / "results.json").read_text())["results"]
    return {titles[r["scenario_id"]]: (r["outcome"], r["failure_class"]) for r in results}


@pytest.fixture(scope="module")
def ts_run(demo_app: DemoApp, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One `qaforge run --lang ts` of the healthy demo shop, its crawl kept to the home page,
    /about and /reviews (the page with the deliberate console error) so it is small and always
    the same."""
    tmp = tmp_path_factory.mktemp("ts-run")
    out = tmp / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAFORGE_")}
    env.update(
        QAFORGE_HOME=str(tmp / "home"),
        QAFORGE_USERNAME="demo",
        QAFORGE_PASSWORD="demo",
        COLUMNS="200",
    )
    args = [sys.executable, "-m", "qaforge.cli", "run", demo_app.url, "--out", str(out)]
    args += ["--lang", "ts", "--login-url", "/login", "--app", "demo-shop"]
    args += ["--strategy", "balanced", "--time-budget", "30"]
    args += ["--include", "://[^/]+/(about|reviews)?/?([?#].*)?$"]
    args += ["--runs", "2", "--json", "--no-pdf", "--no-learning"]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.stdout.strip().startswith("{"), proc.stdout[-2000:] + proc.stderr[-3000:]
    return {
        "code": proc.returncode,
        "summary": json.loads(proc.stdout),
        "out": out,
        "stderr": proc.stderr,
    }


def test_a_typescript_run_is_executed_and_classified(ts_run: dict[str, Any]) -> None:
    s, out = ts_run["summary"], ts_run["out"]
    # Exit 1, as for the Python run: the shop's deliberate defects were found.
    assert ts_run["code"] == 1, ts_run["stderr"][-3000:]
    assert s["executed"] is True
    suite = json.loads((out / "tests" / "suite.json").read_text())
    assert suite["language"] == "typescript"
    assert (out / "tests" / "package.json").is_file()
    t = s["tests"]
    n = t["generated"]
    assert n >= 4 and t["app_defects"] >= 1, t
    assert t["failed"] == 0 and t["passed"] + t["app_defects"] + t["quarantined"] == n, t
    # Read from Playwright's own JUnit, under the suite's test ids.
    results = json.loads((out / "results.json").read_text())["results"]
    by_id = {r["test_id"]: r for r in results}
    assert set(by_id) == {g["test_id"] for g in suite["tests"]}
    reviews = by_id["reviews.spec.ts::test_reviews_loads"]
    assert (reviews["outcome"], reviews["failure_class"]) == ("app-defect", "app-defect")
    assert "console errors: " in reviews["message"]
    # The defect's evidence is the last run's trace and screenshot, which Playwright attached.
    assert reviews["trace"] and Path(reviews["trace"]).is_file()
    assert reviews["screenshot"] and Path(reviews["screenshot"]).is_file()
    # A second pass re-ran a selection, by exact title.
    assert len(reviews["runs"]) == 2 and (out / "execution" / "select-run1.txt").is_file()
    assert (out / "execution" / "playwright-run0.xml").is_file()
    root = ET.parse(s["artifacts"]["junit"]).getroot()
    assert int(root.find("testsuite").get("tests")) == n  # type: ignore[union-attr]
    assert Path(s["artifacts"]["report_html"]).is_file()
    assert "## Findings" in Path(s["artifacts"]["report_md"]).read_text()


def test_classified_like_the_python_run_of_the_same_scenarios(
    ts_run: dict[str, Any], demo_run: RunOutcome
) -> None:
    ts = _outcomes(ts_run["out"])
    py = _outcomes(Path(demo_run.summary_path).parent)
    common = sorted(set(ts) & set(py))
    assert len(common) >= 4 and "/reviews loads" in common, (sorted(ts), sorted(py))
    # Flaky tests are quarantined in either language; the rest must agree.
    steady = [x for x in common if "flaky" not in (ts[x][0], py[x][0])]
    assert {x: ts[x] for x in steady} == {x: py[x] for x in steady}
