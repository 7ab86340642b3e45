"""Which runner runs a suite: pytest for Python, Playwright Test for TypeScript. The one place
the execution engine looks at a suite's language; everything after a run (reruns,
classification, quarantine, reports) reads the same `PytestRun` whichever ran it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from qaforge.config import Settings
from qaforge.execute.runner import PytestRun, run_pytest
from qaforge.execute.ts_runner import run_playwright, selection_line
from qaforge.models import Auth, GeneratedTest, TestSuite


class RunFn(Protocol):
    """Run a suite once (all of it, or the `select`ed tests as the runner names them)."""

    def __call__(
        self,
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
    ) -> Awaitable[PytestRun]: ...


@dataclass(frozen=True)
class SuiteRunner:
    """A runner and how it is told to run one test."""

    name: str
    run: RunFn
    selector: Callable[[GeneratedTest], str]


def node_id(test: GeneratedTest) -> str:
    """The pytest node id that runs `test` (for every browser; a page check names its case)."""
    if not (test.file and test.function):
        return test.test_id
    case = test.test_id[test.test_id.find("[") :] if "[" in test.test_id else ""
    return f"{test.file}::{test.function}{case}"


PYTEST = SuiteRunner("pytest", run_pytest, node_id)
PLAYWRIGHT = SuiteRunner("playwright test", run_playwright, selection_line)


def runner_for(suite: TestSuite) -> SuiteRunner:
    """The runner of the suite's language."""
    return PLAYWRIGHT if suite.language == "typescript" else PYTEST
