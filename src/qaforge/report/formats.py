"""Report formats as an extension point: each is a name, the formats it needs written first,
and an async writer of one file into the run directory.

The built-in formats are junit, markdown, html and pdf (which prints the HTML). A package adds
one with a module holding a `ReportFormat` and one registration: an entry point in the group
`qaforge.report_formats` (loaded by `default_formats`), or `registry.register(...)` in code.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

from qaforge.config import Settings
from qaforge.contracts.summary import RunSummary
from qaforge.models import RunResults, Scenario, TestSuite
from qaforge.report.render import render_html, render_junit, render_markdown, render_pdf

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "qaforge.report_formats"


@dataclass(frozen=True)
class ReportInput:
    """What every format renders: the run's summary and the documents it was built from."""

    summary: RunSummary
    scenarios: list[Scenario]
    suite: TestSuite | None
    results: RunResults | None
    out_dir: Path
    settings: Settings

    @property
    def exit_code(self) -> int:
        """The run's exit code (architecture.md §6)."""
        return self.summary.exit_code()


@dataclass(frozen=True)
class ReportFormat:
    """One report file: `write` renders it into the run directory and returns its path."""

    name: str
    write: Callable[[ReportInput], Awaitable[Path]]
    # Formats whose files this one reads (the PDF prints report.html).
    after: tuple[str, ...] = ()


class FormatError(ValueError):
    """A format registered twice, or one that needs a format nobody registered."""


@dataclass
class FormatRegistry:
    """The formats a Reporting agent writes, in an order that honours `after`."""

    _formats: dict[str, ReportFormat] = field(default_factory=dict)

    def register(self, fmt: ReportFormat) -> None:
        """Add `fmt`; a name taken already is an error, not a silent replacement."""
        if fmt.name in self._formats:
            raise FormatError(f"report format {fmt.name!r} is registered already")
        self._formats[fmt.name] = fmt

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._formats)

    def ordered(self, skip: frozenset[str] = frozenset()) -> Iterator[ReportFormat]:
        """Every format not in `skip`, each after those it needs; a format that needs a
        skipped one is skipped too."""
        done: set[str] = set()
        pending = [f for f in self._formats.values() if f.name not in skip]
        while pending:
            ready = [f for f in pending if all(a in done for a in f.after)]
            if not ready:
                missing = {a for f in pending for a in f.after if a not in self._formats}
                blocked = [f.name for f in pending]
                if missing:
                    raise FormatError(f"report formats {blocked} need unknown {sorted(missing)}")
                # What is left waits for a skipped format (no report.html: no PDF).
                return
            for f in ready:
                yield f
                done.add(f.name)
                pending.remove(f)


async def _junit(r: ReportInput) -> Path:
    path = r.out_dir / "junit.xml"
    path.write_text(render_junit(r.results, r.suite), encoding="utf-8")
    return path


async def _markdown(r: ReportInput) -> Path:
    path = r.out_dir / "report.md"
    path.write_text(render_markdown(r.summary, r.results, r.exit_code), encoding="utf-8")
    return path


async def _html(r: ReportInput) -> Path:
    path = r.out_dir / "report.html"
    html = render_html(r.summary, r.scenarios, r.results, r.suite, r.exit_code)
    path.write_text(html, encoding="utf-8")
    return path


async def _pdf(r: ReportInput) -> Path:
    path = r.out_dir / "report.pdf"
    await render_pdf(r.out_dir / "report.html", path, r.settings)
    return path


BUILT_IN = (
    ReportFormat("junit", _junit),
    ReportFormat("markdown", _markdown),
    ReportFormat("html", _html),
    ReportFormat("pdf", _pdf, after=("html",)),
)


def default_formats(plugins: bool = True) -> FormatRegistry:
    """The built-in formats, then those installed packages declare as entry points."""
    registry = FormatRegistry()
    for fmt in BUILT_IN:
        registry.register(fmt)
    if plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            fmt = ep.load()
            if not isinstance(fmt, ReportFormat):
                raise FormatError(f"entry point {ep.name!r} ({ep.value}) is not a ReportFormat")
            registry.register(fmt)
    return registry
