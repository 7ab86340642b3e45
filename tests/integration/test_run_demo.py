"""A whole `qaforge run` of the demo shop, asserted on its summary and files."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qaforge.contracts.events import RunEvent
from qaforge.orchestrate.request import RunOutcome
from tests.integration.agent_events import check_agent_events

pytestmark = pytest.mark.browser


def test_summary_has_every_key_and_the_figures_we_promise(demo_run: RunOutcome) -> None:
    s = json.loads(Path(demo_run.summary_path).read_text())
    assert s["schema_version"] == 2
    # One document, written once: `run` says how it chose its strategy, and report.md shows
    # the same strategy and total time as summary.json.
    assert s["strategy"]["name"] and s["strategy"]["chosen_by"], s["strategy"]
    assert s["run_id"] == demo_run.run_id
    md = Path(s["artifacts"]["report_md"]).read_text()
    assert f"| total time | {s['durations']['total']:.1f}s |" in md
    assert f"strategy `{s['strategy']['name']} ({s['strategy']['chosen_by']})`" in md
    assert s["durations"]["total"] >= s["durations"]["observe"] + s["durations"]["execute"]
    assert set(s["crawl"]) >= {
        "states",
        "templates",
        "transitions",
        "forms",
        "actions",
        "duration_s",
    }
    assert set(s["tests"]) == {
        "generated",
        "passed",
        "failed",
        "flaky",
        "healed",
        "quarantined",
        "app_defects",
    }
    assert set(s["durations"]) == {
        "observe",
        "require",
        "analyze",
        "evolve",
        "execute",
        "report",
        "total",
    }
    assert set(s["artifacts"]) >= {"tests_dir", "report_html", "report_md", "report_pdf", "junit"}
    assert s["coverage"]["templates"] == 1.0
    assert s["coverage"]["transitions"] == 1.0
    t = s["tests"]
    denominator = t["generated"] - t["app_defects"] - t["quarantined"]
    assert t["passed"] / denominator >= 0.95
    assert t["flaky"] == t["quarantined"]  # every flaky test was quarantined
    # The second pass re-ran what can differ and a sample of the read-only tests, and says so.
    assert re.fullmatch(
        r"the passes after the first re-ran \d+ of \d+ tests: .* only read pages .*", s["recheck"]
    ), s["recheck"]
    assert f"Reruns: {s['recheck']}." in Path(s["artifacts"]["report_md"]).read_text()
    out = Path(demo_run.summary_path).parent
    suite = json.loads((Path(s["artifacts"]["tests_dir"]) / "suite.json").read_text())
    runs = {
        r["test_id"]: r["runs"]
        for r in json.loads((out / "results.json").read_text())["results"]
    }
    kinds = {g["test_id"]: g["kind"] for g in suite["tests"]}
    outcomes = {
        r["test_id"]: r["outcome"]
        for r in json.loads((out / "results.json").read_text())["results"]
    }
    # Every page the HTTP walk found has its check, one parametrised test, and they pass
    # (the admin pages too: the suite's login is shared with them).
    pages = [t for t, k in kinds.items() if k == "page-answers"]
    assert len(pages) >= 12 and "test_page_checks.py::test_page_answers[admin]" in pages
    assert {outcomes[t] for t in pages} == {"passed"}, {t: outcomes[t] for t in pages}
    forms = [t for t, k in kinds.items() if k == "form-valid"]
    assert forms and all(len(runs[t]) == 2 for t in forms), "a form test was not re-run"
    assert any(len(runs[t]) == 1 for t, k in kinds.items() if k == "page-loads")
    kinds = {(f["kind"], f["where"].rsplit("/", 1)[-1]) for f in s["findings"]}
    assert ("broken-link", "about") in kinds and ("console-error", "reviews") in kinds
    assert demo_run.exit_code == 1  # deliberate defects


def test_the_agents_told_the_orchestrator_what_happened(
    demo_run: RunOutcome, demo_run_events: list[RunEvent]
) -> None:
    check_agent_events(demo_run_events, demo_run, passes=2)


def test_report_files_are_real_and_self_contained(demo_run: RunOutcome) -> None:
    a = demo_run.summary.artifacts
    html = Path(a.report_html).read_text()
    assert "<svg" in html and "What is wrong with the app" in html
    # No external asset: no src/href pointing anywhere but inside the page.
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert Path(a.report_pdf).read_bytes()[:5] == b"%PDF-"
    assert "## Findings" in Path(a.report_md).read_text()
    root = ET.parse(a.junit).getroot()
    assert int(root.find("testsuite").get("tests")) == demo_run.summary.tests.generated


def test_no_password_in_any_file_of_the_run(demo_run: RunOutcome) -> None:
    out = Path(demo_run.summary_path).parent
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in {".json", ".py", ".md", ".html", ".xml", ".feature"}:
            text = path.read_text(errors="ignore")
            assert '"password": "demo"' not in text and "password='demo'" not in text, path


def test_qaforge_test_reruns_the_kept_suite(
    demo_suite_dir: Path, demo_app: object, tmp_path: Path
) -> None:
    import shutil

    from typer.testing import CliRunner

    from qaforge.cli import app

    suite = tmp_path / "tests"
    shutil.copytree(demo_suite_dir, suite)
    # The modules holding the deliberate defects' tests, the page checks and the home page's
    # tests: what `qaforge test` does with a kept suite does not need all of it (CI time).
    kept = json.loads((suite / "suite.json").read_text())
    files = {t["file"] for t in kept["tests"] if t["expect_defect"]}
    files |= {"test_page_checks.py", "test_home.py"}
    kept["tests"] = [t for t in kept["tests"] if t["file"] in files]
    (suite / "suite.json").write_text(json.dumps(kept))
    for module in suite.glob("test_*.py"):
        if module.name not in files:
            module.unlink()
    url = demo_app.url  # type: ignore[attr-defined]
    r = CliRunner().invoke(
        app,
        [
            "test",
            str(suite),
            "--base-url",
            url,
            "--out",
            str(tmp_path / "out"),
            "--runs",
            "1",
            "--no-pdf",
        ],
    )
    assert r.exit_code == 1, r.output  # the deliberate defects are still there
    # Without --json: the summary table, the report's path and the run id (on stderr, with
    # the progress lines; stdout is for --json), no traceback.
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "Traceback" not in r.output
    rows = dict(
        (cells[0], cells[1])
        for line in r.output.splitlines()
        if len(cells := [c.strip() for c in line.strip("│┃ ").split("│")]) == 2
    )
    assert rows["tests generated"] == str(s["tests"]["generated"]), r.output
    assert rows["app defects"] == str(s["tests"]["app_defects"]), r.output
    assert rows["pass rate"].endswith("%"), r.output
    joined = "".join(r.output.split())  # a long path may wrap at the console's width
    assert f"report:{tmp_path / 'out' / 'report.html'}" in joined, r.output
    assert f"runid:{s['run_id']}" in joined, r.output
    assert s["tests"]["generated"] == len(json.loads((suite / "suite.json").read_text())["tests"])
    assert s["tests"]["app_defects"] >= 2 and s["tests"]["failed"] == 0
    assert s["crawl"]["templates"] >= 12  # crawl figures come from the model beside the suite
    assert (tmp_path / "out" / "report.html").exists()
    missing = CliRunner().invoke(app, ["test", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "has no suite.json" in missing.output


async def test_the_crawl_is_remembered_in_long_term_memory(demo_run: RunOutcome) -> None:
    from qaforge.models import AppModel
    from qaforge.store.vectors import LongTermMemory

    out = Path(demo_run.summary_path).parent
    model = AppModel.load(out / "model.json")
    memory = LongTermMemory(f"path:{out / 'home' / 'vectors'}")
    try:
        states = len(model.states)
        elements = sum(len(s.elements) for s in model.states)
        assert await memory.count() == states + elements
        cart = next(s for s in model.states if s.url_template.endswith("/cart"))
        remembered = await memory.get("state", cart.id, "demo-shop")
        assert remembered is not None and remembered["url"] == cart.url
    finally:
        await memory.close()


def test_a_suite_without_its_credentials_is_a_usage_error_not_defects(
    demo_suite_dir: Path, demo_app: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite logs in: without QAFORGE_USERNAME/PASSWORD it cannot start (exit 2, one line,
    the variables named), and no test is counted as an app defect."""
    import shutil

    from typer.testing import CliRunner

    from qaforge.cli import app

    suite = tmp_path / "tests"
    shutil.copytree(demo_suite_dir, suite)
    monkeypatch.delenv("QAFORGE_USERNAME", raising=False)
    monkeypatch.delenv("QAFORGE_PASSWORD", raising=False)
    url = demo_app.url  # type: ignore[attr-defined]
    args = ["test", str(suite), "--base-url", url, "--out", str(tmp_path / "out")]
    r = CliRunner().invoke(app, [*args, "--runs", "1", "--no-pdf", "--no-heal", "--json"])
    assert r.exit_code == 2, r.output
    errors = [line for line in r.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, r.output
    assert "QAFORGE_USERNAME" in errors[0] and "QAFORGE_PASSWORD" in errors[0]
    assert "Traceback" not in r.output
