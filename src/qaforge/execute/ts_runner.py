"""Run a generated TypeScript suite with Playwright Test in a subprocess and read back what
happened, as `run_pytest` does for a Python suite (same environment, same result type)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import defusedxml.ElementTree as safe_xml

from qaforge.config import Settings
from qaforge.execute.junit import JunitError, read_junit
from qaforge.execute.runner import (
    CaseResult,
    PytestRun,
    run_captured,
    run_environment,
    workers_for,
)
from qaforge.generate.ts_toolchain import default_cache_root, ensure_toolchain, link_toolchain
from qaforge.models import Auth, GeneratedTest, TestSuite

# How Playwright joins a test's title path (describe › title) in JUnit and in a test list.
TITLE_SEP = " › "
# The emitter's suffix on the title of a test written to document a defect the crawl saw.
DEFECT_MARK = " [app-defect]"
_ATTACHMENT = re.compile(r"\[\[ATTACHMENT\|(.+?)\]\]")


def area_of(file: str) -> str:
    """`cart.spec.ts` → `cart`: the emitter's describe block is named after the area."""
    return file.removesuffix(".spec.ts")


def title_of(test: GeneratedTest) -> str:
    """The test's title as the spec file declares it."""
    return test.function + (DEFECT_MARK if test.expect_defect else "")


def selection_line(test: GeneratedTest) -> str:
    """The `--test-list` line that runs exactly `test`: file › describe › title."""
    return TITLE_SEP.join((test.file, area_of(test.file), title_of(test)))


def case_ids(suite: TestSuite) -> dict[tuple[str, str], str]:
    """(JUnit classname, JUnit name) → the suite's test id.

    Playwright's JUnit names a case by its file and `describe › title`; the suite names it
    `file::test_name`, so the two are matched through the suite's own record of each test."""
    return {
        (t.file, TITLE_SEP.join((area_of(t.file), title_of(t)))): t.test_id
        for t in suite.tests
        if t.file and t.function
    }


def _attachments(path: Path) -> dict[tuple[str, str], tuple[str, ...]]:
    """The files Playwright attached to each case (trace, screenshot), from its system-out;
    it writes them relative to the JUnit file's folder."""
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    root = safe_xml.parse(str(path)).getroot()
    for case in root.iter("testcase"):
        text = "".join(el.text or "" for el in case.iter("system-out"))
        found = tuple(str((path.parent / p.strip()).resolve()) for p in _ATTACHMENT.findall(text))
        if found:
            out[(case.get("classname") or "", case.get("name") or "")] = found
    return out


def parse_playwright_junit(path: Path, ids: dict[tuple[str, str], str]) -> dict[str, CaseResult]:
    """Per-test outcomes, keyed by the suite's test ids, from Playwright's JUnit XML.

    A case the suite does not list (a spec edited by hand) keeps `file::title` as its id."""
    attached = _attachments(path)
    out: dict[str, CaseResult] = {}
    for case in read_junit(path):
        key = (case.classname, case.name)
        tid = ids.get(key) or f"{case.classname}::{case.name}"
        out[tid] = CaseResult(
            tid, case.outcome, case.message[:4000], case.time, attachments=attached.get(key, ())
        )
    return out


def _load_suite(suite_dir: Path) -> TestSuite:
    return TestSuite.model_validate_json((suite_dir / "suite.json").read_text(encoding="utf-8"))


async def run_playwright(
    suite_dir: Path,
    base_url: str,
    out_dir: Path,
    settings: Settings,
    run_index: int = 0,
    select: list[str] | None = None,
    workers: int = 2,
    test_timeout_s: float = 60.0,
    artifacts: bool = True,
    login: Auth | None = None,
) -> PytestRun:
    """Run the suite (or the `select`ed tests: `selection_line`s) once with `playwright test`;
    JUnit and traces go under `out_dir`. Without `artifacts` no trace or screenshot is kept."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # npm may run for minutes on a first install: off the event loop.
    node_modules = await asyncio.to_thread(ensure_toolchain, default_cache_root())
    link_toolchain(suite_dir, node_modules)
    junit = out_dir / f"playwright-run{run_index}.xml"
    if junit.exists():
        junit.unlink()  # a file left by an earlier run must not pass for this one's
    args = [
        str(node_modules / ".bin" / "playwright"),
        "test",
        f"--output={out_dir / f'artifacts-run{run_index}'}",
        f"--trace={'retain-on-failure' if artifacts else 'off'}",
        f"--timeout={int(test_timeout_s * 1000)}",
    ]
    if select is not None:
        # Exact titles, not a --grep pattern: a title is page text and may hold anything.
        listing = out_dir / f"select-run{run_index}.txt"
        listing.write_text("".join(f"{line}\n" for line in select), encoding="utf-8")
        args.append(f"--test-list={listing}")
    n = workers_for(len(select), workers) if select else workers
    args.append(f"--workers={max(1, n)}")
    env = run_environment(settings, base_url, login)
    env["PLAYWRIGHT_JUNIT_OUTPUT_FILE"] = str(junit)
    env["QAFORGE_SCREENSHOT"] = "only-on-failure" if artifacts else "off"
    run = await run_captured(args, suite_dir, env)
    if junit.exists():
        run.junit = junit
        try:
            run.cases = parse_playwright_junit(junit, case_ids(_load_suite(suite_dir)))
        except (JunitError, safe_xml.ParseError) as exc:
            run.output += f"\n{exc}"
    return run
