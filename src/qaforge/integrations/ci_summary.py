"""What a pipeline shows of a run: a Markdown summary fit for a pull-request comment, GitHub
Actions annotations, and a patch of the heals (suggested, never applied to committed tests)."""

from __future__ import annotations

import difflib
from pathlib import Path

from qaforge.contracts.summary import RunSummary, percent
from qaforge.models import RunResults, TestOutcome, TestResult

# A comment GitHub accepts is at most 65536 characters; leave room for a header.
MAX_COMMENT = 60_000
MARKER = "<!-- qaforge-ci -->"


def _one_line(text: str, limit: int = 160) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _failed(results: RunResults | None) -> list[TestResult]:
    if results is None:
        return []
    bad = (TestOutcome.FAILED, TestOutcome.APP_DEFECT)
    return [r for r in results.results if r.outcome in bad]


def _heals(results: RunResults | None) -> list[tuple[str, str, str]]:
    if results is None:
        return []
    return [
        (h.test_id, h.old_locator, h.new_locator)
        for r in results.results
        for h in r.heals
        if h.accepted
    ]


def markdown(summary: RunSummary, results: RunResults | None, patch_name: str = "") -> str:
    """The pull-request comment: verdict, findings first, failed tests with their class and
    one-line reason, healed locators, quarantined tests, and where the reports are."""
    t = summary.tests
    code = summary.exit_code()
    verdict = "✅ all kept tests passed" if code == 0 else "❌ the app looks broken"
    if code and not (t.failed or t.app_defects):
        verdict = "⚠️ findings on the app"
    lines = [
        MARKER,
        f"## qaforge: {verdict}",
        "",
        f"**{summary.app or summary.target}** · {t.generated} tests · {t.passed} passed · "
        f"{t.failed} failed · {t.app_defects} app defects · {t.quarantined} quarantined · "
        f"pass rate {percent(summary.pass_rate)}",
        "",
    ]
    if summary.findings:
        lines += ["### Findings", "", "| kind | where | detail |", "|---|---|---|"]
        lines += [
            f"| {_cell(f.kind)} | {_cell(f.where)} | {_cell(_one_line(f.detail))} |"
            for f in summary.findings[:50]
        ]
        lines.append("")
    failed = _failed(results)
    if failed:
        lines += ["### Failed tests", "", "| test | class | reason |", "|---|---|---|"]
        for r in failed[:50]:
            cls = r.failure_class.value if r.failure_class else r.outcome.value
            lines.append(f"| `{_cell(r.test_id)}` | {cls} | {_cell(_one_line(r.message))} |")
        lines.append("")
    heals = _heals(results)
    if heals:
        lines += ["### Healed locators (suggested, not committed)", ""]
        lines += [f"- `{tid}`: `{old}` → `{new}`" for tid, old, new in heals[:50]]
        if patch_name:
            lines += ["", f"Apply them with `git apply {patch_name}` (in the run's artifacts)."]
        lines.append("")
    quarantined = [q for q in summary.quarantine if q.status == "quarantined"]
    if quarantined:
        lines += ["### Quarantined (flaky) tests", ""]
        lines += [
            f"- `{q.test_id}`: {_one_line(q.reason) or 'outcome changed'}" for q in quarantined
        ]
        lines.append("")
    if summary.stage_errors:
        lines += ["### Stages that failed", ""]
        lines += [f"- {_one_line(e)}" for e in summary.stage_errors]
        lines.append("")
    lines.append(
        f"<sub>run {summary.run_id} · {summary.durations.total:.0f}s · reports: "
        "report.html, report.md, junit.xml</sub>"
    )
    text = "\n".join(lines) + "\n"
    if len(text) > MAX_COMMENT:
        text = text[:MAX_COMMENT] + "\n\n… (cut: see report.md)\n"
    return text


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping of a message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(
    summary: RunSummary, results: RunResults | None, suite_dir: str = ""
) -> list[str]:
    """`::error` for failed tests and app defects, `::warning` for findings and quarantined
    tests (GitHub Actions shows them on the run and the pull request)."""
    out: list[str] = []
    for r in _failed(results)[:50]:
        cls = r.failure_class.value if r.failure_class else r.outcome.value
        path = r.test_id.partition("::")[0]
        file = f"{suite_dir.rstrip('/')}/{path}" if suite_dir else path
        title = _escape_property(f"{cls}: {r.test_id}")
        out.append(
            f"::error file={_escape_property(file)},title={title}::"
            f"{_escape_data(_one_line(r.message) or cls)}"
        )
    for f in summary.findings[:50]:
        title = _escape_property(f"qaforge finding: {f.kind}")
        out.append(f"::warning title={title}::{_escape_data(f'{f.where}: {_one_line(f.detail)}')}")
    for q in summary.quarantine:
        if q.status == "quarantined":
            title = _escape_property(f"quarantined: {q.test_id}")
            out.append(f"::warning title={title}::{_escape_data(_one_line(q.reason) or 'flaky')}")
    return out


def heal_patch(original: Path, healed: Path, label: str) -> str:
    """A unified diff from the committed suite to the healed copy (`git apply`-able, paths
    under `label`); empty when nothing changed."""
    chunks: list[str] = []
    for new in sorted(healed.rglob("*.py")):
        rel = new.relative_to(healed)
        old = original / rel
        if "__pycache__" in rel.parts or not old.is_file():
            continue
        before = old.read_text(encoding="utf-8").splitlines(keepends=True)
        after = new.read_text(encoding="utf-8").splitlines(keepends=True)
        if before == after:
            continue
        name = f"{label.strip('/')}/{rel.as_posix()}"
        chunks.append(f"diff --git a/{name} b/{name}\n")
        chunks.extend(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"))
    return "".join(chunks)
