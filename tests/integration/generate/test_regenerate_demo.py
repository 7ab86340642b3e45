"""Generating again into a folder that holds an earlier suite keeps what a person did there."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from qaforge.cli import app


def generate(model: Path, out: Path, *extra: str) -> dict[str, object]:
    r = CliRunner().invoke(app, ["generate", str(model), "--out", str(out), "--json", *extra])
    assert r.exit_code == 0, r.output
    result: dict[str, object] = json.loads(r.output)
    return result


def functions(path: Path) -> dict[str, str]:
    """Each test function's source, its decorators included."""
    source = path.read_text()
    lines = source.splitlines(keepends=True)
    return {
        n.name: "".join(
            lines[min([n.lineno, *(d.lineno for d in n.decorator_list)]) - 1 : n.end_lineno]
        )
        for n in ast.parse(source).body
        if isinstance(n, ast.FunctionDef)
    }


def origins(suite: Path) -> dict[str, str]:
    doc = json.loads((suite / "suite.json").read_text())
    return {t["test_id"]: t["origin"] for t in doc["tests"]}


def test_edited_added_and_own_tests_stay_and_tests_not_found_again_are_listed(
    demo_model_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "gen"
    generate(demo_model_path, out)
    suite = out / "tests"
    files = sorted(p.name for p in suite.glob("test_*.py") if p.name != "test_page_checks.py")
    assert len(files) >= 3
    # A person edits a test, adds one, deletes one, and writes a file of their own.
    edited_file, deleted_file = suite / files[0], suite / files[1]
    name, body = next(iter(functions(edited_file).items()))
    mine = body.replace('"""', '"""My note.\n    ', 1)
    edited_file.write_text(
        edited_file.read_text().replace(body, mine)
        + "\n\ndef test_added_by_me(page: Page) -> None:\n    page.goto('/')\n"
    )
    gone, gone_body = next(iter(functions(deleted_file).items()))
    deleted_file.write_text(deleted_file.read_text().replace(gone_body, ""))
    (suite / "test_own.py").write_text("def test_mine() -> None:\n    assert True\n")
    before = set(origins(suite))

    # Generate again with fewer tests: those left out are "not found again" and stay.
    second = generate(demo_model_path, out, "--max-tests", "8")
    kinds = origins(suite)
    assert kinds[f"{files[0]}::{name}"] == "edited"
    assert kinds[f"{files[0]}::test_added_by_me"] == "added"
    assert f"{files[1]}::{gone}" not in kinds
    assert mine in edited_file.read_text() and "test_added_by_me" in edited_file.read_text()
    assert gone not in functions(deleted_file)
    assert (suite / "test_own.py").read_text() == "def test_mine() -> None:\n    assert True\n"
    not_seen = {t for t, k in kinds.items() if k == "not-seen"}
    assert not_seen, kinds
    # Every earlier test is still there, as a test of the suite, except the deleted one.
    assert before - {f"{files[1]}::{gone}"} <= set(kinds)
    notes = " ".join(str(n) for n in second["notes"])  # type: ignore[attr-defined]
    assert "kept as you edited them" in notes and "no longer found by the crawl" in notes
    assert second["kept"] == {  # type: ignore[comparison-overlap]
        "added": 1,
        "edited": 1,
        "not-seen": len(not_seen),
    }

    # A third generation, with everything found again: the edit is still the person's.
    generate(demo_model_path, out)
    kinds = origins(suite)
    assert kinds[f"{files[0]}::{name}"] == "edited"
    assert mine in edited_file.read_text()
    assert not any(k == "not-seen" for k in kinds.values())
    # The merged suite is one pytest can collect: every test once.
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=suite,
        capture_output=True,
        text=True,
        check=False,
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    ids = [line for line in collected.stdout.splitlines() if "::" in line]
    assert len(ids) == len(set(ids))
    assert any("test_added_by_me" in i for i in ids) and any("test_mine" in i for i in ids)


def test_a_suite_without_a_snapshot_is_moved_aside_not_deleted(
    demo_model_path: Path, tmp_path: Path
) -> None:
    suite = tmp_path / "gen" / "tests"
    suite.mkdir(parents=True)
    # An earlier suite without a snapshot: its suite.json lists its files.
    (suite / "test_old.py").write_text("def test_old() -> None:\n    assert True\n")
    (suite / "suite.json").write_text(json.dumps({"files": ["test_old.py"], "tests": []}))
    (suite / "test_mine.py").write_text("def test_mine() -> None:\n    assert True\n")
    result = generate(demo_model_path, tmp_path / "gen")
    moved = list((suite / ".qaforge" / "replaced").glob("*/test_old.py"))
    assert len(moved) == 1 and "test_old" in moved[0].read_text()
    assert not (suite / "test_old.py").exists()
    # A file of the person's own (not the earlier suite's) stays where it is.
    assert (suite / "test_mine.py").is_file()
    assert any("moved out of the way" in str(n) for n in result["notes"])  # type: ignore[attr-defined]
