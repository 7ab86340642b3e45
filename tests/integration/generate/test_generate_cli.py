"""`qaforge generate` on the crawled demo model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qaforge.cli import app

pytestmark = pytest.mark.browser


def test_generate_json_and_errors(demo_model_path: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app,
        ["generate", str(demo_model_path), "--out", str(tmp_path), "--max-tests", "12", "--json"],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["tests"] == 12
    assert any("covered by no test" in n for n in doc["notes"])
    bad = CliRunner().invoke(app, ["generate", str(demo_model_path), "--strategy", "nope"])
    assert bad.exit_code == 2 and "unknown strategy 'nope'" in bad.output
    missing = CliRunner().invoke(app, ["generate", str(tmp_path / "none.json")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
