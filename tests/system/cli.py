"""Running `qaforge` as a real process in system tests (kill -9 needs a process of its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
QAFORGE = str(Path(sys.executable).parent / "qaforge")


def env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a qaforge process: its own home, the fakes importable."""
    e = dict(os.environ)
    e.update({"QAFORGE_HOME": str(home), "PYTHONPATH": str(ROOT), "COLUMNS": "200"})
    e.pop("QAFORGE_DATABASE_URL", None)
    e.update(extra)
    return e


def start(args: list[str], home: Path, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    """Start `qaforge ARGS` in the background, output to `log`."""
    out = log.open("wb")
    return subprocess.Popen(
        [QAFORGE, *args], cwd=ROOT, env=env(home, **extra), stdout=out, stderr=subprocess.STDOUT
    )


def _invoke(
    args: list[str], home: Path, timeout: float, extra: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [QAFORGE, *args],
        cwd=ROOT,
        env=env(home, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run(args: list[str], home: Path, timeout: float = 120, **extra: str) -> tuple[int, str]:
    """Run `qaforge ARGS` to the end; exit code and output."""
    p = _invoke(args, home, timeout, extra)
    return p.returncode, p.stdout + p.stderr


def run_json(
    args: list[str], home: Path, timeout: float = 120, **extra: str
) -> tuple[int, Any, str]:
    """Run `qaforge ARGS --json`; exit code, the JSON on stdout (None if none), stderr."""
    p = _invoke(args, home, timeout, extra)
    data = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, data, p.stderr


def runs(home: Path, **extra: str) -> list[dict[str, Any]]:
    """`qaforge runs --json`."""
    code, out = run(["runs", "--json"], home, **extra)
    assert code == 0, out
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `cond` until true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
