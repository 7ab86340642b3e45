"""Logging, configured once per process by the CLI: one line per record on stderr, each with
the run it belongs to, so that the lines of several runs (a service, a worker serving many)
can be told apart. Modules only call `logging.getLogger(__name__)`."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
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
    """The handler `configure_logging` installs (and replaces on a second call)."""


def configure_logging(level: str = "WARNING", stream: TextIO | None = None) -> None:
    """Send qaforge's records at `level` and above to `stream` (stderr), one formatted line
    each; calling it again replaces the handler it installed instead of adding a second."""
    name = level.upper()
    if name not in LEVELS:
        raise ValueError(f"log level {level!r}: use one of {', '.join(LEVELS)}")
    logger = logging.getLogger("qaforge")
    for old in [h for h in logger.handlers if isinstance(h, _Handler)]:
        logger.removeHandler(old)
    handler = _Handler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(_RunId())
    logger.addHandler(handler)
    logger.setLevel(name)
