"""A run tells its subscribers what happens: run started, each stage started and finished,
run finished with its summary (or failed with its error)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.events import (
    EventHub,
    RunFailed,
    RunFinished,
    StageFinished,
    StageStarted,
)
from qaforge.contracts.tasks import ObserveRequest
from qaforge.models import Target
from qaforge.orchestrate.graph import PipelineError
from qaforge.orchestrate.orchestrator import OrchestrationOptions, Orchestrator
from qaforge.orchestrate.request import RunRequest
from tests.system.fakes import SPEC

STAGES = ["observe", "require", "analyze", "evolve", "execute", "report"]


def _request(out: Path) -> RunRequest:
    return RunRequest(
        observe=ObserveRequest(target=Target(url="http://127.0.0.1:9/"), out_dir=str(out)),
        out_dir=str(out),
        app="events",
        strategy="balanced",
        pdf=False,
    )


def _recorder(hub: EventHub) -> list[str]:
    heard: list[str] = []

    def note(e: object) -> None:
        if isinstance(e, StageStarted | StageFinished):
            heard.append(f"{type(e).__name__} {e.stage}")
        elif isinstance(e, RunFinished):
            heard.append(f"RunFinished {e.exit_code} {e.summary.tests.generated}")
        elif isinstance(e, RunFailed):
            heard.append(f"RunFailed {e.error}")
        else:
            heard.append(type(e).__name__)

    hub.subscribe(note)
    return heard


async def test_a_run_emits_its_stages_and_its_end(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    hub = EventHub()
    heard = _recorder(hub)
    settings = Settings(home=tmp_path / "home")
    async with Orchestrator.open(
        settings, catalog=SPEC, options=OrchestrationOptions(drain_timeout_s=0.5), events=hub
    ) as orch:
        outcome = await orch.run(_request(out))
    assert heard[0] == "RunStarted"
    stages = [h for h in heard if h.startswith("Stage")]
    assert stages == [f"{kind} {s}" for s in STAGES for kind in ("StageStarted", "StageFinished")]
    assert heard[-1] == f"RunFinished {outcome.exit_code} {outcome.summary.tests.generated}"


async def test_a_failed_run_emits_its_error(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "fail_analyze").write_text("")
    hub = EventHub()
    heard = _recorder(hub)
    settings = Settings(home=tmp_path / "home", disable_learning=True)
    async with Orchestrator.open(
        settings, catalog=SPEC, options=OrchestrationOptions(drain_timeout_s=0.5), events=hub
    ) as orch:
        with pytest.raises(PipelineError):
            await orch.run(_request(out))
    assert "StageStarted analyze" in heard and "StageFinished analyze" not in heard
    assert heard[-1].startswith("RunFailed analyze")
