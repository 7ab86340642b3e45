"""`qaforge llm check` and `qaforge llm prompts` through the real front door, against a local
server speaking the OpenAI protocol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.fake_llm import FakeLLM
from tests.integration.cli.conftest import Run, one_error


def test_check_without_an_endpoint_says_how_to_set_one(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QAFORGE_LLM_URL", raising=False)
    code, output = cli("llm", "check")
    assert code == 2 and "QAFORGE_LLM_URL" in one_error(output)


def test_check_lists_the_models_and_passes_when_ours_are_there(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeLLM(models=["planner", "helper"], key="sk-cli-test") as llm:
        monkeypatch.setenv("QAFORGE_LLM_URL", llm.url)
        monkeypatch.setenv("QAFORGE_LLM_MODEL", "planner")
        monkeypatch.setenv("QAFORGE_LLM_MODEL_SMALL", "helper")
        monkeypatch.setenv("QAFORGE_LLM_API_KEY", "sk-cli-test")
        code, output = cli("llm", "check", "--json")
        assert code == 0, output
        found = json.loads(output[output.index("{") :])
        assert found["ok"] and found["models"] == ["helper", "planner"]
        assert "sk-cli-test" not in output
        monkeypatch.setenv("QAFORGE_LLM_MODEL", "absent")
        code, output = cli("llm", "check")
        assert code == 2 and "NOT listed" in output


def test_check_of_a_wrong_key_is_a_usage_error_naming_the_status(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeLLM(key="right") as llm:
        monkeypatch.setenv("QAFORGE_LLM_URL", llm.url)
        monkeypatch.setenv("QAFORGE_LLM_API_KEY", "wrong")
        code, output = cli("llm", "check")
    assert code == 2 and "HTTP 401" in output


def test_prompts_lists_built_in_and_overridden_prompts(
    cli: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "plan.md").write_text(
        "---\nname: plan-goal\nversion: 9\ntier: strong\nanswer: GoalPlan\n---\n"
        "# User\nPlan {{ goal | data }} over {{ model | data }}\n"
    )
    monkeypatch.setenv("QAFORGE_PROMPTS_DIR", str(mine))
    code, output = cli("llm", "prompts", "--json")
    assert code == 0, output
    [plan] = [p for p in json.loads(output[output.index("[") :]) if p["name"] == "plan-goal"]
    assert plan["variant"].startswith("plan-goal@v9-") and plan["path"] == str(mine / "plan.md")
    (mine / "broken.md").write_text("---\nname: broken\n---\n# User\nx\n")
    code, output = cli("llm", "prompts")
    assert code == 2 and "broken.md lacks" in one_error(output)


def test_a_goal_without_a_language_model_is_refused_before_anything_starts(
    cli: Run, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, output = cli("run", "http://127.0.0.1:9/", "--out", str(out), "--goal", "buy a lamp")
    assert code == 2 and "--goal and --stories needs a language model" in one_error(output)
    assert "QAFORGE_LLM_URL" in output and not out.exists()
    stories = tmp_path / "stories.md"
    stories.write_text("# nothing but a heading\n")
    code, output = cli("run", "http://127.0.0.1:9/", "--out", str(out), "--stories", str(stories))
    assert code == 2 and "holds no user story" in one_error(output)


def test_triage_without_a_language_model_is_refused(cli: Run, tmp_path: Path) -> None:
    code, output = cli("run", "http://127.0.0.1:9/", "--out", str(tmp_path / "o"), "--triage")
    assert code == 2 and "--triage needs a language model" in one_error(output)
