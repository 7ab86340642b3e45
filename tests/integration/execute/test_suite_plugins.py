"""The suite's pytest loads the plugins a generated suite needs, by name, and no others
(unless QAFORGE_PYTEST_AUTOLOAD asks for all)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from qaforge.config import Settings
from qaforge.execute.runner import run_pytest

TEST = '''
def test_plugins(request):
    pm = request.config.pluginmanager
    # What a generated suite needs is there ...
    assert pm.has_plugin("pytest_playwright.pytest_playwright") or pm.has_plugin("playwright")
    assert pm.hasplugin("timeout") or pm.has_plugin("pytest_timeout")
    assert request.config.getini("qaforge_fixtures") == "plugin"
    # ... and a plugin of the environment no generated test uses is not.
    assert not pm.has_plugin("hypothesispytest"), "autoloaded"
'''


def _suite(tmp_path: Path) -> Path:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider -p qaforge.pytest_plugin\n"
        "qaforge_fixtures = plugin\n"
    )
    (suite / "test_plugins.py").write_text(TEST)
    return suite


def _run(tmp_path: Path, settings: Settings) -> str:
    run = asyncio.run(
        run_pytest(_suite(tmp_path), "http://127.0.0.1:9/", tmp_path / "out", settings,
                   workers=1, artifacts=False)
    )
    return run.cases["test_plugins.py::test_plugins"].outcome


def test_only_the_plugins_a_suite_needs(tmp_path: Path) -> None:
    assert _run(tmp_path, Settings(home=tmp_path / "home")) == "passed"


def test_autoload_loads_every_plugin(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", pytest_autoload=True)
    assert _run(tmp_path, settings) == "failed"

