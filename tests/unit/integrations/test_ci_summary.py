"""The pull-request summary, GitHub annotations and the heal patch."""

from __future__ import annotations

import subprocess
from pathlib import Path

from qaforge.contracts.summary import QuarantineItem, RunSummary, SummaryFinding, TestCounts
from qaforge.integrations.ci_summary import (
    MARKER,
    MAX_COMMENT,
    heal_patch,
    markdown,
    workflow_commands,
)
from qaforge.models import FailureClass, Heal, RunResults, TestOutcome, TestResult


def _summary(**kw: object) -> RunSummary:
    base: dict[str, object] = {"target": "http://app.test/", "app": "shop", "run_id": "run-1"}
    base.update(kw)
    return RunSummary.model_validate(base)


def _results() -> RunResults:
    return RunResults(
        suite_dir="tests",
        results=[
            TestResult(test_id="test_a.py::test_ok", outcome=TestOutcome.PASSED),
            TestResult(
                test_id="test_cart.py::test_total",
                outcome=TestOutcome.APP_DEFECT,
                failure_class=FailureClass.APP_DEFECT,
                message="AssertionError: total is 12, expected 14\nlong traceback",
            ),
            TestResult(
                test_id="test_items.py::test_add",
                outcome=TestOutcome.HEALED,
                heals=[
                    Heal(
                        test_id="test_items.py::test_add",
                        old_locator="get_by_role('button', name='Add')",
                        new_locator="get_by_role('button', name='Add to basket')",
                        score=0.9,
                        accepted=True,
                    )
                ],
            ),
        ],
    )


def test_findings_come_first_then_failures_with_class_and_one_line_reason() -> None:
    s = _summary(
        tests=TestCounts(generated=3, passed=1, healed=1, app_defects=1),
        findings=[SummaryFinding(kind="http-500", where="/cart", detail="500 on | submit")],
        quarantine=[
            QuarantineItem(
                test_id="test_x.py::test_flaky", status="quarantined", reason="passed then failed"
            )
        ],
    )
    md = markdown(s, _results(), "report.patch")
    assert md.startswith(MARKER) and "❌" in md
    assert md.index("### Findings") < md.index("### Failed tests") < md.index("### Healed")
    assert "500 on \\| submit" in md  # a table cell keeps its pipe
    assert (
        "| `test_cart.py::test_total` | app-defect | AssertionError: total is 12, expected 14 |"
        in md
    )
    assert "long traceback" not in md
    assert (
        "`get_by_role('button', name='Add')` → `get_by_role('button', name='Add to basket')`" in md
    )
    assert "git apply report.patch" in md and "test_x.py::test_flaky" in md


def test_a_green_run_says_so_and_a_huge_one_is_cut_to_fit_a_comment() -> None:
    assert "✅ all kept tests passed" in markdown(
        _summary(tests=TestCounts(generated=2, passed=2)), None
    )
    many = [SummaryFinding(kind="k", where=f"/p{i}", detail="x" * 2000) for i in range(60)]
    assert len(markdown(_summary(findings=many), None)) <= MAX_COMMENT + 100


def test_annotations_escape_what_github_would_read_as_syntax() -> None:
    s = _summary(findings=[SummaryFinding(kind="console", where="/a", detail="50% done\nnext")])
    lines = workflow_commands(s, _results(), "e2e")
    err = next(line for line in lines if line.startswith("::error"))
    assert err.startswith(
        "::error file=e2e/test_cart.py,title=app-defect%3A test_cart.py%3A%3Atest_total::"
    )
    warn = next(line for line in lines if line.startswith("::warning"))
    assert "50%25 done" in warn and "\n" not in warn


def test_the_heal_patch_applies_to_the_committed_suite(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "e2e").mkdir(parents=True)
    (repo / "e2e" / "test_items.py").write_text(
        "def test_add(page):\n    page.get_by_role('button', name='Add').click()\n"
    )
    (repo / "e2e" / "test_same.py").write_text("x = 1\n")
    healed = tmp_path / "healed"
    healed.mkdir()
    (healed / "test_items.py").write_text(
        "def test_add(page):\n    page.get_by_role('button', name='Add to basket').click()\n"
    )
    (healed / "test_same.py").write_text("x = 1\n")
    patch = heal_patch(repo / "e2e", healed, "e2e")
    assert patch.count("diff --git") == 1 and "a/e2e/test_items.py" in patch
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "p.patch").write_text(patch)
    subprocess.run(["git", "apply", "p.patch"], cwd=repo, check=True)
    assert "Add to basket" in (repo / "e2e" / "test_items.py").read_text()
    assert heal_patch(healed, healed, "e2e") == ""
