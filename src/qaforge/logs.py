"""Logging, configured once per process by the CLI: one line per record on stderr, each with
the run it belongs to, so that the lines of several runs (a service, a worker serving many)
can be told apart; the tracebacks go to a log file under the home directory, never to the
screen. Modules only call `logging.getLogger(__name__)`."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from logging.handlers import WatchedFileHandler
from pathlib import Path
from typing import TextIO

# The run the current task works for; the orchestrator and each agent set it, and asyncio
# tasks started from there inherit it.
RUN_ID: ContextVar[str] = ContextVar("qaforge_run_id", default="-")
# The request the current task serves (`qaforge serve`: from `traceparent`, else made up).
TRACE_ID: ContextVar[str] = ContextVar("qaforge_trace_id", default="-")
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(run_id)s] %(message)s"
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(run_id)s %(trace_id)s] %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_LOGGER = "qaforge"


class _RunId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = RUN_ID.get()
        record.trace_id = TRACE_ID.get()
        return True


class _JsonLine(logging.Formatter):
    """A record as one JSON object (`--log-format json`), for a log shipper: time, level,
    logger, run id, trace id, message, and an exception's type and text (never a traceback
    on the console)."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "run_id": getattr(record, "run_id", "-"),
            "trace_id": getattr(record, "trace_id", "-"),
            "message": record.getMessage(),
        }
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            data["error"] = f"{type(exc).__name__}: {exc}"
        return json.dumps(data, default=str)


class _Console(logging.StreamHandler[TextIO]):
    """The screen handler. Without a stream of its own it writes to whatever `sys.stderr` is
    when a record comes (a test runner swaps and closes it between commands)."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__(stream if stream is not None else sys.stderr)
        self._fixed = stream is not None

    def emit(self, record: logging.LogRecord) -> None:
        if not self._fixed:
            self.stream = sys.stderr
        super().emit(record)


class _File(WatchedFileHandler):
    """The log file handler. Several processes (the CLI, workers) may append to one file:
    no rotation, which is not safe across processes; a file moved away is reopened."""


class _OneLine(logging.Formatter):
    """A record as exactly one line: the message's first line, and an exception as its type
    and first line, with where its traceback is. A traceback never reaches the screen."""

    def __init__(self) -> None:
        super().__init__(FORMAT)
        self.log_file: Path | None = None

    def format(self, record: logging.LogRecord) -> str:
        lines = record.getMessage().splitlines()
        record.message = (lines[0] + (" …" if len(lines) > 1 else "")) if lines else ""
        record.asctime = self.formatTime(record, self.datefmt)
        text = self.formatMessage(record)
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            first = (str(exc).splitlines() or [""])[0]
            where = f" (traceback in {self.log_file})" if self.log_file is not None else ""
            text += f" — {type(exc).__name__}: {first}{where}"
        return text


def configure_logging(
    level: str = "WARNING", stream: TextIO | None = None, fmt: str = "text"
) -> None:
    """Send qaforge's records at `level` and above to `stream` (stderr), one line each (text,
    or JSON objects). Calling it again replaces the handler it installed."""
    name = level.upper()
    if name not in LEVELS:
        raise ValueError(f"log level {level!r}: use one of {', '.join(LEVELS)}")
    if fmt not in ("text", "json"):
        raise ValueError(f"log format {fmt!r}: use text or json")
    logger = logging.getLogger(_LOGGER)
    _remove(logger, _Console)
    handler = _Console(stream)
    handler.setFormatter(_JsonLine() if fmt == "json" else _OneLine())
    handler.addFilter(_RunId())
    logger.addHandler(handler)
    logger.setLevel(name)
    log_file = _file_of(logger)
    if log_file is not None:
        _console_formatter(logger, log_file)


def log_to_file(path: Path) -> None:
    """Also write every record, with its traceback, to `path` (opened at the first record);
    the screen's lines say where. Replaces the file set before; an unwritable place costs the
    file, not the command."""
    logger = logging.getLogger(_LOGGER)
    _remove(logger, _File)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        _console_formatter(logger, None)
        return
    handler = _File(path, delay=True)
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    handler.addFilter(_RunId())
    logger.addHandler(handler)
    _console_formatter(logger, path)


def reset_logging() -> None:
    """Remove and close what `configure_logging` and `log_to_file` installed."""
    logger = logging.getLogger(_LOGGER)
    _remove(logger, _Console)
    _remove(logger, _File)
    logger.setLevel(logging.NOTSET)


def _remove(logger: logging.Logger, kind: type[logging.Handler]) -> None:
    for old in [h for h in logger.handlers if isinstance(h, kind)]:
        logger.removeHandler(old)
        old.close()


def _file_of(logger: logging.Logger) -> Path | None:
    for h in logger.handlers:
        if isinstance(h, _File):
            return Path(h.baseFilename)
    return None


def _console_formatter(logger: logging.Logger, log_file: Path | None) -> None:
    for h in logger.handlers:
        if isinstance(h, _Console) and isinstance(h.formatter, _OneLine):
            h.formatter.log_file = log_file
