"""`qaforge mcp` through the official SDK's client over stdio, against the demo shop."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from qaforge.demoapp.launcher import DemoApp

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]


def _data(result: Any) -> Any:
    assert not result.is_error, result
    if result.structured_content is not None:
        data = result.structured_content
        return data.get("result", data) if isinstance(data, dict) and len(data) == 1 else data
    return json.loads(result.content[0].text)


async def test_an_assistant_runs_the_demo_shop_and_reads_the_results(
    demo_app: DemoApp, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAFORGE_")}
    env.update({"QAFORGE_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)})
    params = StdioServerParameters(
        command=str(Path(sys.executable).parent / "qaforge"), args=["mcp"], env=env, cwd=tmp_path
    )
    progress: list[tuple[float, str | None]] = []

    async def heard(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message))

    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        tools = {t.name for t in (await s.list_tools()).tools}
        assert {"crawl", "generate", "run", "test", "heal", "list_runs", "run_summary"} <= tools
        out = tmp_path / "run"
        result = await s.call_tool(
            "run",
            {
                "url": demo_app.url,
                "out": str(out),
                "max_tests": 3,
                "max_states": 6,
                "time_budget_s": 20,
            },
            progress_callback=heard,
        )
        ran = _data(result)
        assert ran["exit_code"] == 0 and ran["tests"]["generated"] >= 1
        assert ran["pass_rate"] == 1.0
        # Long work told its stages as it went.
        messages = [m for _, m in progress]
        assert "stage observe" in messages and "stage report" in messages
        assert [v for v, _ in progress] == sorted(v for v, _ in progress)

        runs = _data(await s.call_tool("list_runs", {"limit": 5}))
        assert runs[0]["id"] == ran["run_id"] and runs[0]["state"] == "COMPLETED"
        summary = _data(await s.call_tool("run_summary", {"run_id": ran["run_id"]}))
        assert summary["tests"] == ran["tests"]
        report = await s.read_resource(f"qaforge://runs/{ran['run_id']}/report")
        assert "qaforge" in report.contents[0].text.lower()
        model = await s.read_resource(f"qaforge://runs/{ran['run_id']}/model")
        assert json.loads(model.contents[0].text)["states"]

        # A suite it wrote, run again through `test`.
        again = _data(await s.call_tool("test", {"tests_dir": ran["tests_dir"]}))
        assert again["exit_code"] == 0 and again["tests"]["generated"] == ran["tests"]["generated"]

        bad = await s.call_tool("run_summary", {"run_id": "run-nobody"})
        assert bad.is_error and "run-nobody" in bad.content[0].text
