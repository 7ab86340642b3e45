"""The GitHub Action: action.yml's steps, and its scripts run as a runner would run them
(GitHub's environment files, a local fake of GitHub's REST API for the comment)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from qaforge.demoapp.launcher import DemoApp
from tests.fixtures.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[3]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_yml_steps_use_scripts_and_inputs_that_exist() -> None:
    assert ACTION["runs"]["using"] == "composite"
    inputs = set(ACTION["inputs"])
    for step in ACTION["runs"]["steps"]:
        run = step.get("run", "")
        if "action/" in run:
            script = run.split("$GITHUB_ACTION_PATH/", 1)[1].split('"', 1)[0]
            assert (ROOT / script).is_file() and os.access(ROOT / script, os.X_OK), script
        for value in (step.get("env") or {}).values():
            if "inputs." in str(value):
                assert str(value).split("inputs.", 1)[1].split(" ", 1)[0] in inputs, value
    for name, out in ACTION["outputs"].items():
        assert "steps.ci.outputs." + name in out["value"]


def _runner_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("QAFORGE_USERNAME", "QAFORGE_PASSWORD", "QAFORGE_DATABASE_URL"):
        env.pop(name, None)
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}:{env['PATH']}",
            "QAFORGE_HOME": str(tmp_path / "home"),
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "GITHUB_REPOSITORY": "acme/shop",
            "COLUMNS": "200",
        }
    )
    env.update(extra)
    return env


@pytest.mark.browser
def test_the_action_explores_a_preview_and_comments_once_on_the_pull_request(
    tmp_path: Path, demo_app: DemoApp
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 7}}))
    out = tmp_path / "qaforge-out"
    env = _runner_env(
        tmp_path,
        INPUT_URL=demo_app.url,
        INPUT_TIME_BUDGET="30",
        INPUT_MAX_TESTS="4",
        INPUT_ARGS="--max-states 8 --no-pdf",
        INPUT_OUT=str(out),
    )
    step = subprocess.run(
        [str(ROOT / "action" / "run.sh")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert step.returncode == 0, step.stdout + step.stderr
    outputs = dict(
        line.split("=", 1) for line in Path(env["GITHUB_OUTPUT"]).read_text().splitlines()
    )
    assert outputs["exit-code"] == "0" and float(outputs["pass-rate"]) == 1.0
    assert Path(outputs["report"]).is_file() and (out / "junit.xml").is_file()
    md = (out / "ci-summary.md").read_text()
    assert "all kept tests passed" in md
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text().strip() == md.strip()
    assert "::error" not in step.stdout

    with FakeGitHub(token="ghs-abc") as gh:
        env.update(
            {"GITHUB_TOKEN": "ghs-abc", "GITHUB_API_URL": gh.url, "GITHUB_EVENT_PATH": str(event)}
        )
        for _ in range(2):  # a second push edits the comment, never adds one
            done = subprocess.run(
                [str(ROOT / "action" / "comment.sh")],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stdout + done.stderr
        comments = gh.comments[("acme/shop", 7)]
        assert len(comments) == 1 and comments[0]["body"] == md
        assert ("PATCH", f"/repos/acme/shop/issues/comments/{comments[0]['id']}") in gh.requests
        # A wrong token is an error that says what GitHub answered.
        env["GITHUB_TOKEN"] = "wrong"
        bad = subprocess.run(
            [str(ROOT / "action" / "comment.sh")],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert bad.returncode == 2 and "401" in bad.stderr and "Bad credentials" in bad.stderr


def test_the_action_without_url_or_suite_says_so(tmp_path: Path) -> None:
    env = _runner_env(tmp_path)
    step = subprocess.run(
        [str(ROOT / "action" / "run.sh")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert step.returncode == 0 and "::error title=qaforge::give the action a url" in step.stdout
    assert Path(env["GITHUB_OUTPUT"]).read_text() == "exit-code=2\n"
