"""Run a generated suite with pytest in a subprocess and read back what happened."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from qaforge.config import Settings
from qaforge.crawl.auth import resolve_ref
from qaforge.execute.junit import JunitError, read_junit
from qaforge.models import Auth


@dataclass
class CaseResult:
    """One test's outcome in one pytest run."""

    test_id: str
    outcome: str  # passed, failed, error, skipped
    message: str = ""
    duration_s: float = 0.0
    # Files the runner named for this case (Playwright Test lists its trace and screenshot);
    # empty when they are found by name instead (pytest-playwright's folders).
    attachments: tuple[str, ...] = ()


@dataclass
class PytestRun:
    """One run of a suite, by whichever runner (pytest or Playwright Test)."""

    cases: dict[str, CaseResult] = field(default_factory=dict)
    server_errors: dict[str, list[str]] = field(default_factory=dict)
    returncode: int = 0
    junit: Path | None = None
    output: str = ""


# pytest-playwright's parameter: one test per browser, one qaforge test for all of them.
BROWSERS = frozenset({"chromium", "firefox", "webkit"})


def _without_browser(name: str) -> str:
    """`test_y[chromium]` → `test_y`; a page check's own parameter stays (`test_p[admin]`)."""
    base, _, params = name.partition("[")
    kept = params.removesuffix("]")
    return f"{base}[{kept}]" if kept and kept not in BROWSERS else base


def test_id_of(classname: str, name: str) -> str:
    """JUnit classname/name → `test_items.py::test_add_to_cart` (browser parameter dropped)."""
    module = classname.replace(".", "/") + ".py" if classname else ""
    return f"{module.split('/')[-1]}::{_without_browser(name)}"


def parse_junit(path: Path) -> dict[str, CaseResult]:
    """Per-test outcomes from a pytest JUnit XML file."""
    out: dict[str, CaseResult] = {}
    for case in read_junit(path):
        tid = test_id_of(case.classname, case.name)
        out[tid] = CaseResult(tid, case.outcome, case.message[:4000], case.time)
    return out


# What a generated suite runs on: pytest-playwright (--base-url, --tracing, --screenshot,
# --output), pytest-timeout, pytest-xdist (-n) and qaforge's own fixtures.
_PLUGINS = (
    *("-p", "pytest_playwright.pytest_playwright"),
    *("-p", "pytest_timeout"),
    *("-p", "xdist.plugin"),
    *("-p", "qaforge.pytest_plugin"),
)


# Tests that make a second parallel worker worth its start-up.
TESTS_PER_WORKER = 8


def workers_for(tests: int, workers: int) -> int:
    """Parallel workers for a run of `tests` tests: one more per `TESTS_PER_WORKER`, at most
    `workers`. Each worker starts a Python, a browser and a login of its own (seconds on a
    busy machine), which a handful of tests do not win back."""
    return max(1, min(workers, tests // TESTS_PER_WORKER))


async def run_pytest(
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
    """Run the suite (or the `select`ed test ids) once; JUnit and traces go under `out_dir`.

    Without `artifacts` no trace is recorded and no screenshot taken: a run whose failures are
    read from a later run need not pay for them (tracing every test is a good part of its time).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    junit = out_dir / f"pytest-run{run_index}.xml"
    events = out_dir / f"events-run{run_index}.jsonl"
    if events.exists():
        events.unlink()
    args = [
        sys.executable,
        "-m",
        "pytest",
        *(select or ["."]),
        "-q",
        "-p",
        "no:cacheprovider",
        # The plugins a suite needs, named: with every plugin of the environment loaded
        # (hypothesis, langsmith, ... in a developer's) each pytest and each xdist worker
        # spent seconds importing what no generated test uses.
        *(() if settings.pytest_autoload else _PLUGINS),
        f"--junitxml={junit}",
        f"--tracing={'retain-on-failure' if artifacts else 'off'}",
        f"--screenshot={'only-on-failure' if artifacts else 'off'}",
        f"--output={out_dir / f'artifacts-run{run_index}'}",
        f"--timeout={int(test_timeout_s)}",
        f"--base-url={base_url}",
    ]
    n = workers_for(len(select), workers) if select else workers
    if n > 1:
        args += ["-n", str(n)]
    env = run_environment(settings, base_url, login)
    env["QAFORGE_EVENTS"] = str(events)
    if not settings.pytest_autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    run = await run_captured(args, suite_dir, env)
    if junit.exists():
        run.junit = junit
        try:
            run.cases = parse_junit(junit)
        except JunitError as exc:
            # pytest stopped while writing it: its cases count as not run, and the output
            # says why.
            run.output += f"\n{exc}"
    if events.exists():
        for line in events.read_text(encoding="utf-8").splitlines():
            if line.strip():
                ev = json.loads(line)
                tid = test_id_of("", "") if not ev.get("test") else _nodeid_to_id(ev["test"])
                run.server_errors.setdefault(tid, []).extend(ev.get("server_errors", []))
    return run


def run_environment(settings: Settings, base_url: str, login: Auth | None) -> dict[str, str]:
    """The environment a suite runs in, whatever runs it (pytest, Playwright Test)."""
    env = suite_environment(os.environ)
    if login is not None:
        # The run's own credentials (a service drives runs of several apps in one process):
        # resolved here, handed to the suite in the two variables it reads.
        user, password = resolve_ref(login.username_ref), resolve_ref(login.password_ref)
        if user and password:
            env["QAFORGE_USERNAME"], env["QAFORGE_PASSWORD"] = user, password
    env["QAFORGE_BASE_URL"] = base_url
    chromium = settings.chromium_path()
    if chromium:
        env["QAFORGE_CHROMIUM"] = chromium
    return env


async def run_captured(args: list[str], cwd: Path, env: dict[str, str]) -> PytestRun:
    """Run a suite's runner; its exit code and the tail of its output."""
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=str(cwd),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    stdout, _ = await proc.communicate()
    return PytestRun(
        returncode=proc.returncode or 0, output=stdout.decode(errors="replace")[-20000:]
    )


def suite_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the suite's pytest: ours, with HTTP credentials given to qaforge
    (`--http-credentials`) as the one pair of variables a generated suite reads (DESIGN §7).

    Credentials travel only in the environment, never on the command line or in a file.
    A caller's own pytest state (an xdist worker's id, the current test) is not passed on:
    the suite's pytest is a session of its own."""
    env = {
        k: v
        for k, v in environ.items()
        if not (k.startswith("PYTEST_XDIST_") or k == "PYTEST_CURRENT_TEST")
    }
    basic = env.get("QAFORGE_HTTP_CREDENTIALS", "")
    user, sep, password = basic.partition(":")
    if sep and not (env.get("QAFORGE_USERNAME") and env.get("QAFORGE_PASSWORD")):
        env["QAFORGE_USERNAME"], env["QAFORGE_PASSWORD"] = user, password
    return env


def _nodeid_to_id(nodeid: str) -> str:
    path, _, name = nodeid.partition("::")
    return f"{path.split('/')[-1]}::{_without_browser(name)}"
