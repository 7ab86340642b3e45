"""Helpers for the front-door tests: the real `qaforge` process, or `run_app` in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from qaforge.commands import common

ROOT = Path(__file__).resolve().parents[3]
ERROR_PREFIXES = ("error:", "internal error:")


def error_lines(output: str) -> list[str]:
    """Lines that report an error (`error:`, click's `Error:`, `internal error:`)."""
    return [line for line in output.splitlines() if line.lower().startswith(ERROR_PREFIXES)]


def one_error(output: str) -> str:
    """The single error line of `output`; no traceback anywhere."""
    assert "Traceback" not in output, output
    lines = error_lines(output)
    assert len(lines) == 1, output
    return lines[0]


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh QAFORGE_HOME for in-process runs; nothing of the caller's environment leaks."""
    h = tmp_path / "home"
    monkeypatch.setenv("QAFORGE_HOME", str(h))
    monkeypatch.setenv("COLUMNS", "200")
    for name in (
        "QAFORGE_DATABASE_URL",
        "QAFORGE_BUS_URL",
        "QAFORGE_CHROMIUM",
        "QAFORGE_PASSWORD",
        "QAFORGE_USERNAME",
        "QAFORGE_HTTP_CREDENTIALS",
        "QAFORGE_LLM_URL",
        "QAFORGE_LLM_MODEL",
        "QAFORGE_LLM_MODEL_SMALL",
        "QAFORGE_LLM_API_KEY",
        "QAFORGE_PROMPTS_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray ./qaforge.toml, relative paths land here
    common._ENDPOINTS.clear()
    yield h
    common._ENDPOINTS.clear()


Run = Callable[..., "tuple[int, str]"]


@pytest.fixture()
def cli(home: Path, capfd: pytest.CaptureFixture[str]) -> Run:
    """`qaforge ARGS` in this process through the real front door (`cli.run_app`)."""
    from qaforge.cli import app, run_app

    def run(*args: str) -> tuple[int, str]:
        capfd.readouterr()
        code = run_app(app, list(args))
        out, err = capfd.readouterr()
        return code, out + err

    return run


@pytest.fixture()
def qaforge(home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`python -m qaforge.cli ARGS` as a real process with its own QAFORGE_HOME."""

    def run(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        e = dict(os.environ)
        e.update({"QAFORGE_HOME": str(home), "COLUMNS": "200", "PYTHONPATH": str(ROOT)})
        e.pop("CI", None)
        e.update(env)
        return subprocess.run(
            [sys.executable, "-m", "qaforge.cli", *args],
            cwd=home.parent,
            env=e,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
