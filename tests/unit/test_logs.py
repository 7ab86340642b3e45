"""Logging is configured once: one line per record with the run it belongs to."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest
from typer.testing import CliRunner

from qaforge.cli import app
from qaforge.logs import RUN_ID, configure_logging


@pytest.fixture()
def restore_qaforge_logger() -> object:
    logger = logging.getLogger("qaforge")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_each_line_names_its_run_and_a_second_configuration_replaces_the_first(
    restore_qaforge_logger: object,
) -> None:
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


def test_records_below_the_level_are_left_out(restore_qaforge_logger: object) -> None:
    out = io.StringIO()
    configure_logging("warning", out)
    logging.getLogger("qaforge.crawl").info("not shown")
    logging.getLogger("qaforge.crawl").error("shown")
    assert out.getvalue().count("\n") == 1 and "shown" in out.getvalue()
    with pytest.raises(ValueError, match="use one of DEBUG, INFO, WARNING, ERROR"):
        configure_logging("LOUD", out)


def test_the_cli_takes_the_level_and_refuses_a_bad_one(restore_qaforge_logger: object) -> None:
    r = CliRunner().invoke(app, ["--log-level", "LOUD", "runs", "--help"])
    assert r.exit_code == 2 and "--log-level" in r.output, r.output
    r = CliRunner().invoke(app, ["--log-level", "debug", "runs", "--help"])
    assert r.exit_code == 0, r.output
    assert logging.getLogger("qaforge").level == logging.DEBUG


def test_a_traceback_goes_to_the_log_file_and_one_line_to_the_screen(
    restore_qaforge_logger: object, tmp_path: object
) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    out, log_file = io.StringIO(), tmp_path / "logs" / "qaforge.log"
    configure_logging("WARNING", out, log_file=log_file)
    try:
        {}["missing"]
    except KeyError:
        logging.getLogger("qaforge.learn.recorder").exception("could not record run %s", "r1")
    screen = out.getvalue()
    assert "Traceback" not in screen
    assert "could not record run r1" in screen
    assert f"KeyError: 'missing' (traceback in {log_file})" in screen
    text = log_file.read_text()
    assert "Traceback (most recent call last)" in text and "could not record run r1" in text
