"""Report formats are an extension point: one module and one registration add a format."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaforge.agents.reporting import ReportingAgent
from qaforge.config import Settings
from qaforge.contracts.envelope import Task
from qaforge.contracts.summary import RunSummary
from qaforge.contracts.tasks import REPORT, ReportRequest
from qaforge.models import AppModel, State, Target
from qaforge.report.formats import (
    FormatError,
    FormatRegistry,
    ReportFormat,
    ReportInput,
    default_formats,
)


async def _toy(r: ReportInput) -> Path:
    """A one-line text report: what a team's chat bot would post."""
    path = r.out_dir / "report.txt"
    s = r.summary
    path.write_text(f"{s.app or s.target}: {s.tests.generated} tests, exit {r.exit_code}\n")
    return path


TOY = ReportFormat("toy", _toy, after=("markdown",))


def _run_dir(tmp_path: Path) -> Path:
    model = AppModel(
        target=Target(url="http://x/", app="site"),
        states=[State(id="h", url="http://x/", url_template="/")],
    )
    (tmp_path / "model.json").write_text(model.model_dump_json())
    return tmp_path / "model.json"


async def test_a_registered_format_is_written_beside_the_built_in_ones(tmp_path: Path) -> None:
    formats = default_formats(plugins=False)
    formats.register(TOY)
    agent = ReportingAgent(Settings(home=tmp_path / "home"), formats=formats)
    req = ReportRequest(out_dir=str(tmp_path), model_path=str(_run_dir(tmp_path)), pdf=False)
    result = await agent.handle(Task(type=REPORT, run_id="r1", payload=req.model_dump()))
    assert result.ok, result.error
    assert (tmp_path / "report.txt").read_text() == "site: 0 tests, exit 0\n"
    assert {p.name for p in tmp_path.iterdir()} >= {"report.md", "report.html", "junit.xml"}
    # --no-pdf skips the PDF format, and only it.
    assert not (tmp_path / "report.pdf").exists()
    assert RunSummary.load(tmp_path / "summary.json").run_id == "r1"


def test_formats_come_in_the_order_they_need() -> None:
    reg = FormatRegistry()
    reg.register(ReportFormat("pdf", _toy, after=("html",)))
    reg.register(ReportFormat("html", _toy))
    reg.register(TOY)
    reg.register(ReportFormat("markdown", _toy))
    assert [f.name for f in reg.ordered()] == ["html", "markdown", "pdf", "toy"]
    # Skipping the HTML skips what prints it.
    assert [f.name for f in reg.ordered(frozenset({"html"}))] == ["markdown", "toy"]


def test_a_name_taken_or_a_need_nobody_meets_is_an_error() -> None:
    reg = default_formats(plugins=False)
    assert reg.names() == ["junit", "markdown", "html", "pdf"]
    with pytest.raises(FormatError, match="registered already"):
        reg.register(ReportFormat("html", _toy))
    lonely = FormatRegistry()
    lonely.register(ReportFormat("slides", _toy, after=("keynote",)))
    with pytest.raises(FormatError, match="need unknown"):
        list(lonely.ordered())
