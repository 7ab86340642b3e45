"""A run that makes no progress for the stall timeout is cancelled and resumed from its last
checkpoint, and the audit log says so; past the restart limit it fails with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import ObserveRequest
from qaforge.models import Target
from qaforge.orchestrate.graph import PipelineError
from qaforge.orchestrate.orchestrator import OrchestrationOptions, Orchestrator
from qaforge.orchestrate.request import RunRequest
from qaforge.orchestrate.runs import RunStore
from qaforge.orchestrate.states import RunState
from tests.system.fakes import SPEC, invocations


def _request(out: Path) -> RunRequest:
    return RunRequest(
        run_id="run-stall",
        observe=ObserveRequest(target=Target(url="http://127.0.0.1:9/"), out_dir=str(out)),
        out_dir=str(out),
        app="stall",
        strategy="balanced",
        pdf=False,
    )


def _options(max_restarts: int) -> OrchestrationOptions:
    return OrchestrationOptions(
        heartbeat_s=0.2, stall_timeout_s=1.0, max_stall_restarts=max_restarts,
        drain_timeout_s=0.5,
    )


async def test_a_stalled_stage_is_restarted_from_the_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "hang_at").write_text("evolve")  # the first evolve never returns
    settings = Settings(home=tmp_path / "home", disable_learning=True)
    async with Orchestrator.open(settings, catalog=SPEC, options=_options(2)) as orch:
        outcome = await orch.run(_request(out))
        history = await orch.runs.history(outcome.run_id)
        info = await orch.runs.get(outcome.run_id)
    assert outcome.exit_code == 0 and info.state is RunState.COMPLETED
    log = invocations(out)
    assert log.count("evolve") == 2 and log.count("evolve:done") == 1, log
    assert log.count("observe") == log.count("analyze") == 1, log  # not redone
    actions = [h["action"] for h in history]
    assert "stall-detected" in actions and "stalled" in actions, actions
    stalled = next(h for h in history if h["action"] == "stalled")
    assert stalled["detail"]["stage"] == "evolve"
    assert info.attempt == 1  # one restart


async def test_a_run_that_keeps_stalling_fails(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "delay").write_text("30")  # every stage takes far longer than the stall timeout
    settings = Settings(home=tmp_path / "home", disable_learning=True)
    async with Orchestrator.open(settings, catalog=SPEC, options=_options(1)) as orch:
        with pytest.raises(PipelineError, match="stalled 2 times"):
            await orch.run(_request(out))
        info = await RunStore(orch.db).get("run-stall")
    assert info.state is RunState.FAILED and "stalled" in (info.error or "")
