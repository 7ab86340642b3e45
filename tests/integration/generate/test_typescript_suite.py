"""The TypeScript suite type-checks with tsc and runs with `npx playwright test`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qaforge.cli import app
from qaforge.demoapp.launcher import DemoApp
from qaforge.generate.ts_toolchain import ensure_toolchain, link_toolchain

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_ts_suite_typechecks_and_runs(
    demo_model_path: Path, demo_app: DemoApp, tmp_path: Path
) -> None:
    node_modules = ensure_toolchain(Path.home() / ".cache" / "qaforge")
    r = CliRunner().invoke(
        app, ["generate", str(demo_model_path), "--out", str(tmp_path), "--lang", "ts"]
    )
    assert r.exit_code == 0, r.output
    suite = tmp_path / "tests"
    link_toolchain(suite, node_modules)
    tsc = subprocess.run(
        [str(node_modules / ".bin" / "tsc"), "--noEmit", "-p", "."],
        cwd=suite,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr
    env = {
        **os.environ,
        "QAFORGE_BASE_URL": demo_app.url,
        "QAFORGE_USERNAME": "demo",
        "QAFORGE_PASSWORD": "demo",
    }
    run = subprocess.run(
        [
            str(node_modules / ".bin" / "playwright"),
            "test",
            "--reporter=line",
            "--grep",
            "loads|accepts valid data",
        ],
        cwd=suite,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    out = run.stdout + run.stderr
    # Only the deliberate defect (console error on /reviews) fails; it is labelled as such.
    assert " passed" in out, out[-3000:]
    assert "1 failed" in out and "/reviews loads [app-defect]" in out, out[-3000:]
