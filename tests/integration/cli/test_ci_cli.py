"""`qaforge ci` in both modes, as GitHub Actions runs it (its environment files)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from qaforge.demoapp.launcher import DemoApp
from tests.integration.cli.conftest import Run, one_error

pytestmark = pytest.mark.browser


@pytest.fixture()
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    files = {"summary": tmp_path / "step-summary.md", "output": tmp_path / "output.txt"}
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(files["summary"]))
    monkeypatch.setenv("GITHUB_OUTPUT", str(files["output"]))
    return files


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def _login(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shop's account, as a pipeline gives it (secrets in the environment)."""
    monkeypatch.setenv("QAFORGE_USERNAME", "demo")
    monkeypatch.setenv("QAFORGE_PASSWORD", "demo")


def _items_only(src: Path, dst: Path) -> Path:
    """The demo suite cut to its item-page tests (a committed suite, small)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    (dst / "quarantine.json").unlink(missing_ok=True)
    for f in dst.glob("test_*.py"):
        if f.name != "test_items.py":
            f.unlink()
    suite = json.loads((dst / "suite.json").read_text())
    suite["tests"] = [t for t in suite["tests"] if t["file"] == "test_items.py"]
    (dst / "suite.json").write_text(json.dumps(suite))
    return dst


def test_ci_runs_a_committed_suite_and_suggests_its_heals_as_a_patch(
    cli: Run,
    demo_suite_dir: Path,
    demo_app_with_bug: Callable[[str], DemoApp],
    github: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = tmp_path / "repo"
    committed = _items_only(demo_suite_dir, repo / "e2e")
    before = {p.name: p.read_text() for p in committed.glob("*.py")}
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo)
    _login(monkeypatch)
    app = demo_app_with_bug("renamed-add-button")  # the button's label and id changed
    out = tmp_path / "ci"
    code, output = cli("ci", "--suite", "e2e", "--base-url", app.url, "--out", str(out))
    # The click on the renamed button is healed; the item page's own check that "Add to
    # cart" is shown fails (the app did change), and the shop's deliberate defects are
    # findings: exit 1. The committed files are untouched.
    assert code == 1, output
    assert {p.name: p.read_text() for p in committed.glob("*.py")} == before
    patch = (out / "report.patch").read_text()
    assert "a/e2e/test_items.py" in patch and "+" in patch and "Add to basket" in patch
    subprocess.run(["git", "apply", "--check", str(out / "report.patch")], cwd=repo, check=True)
    md = (out / "ci-summary.md").read_text()
    assert "Healed locators" in md and "git apply report.patch" in md
    assert _outputs(github["output"])["patch"] == str(out / "report.patch")


def test_ci_annotates_failed_tests_and_exits_1_on_a_broken_app(
    cli: Run,
    demo_suite_dir: Path,
    demo_app_with_bug: Callable[[str], DemoApp],
    github: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _login(monkeypatch)
    committed = _items_only(demo_suite_dir, tmp_path / "e2e")
    app = demo_app_with_bug("dead-add-button")  # the button is there but does nothing
    out = tmp_path / "ci"
    code, output = cli("ci", "--suite", str(committed), "--base-url", app.url, "--out", str(out))
    assert code == 1, output
    errors = [line for line in output.splitlines() if line.startswith("::error file=")]
    assert errors and "test_items.py" in errors[0]
    md = (out / "ci-summary.md").read_text()
    assert "Failed tests" in md and "test_add_to_cart" in md
    assert _outputs(github["output"])["exit-code"] == "1"
    assert not (out / "report.patch").exists()


def test_ci_needs_a_url_or_a_suite(cli: Run) -> None:
    code, output = cli("ci")
    assert code == 2 and "--suite" in one_error(output)
