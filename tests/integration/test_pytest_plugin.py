"""qaforge's pytest plugin: generated suites get their fixtures from it, so a fix to the plugin
reaches a suite generated before the fix; `--standalone` suites carry their own; any other
pytest session is left alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qaforge
from qaforge.cli import app
from qaforge.demoapp.launcher import DemoApp

# The shop's deliberate defect: its reviews page logs this console error.
CONSOLE_ERROR = "reviews widget failed to load"


def pytest_run(
    suite: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", *args],
        cwd=suite,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def generate(model: Path, out: Path, *extra: str) -> Path:
    r = CliRunner().invoke(app, ["generate", str(model), "--out", str(out), *extra])
    assert r.exit_code == 0, r.output
    return out / "tests"


def released_fix(root: Path) -> Path:
    """A copy of qaforge whose fixtures no longer count the shop's console error: what a
    release of the plugin with a fix looks like to a suite (found first on PYTHONPATH)."""
    package = root / "qaforge"
    shutil.copytree(
        Path(qaforge.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    fixtures = package / "pytest_fixtures.py"
    source = fixtures.read_text()
    old = 'and "ResizeObserver loop" not in m.text'
    assert source.count(old) == 1
    fixtures.write_text(source.replace(old, old + f" and {CONSOLE_ERROR!r} not in m.text"))
    return root


@pytest.mark.browser
@pytest.mark.slow
def test_an_old_suite_picks_up_a_plugin_fix_without_being_regenerated(
    demo_model_path: Path, demo_app: DemoApp, tmp_path: Path
) -> None:
    plugin_suite = generate(demo_model_path, tmp_path / "plugin")
    standalone_suite = generate(demo_model_path, tmp_path / "standalone", "--standalone")
    # The plugin's suite: a conftest of a few lines, no fixture of its own.
    conftest = (plugin_suite / "conftest.py").read_text()
    assert len(conftest.splitlines()) < 20 and "def " not in conftest
    assert "qaforge_fixtures = plugin" in (plugin_suite / "pytest.ini").read_text()
    assert "def console_errors(" in (standalone_suite / "conftest.py").read_text()

    env = {"QAFORGE_BASE_URL": demo_app.url, "QAFORGE_USERNAME": "demo", "QAFORGE_PASSWORD": "demo"}
    select = ["-k", "reviews and loads"]
    for suite in (plugin_suite, standalone_suite):
        before = pytest_run(suite, *select, env=env)
        assert before.returncode == 1 and CONSOLE_ERROR in before.stdout, before.stdout[-3000:]

    fixed = {**env, "PYTHONPATH": str(released_fix(tmp_path / "release"))}
    after = pytest_run(plugin_suite, *select, env=fixed)
    assert after.returncode == 0, after.stdout[-3000:]
    assert " passed" in after.stdout and "failed" not in after.stdout
    # The standalone suite keeps the fixtures it was written with.
    kept = pytest_run(standalone_suite, *select, env=fixed)
    assert kept.returncode == 1 and CONSOLE_ERROR in kept.stdout, kept.stdout[-3000:]


SETTINGS_TEST = """
def test_settings(qaforge_settings, base_url):
    print("TIMEOUT", qaforge_settings.timeout_ms, "BASE", base_url, "LOGIN", qaforge_settings.login_path)
"""


def _settings_suite(root: Path, ini: str) -> Path:
    root.mkdir()
    (root / "pytest.ini").write_text(ini)
    (root / "test_settings.py").write_text(SETTINGS_TEST)
    return root


def _printed(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 0, run.stdout + run.stderr
    return next(line for line in run.stdout.splitlines() if line.startswith("TIMEOUT"))


def test_the_suites_settings_come_from_pytest_ini_and_the_command_line_and_environment_win(
    tmp_path: Path,
) -> None:
    from qaforge.generate.conftest_py import pytest_ini

    suite = _settings_suite(
        tmp_path / "s", pytest_ini("http://app.test:9", "/login", False, 7000, standalone=False)
    )
    clean = {"QAFORGE_BASE_URL": "", "QAFORGE_TIMEOUT_MS": ""}
    assert _printed(pytest_run(suite, "-s", env=clean)) == (
        "TIMEOUT 7000 BASE http://app.test:9 LOGIN /login"
    )
    env = {"QAFORGE_BASE_URL": "http://other.test:1/", "QAFORGE_TIMEOUT_MS": "9000"}
    assert _printed(pytest_run(suite, "-s", env=env)) == (
        "TIMEOUT 9000 BASE http://other.test:1 LOGIN /login"
    )
    printed = _printed(pytest_run(suite, "-s", "--qaforge-timeout-ms=1234", env=env))
    assert printed.startswith("TIMEOUT 1234 ")
    helped = pytest_run(suite, "--help")
    assert "--qaforge-timeout-ms" in helped.stdout and "qaforge_base_url" in helped.stdout


def test_any_other_pytest_session_is_left_alone(tmp_path: Path) -> None:
    suite = tmp_path / "other"
    suite.mkdir()
    (suite / "pytest.ini").write_text("[pytest]\n")
    (suite / "test_other.py").write_text(
        "def test_idle(pytestconfig):\n"
        "    pm = pytestconfig.pluginmanager\n"
        "    assert pm.has_plugin('qaforge.pytest_plugin')\n"
        "    assert not pm.has_plugin('qaforge-fixtures')\n"
        "\n"
        "def test_no_qaforge_fixture(request):\n"
        "    assert 'qaforge_settings' not in request.fixturenames\n"
        "    import pytest\n"
        "    with pytest.raises(pytest.FixtureLookupError):\n"
        "        request.getfixturevalue('qaforge_settings')\n"
    )
    run = pytest_run(suite)
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout + run.stderr
