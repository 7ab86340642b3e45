"""Logging, configured once per process by the CLI: one line per record on stderr, each with
the run it belongs to, so that the lines of several runs (a service, a worker serving many)
can be told apart. Modules only call `logging.getLogger(__name__)`."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

# The run the current task works for; the orchestrator and each agent set it, and asyncio
# tasks started from there inherit it.
RUN_ID: ContextVar[str] = ContextVar("qaforge_run_id", default="-")
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(run_id)s] %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class _RunId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = RUN_ID.get()
        return True


class _Handler(logging.StreamHandler[TextIO]):
    """The console handler `configure_logging` installs (and replaces on a second call)."""


class _FileHandler(RotatingFileHandler):
    """The log file handler `configure_logging` installs (and replaces on a second call)."""


class _OneLine(logging.Formatter):
    """A record's line, with an exception as one line of its own: a traceback never reaches
    the screen (the log file has it)."""

    def __init__(self, log_file: Path | None) -> None:
        super().__init__(FORMAT)
        self.where = f" (traceback in {log_file})" if log_file is not None else ""

    def format(self, record: logging.LogRecord) -> str:
        # logging caches a record's formatted traceback: the file handler's must not be
        # reused here, nor this one-liner there.
        cached = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: object) -> str:
        exc = ei[1] if isinstance(ei, tuple) else None
        return f"  {type(exc).__name__}: {exc}{self.where}" if exc is not None else ""

    def formatStack(self, stack_info: str) -> str:
        return ""


def configure_logging(
    level: str = "WARNING", stream: TextIO | None = None, log_file: Path | None = None
) -> None:
    """Send qaforge's records at `level` and above to `stream` (stderr), one line each, and
    with their tracebacks to `log_file` (rotated at 5 MB) when given and writable. Calling it
    again replaces the handlers it installed instead of adding more."""
    name = level.upper()
    if name not in LEVELS:
        raise ValueError(f"log level {level!r}: use one of {', '.join(LEVELS)}")
    logger = logging.getLogger("qaforge")
    for old in [h for h in logger.handlers if isinstance(h, _Handler | _FileHandler)]:
        logger.removeHandler(old)
        old.close()
    file_handler: _FileHandler | None = None
    if log_file is not None:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            file_handler = _FileHandler(log_file, maxBytes=5_000_000, backupCount=3)
        except OSError:
            file_handler = None  # an unwritable home costs the file, not the command
    if file_handler is not None:
        file_handler.setFormatter(logging.Formatter(FORMAT))
        file_handler.addFilter(_RunId())
        logger.addHandler(file_handler)
    handler = _Handler(stream if stream is not None else sys.stderr)
    handler.setFormatter(_OneLine(log_file if file_handler is not None else None))
    handler.addFilter(_RunId())
    logger.addHandler(handler)
    logger.setLevel(name)
