"""Kill -9 the `qaforge run` process in the middle of each stage, then `qaforge resume` it:
stages finished before the kill are not redone, the interrupted one runs again, the run
completes with the summary an uninterrupted run gives."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.system import cli
from tests.system.fakes import SPEC, invocations

STAGES = ["observe", "require", "analyze", "evolve", "execute", "report"]


def _run_args(out: Path) -> list[str]:
    return ["run", "http://127.0.0.1:9/", "--out", str(out), "--catalog", SPEC, "--json",
            "--strategy", "balanced", "--no-pdf"]


def test_an_uninterrupted_run_through_the_graph(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, text = cli.run(_run_args(out), tmp_path / "home")
    assert code == 0, text
    assert invocations(out) == [x for s in STAGES for x in (s, f"{s}:done")]
    rows = cli.runs(tmp_path / "home")
    assert [(r["state"], r["stage"]) for r in rows] == [("COMPLETED", "done")]


@pytest.mark.parametrize("stage", STAGES)
def test_resume_after_kill_9_in_each_stage(stage: str, tmp_path: Path) -> None:
    home, out = tmp_path / "home", tmp_path / "run"
    out.mkdir()
    (out / "hang_at").write_text(stage)
    proc = cli.start(_run_args(out), home, tmp_path / "run.log")
    try:
        cli.wait_for(lambda: stage in invocations(out), 60, f"the {stage} stage to start")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    [row] = cli.runs(home)
    assert row["state"] == "RUNNING"  # nobody told the database: the owner just vanished
    before = STAGES[: STAGES.index(stage)]

    # At once, as a user does: the owner ran on this host and its process is gone.
    code, text = cli.run(["resume", row["id"], "--json"], home)
    assert code == 0, text
    log = invocations(out)
    for s in before:  # finished before the kill: not redone
        assert log.count(s) == 1 and log.count(f"{s}:done") == 1, log
    assert log.count(stage) == 2 and log.count(f"{stage}:done") == 1, log
    for s in STAGES[STAGES.index(stage) + 1 :]:
        assert log.count(s) == 1, log
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run_id"] == row["id"]
    assert summary["tests"]["generated"] > 0
    [after] = cli.runs(home)
    assert after["state"] == "COMPLETED"


def test_resume_of_a_live_run_is_refused(tmp_path: Path) -> None:
    home, out = tmp_path / "home", tmp_path / "run"
    out.mkdir()
    (out / "hang_at").write_text("analyze")
    proc = cli.start(_run_args(out), home, tmp_path / "run.log")
    try:
        cli.wait_for(lambda: "analyze" in invocations(out), 60, "the analyze stage to start")
        [row] = cli.runs(home)
        code, text = cli.run(["resume", row["id"]], home)
        assert code != 0 and "is RUNNING and its owner" in text, text
        code, text = cli.run(["cancel", row["id"]], home)
        assert code == 0 and "CANCELLED" in text, text
        proc.wait(30)  # the driver notices at its next heartbeat and stops
        assert proc.returncode != 0
    finally:
        if proc.poll() is None:
            proc.kill()
    [row] = cli.runs(home)
    assert row["state"] == "CANCELLED"
    code, text = cli.run(["cancel", row["id"]], home)
    assert code != 0 and "cancelled" in text.lower(), text  # CANCELLED → CANCELLED is refused


@pytest.mark.services
def test_resume_with_postgres_checkpoints(tmp_path: Path, pg_fresh_url: str) -> None:
    """The same kill -9 and resume with the run store and LangGraph's Postgres saver."""
    home, out = tmp_path / "home", tmp_path / "run"
    db = {"QAFORGE_DATABASE_URL": pg_fresh_url}
    out.mkdir()
    (out / "hang_at").write_text("execute")
    proc = cli.start(_run_args(out), home, tmp_path / "run.log", **db)
    try:
        cli.wait_for(lambda: "execute" in invocations(out), 60, "the execute stage to start")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (home / "checkpoints.db").exists()  # the checkpoints are in PostgreSQL
    [row] = cli.runs(home, **db)
    code, text = cli.run(["resume", row["id"], "--stale-after", "0", "--json"], home, **db)
    assert code == 0, text
    log = invocations(out)
    assert [log.count(s) for s in STAGES] == [1, 1, 1, 1, 2, 1], log
    [after] = cli.runs(home, **db)
    assert after["state"] == "COMPLETED"


def test_run_without_json_prints_the_summary_table(tmp_path: Path) -> None:
    out = tmp_path / "run"
    # The fakes' suite.json is no suite the learning loop could snapshot: no learning.
    args = [*(a for a in _run_args(out) if a != "--json"), "--no-learning"]
    code, text = cli.run(args, tmp_path / "home")
    assert code == 0, text
    assert "Traceback" not in text and not text.lstrip().startswith("{"), text
    summary = json.loads((out / "summary.json").read_text())
    rows = {
        cells[0]: cells[1]
        for line in text.splitlines()
        if len(cells := [c.strip() for c in line.strip("│┃ ").split("│")]) == 2
    }
    assert rows["tests generated"] == str(summary["tests"]["generated"]) != "0", text
    assert rows["passed"] == str(summary["tests"]["passed"]), text
    assert f"run id: {summary['run_id']}" in text
