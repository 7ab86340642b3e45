"""Logging is configured once: one line per record with the run it belongs to; tracebacks go
to the log file, never to the screen."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qaforge.cli import app
from qaforge.logs import RUN_ID, configure_logging, log_to_file, reset_logging


@pytest.fixture(autouse=True)
def clean_logging() -> Iterator[None]:
    reset_logging()
    yield
    reset_logging()


def test_each_line_names_its_run_and_a_second_configuration_replaces_the_first() -> None:
    first, out = io.StringIO(), io.StringIO()
    configure_logging("INFO", first)
    configure_logging("INFO", out)  # again: no second handler, no line twice
    log = logging.getLogger("qaforge.orchestrate.orchestrator")

    async def run(run_id: str) -> None:
        RUN_ID.set(run_id)
        await asyncio.sleep(0)
        log.info("stage %s started", "observe")

    async def both() -> None:
        await asyncio.gather(run("run-a"), run("run-b"))
        log.warning("between runs")

    asyncio.run(both())
    lines = out.getvalue().splitlines()
    assert first.getvalue() == ""
    assert len(lines) == 3, lines
    assert "INFO qaforge.orchestrate.orchestrator [run-a] stage observe started" in lines[0]
    assert "[run-b] stage observe started" in lines[1]
    assert "WARNING" in lines[2] and "[-] between runs" in lines[2]


def test_records_below_the_level_are_left_out() -> None:
    out = io.StringIO()
    configure_logging("warning", out)
    logging.getLogger("qaforge.crawl").info("not shown")
    logging.getLogger("qaforge.crawl").error("shown")
    assert out.getvalue().count("\n") == 1 and "shown" in out.getvalue()
    with pytest.raises(ValueError, match="use one of DEBUG, INFO, WARNING, ERROR"):
        configure_logging("LOUD", out)


def test_a_traceback_goes_to_the_log_file_and_one_line_to_the_screen(tmp_path: Path) -> None:
    out, log_file = io.StringIO(), tmp_path / "logs" / "qaforge.log"
    configure_logging("WARNING", out)
    log_to_file(log_file)
    assert not log_file.exists()  # opened at the first record
    try:
        raise RuntimeError("Timeout 4000ms exceeded.\nCall log:\n  - waiting for locator")
    except RuntimeError:
        logging.getLogger("qaforge.learn.recorder").exception("could not record\nrun %s", "r1")
    screen = out.getvalue()
    assert screen.count("\n") == 1, screen  # one line, whatever the message and error hold
    assert "could not record …" in screen
    assert f"RuntimeError: Timeout 4000ms exceeded. (traceback in {log_file})" in screen
    assert "Traceback" not in screen and "Call log" not in screen
    text = log_file.read_text()
    assert "Traceback (most recent call last)" in text and "Call log:" in text
    assert "could not record\nrun r1" in text


def test_the_screen_handler_follows_a_replaced_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    configure_logging("WARNING")
    for _ in range(2):  # as a test runner does between two commands
        stream = io.StringIO()
        monkeypatch.setattr(sys, "stderr", stream)
        logging.getLogger("qaforge.bus").warning("reconnecting")
        assert "reconnecting" in stream.getvalue()
        stream.close()


def test_the_cli_takes_the_level_and_the_log_file_follows_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QAFORGE_HOME", str(tmp_path / "home"))
    r = CliRunner().invoke(app, ["--log-level", "LOUD", "runs", "--help"])
    assert r.exit_code == 2 and "--log-level" in r.output, r.output
    r = CliRunner().invoke(app, ["--log-level", "debug", "runs", "--help"])
    assert r.exit_code == 0, r.output
    assert logging.getLogger("qaforge").level == logging.DEBUG
    assert not (tmp_path / "home" / "logs").exists()  # --help opens no file
    r = CliRunner().invoke(app, ["runs", "--json"])
    assert r.exit_code == 0, r.output
    logging.getLogger("qaforge.x").warning("after the command")
    assert "after the command" in (tmp_path / "home" / "logs" / "qaforge.log").read_text()


def test_json_lines_carry_run_id_trace_id_and_an_errors_type_but_no_traceback() -> None:
    import json

    from qaforge.logs import TRACE_ID

    out = io.StringIO()
    configure_logging("INFO", out, fmt="json")
    log = logging.getLogger("qaforge.serve.app")
    RUN_ID.set("run-j")
    TRACE_ID.set("0af7651916cd43dd8448eb211c80319c")
    log.info("started %s", "x\nsecond line")
    try:
        raise ValueError("bad thing")
    except ValueError:
        log.exception("failed")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["run_id"] == "run-j" and first["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert first["level"] == "INFO" and first["message"] == "started x\nsecond line"
    assert second["error"] == "ValueError: bad thing" and "Traceback" not in out.getvalue()
    with pytest.raises(ValueError, match="log format"):
        configure_logging("INFO", out, fmt="xml")
