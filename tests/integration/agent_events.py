"""What the agents of a whole run must have told its orchestrator, wherever they ran."""

from __future__ import annotations

from pathlib import Path

from qaforge.contracts.events import (
    CrawlProgressed,
    FindingReported,
    RunEvent,
    RunFinished,
    RunStarted,
    StageFinished,
    TestFinished,
    TestsPassFinished,
)
from qaforge.models import RunResults
from qaforge.orchestrate.request import RunOutcome


def check_agent_events(heard: list[RunEvent], outcome: RunOutcome, passes: int) -> None:
    """Crawl progress, each pytest pass, every test's final outcome and every finding reached
    the orchestrator's hub, for this run, before the stage they belong to ended."""
    assert isinstance(heard[0], RunStarted) and isinstance(heard[-1], RunFinished)
    assert {e.run_id for e in heard} == {outcome.run_id}
    out = Path(outcome.summary.artifacts.tests_dir).parent
    results = RunResults.model_validate_json((out / "results.json").read_text())

    def before_end_of(stage: str, kinds: type | tuple[type, ...]) -> list[RunEvent]:
        end = next(
            i for i, e in enumerate(heard) if isinstance(e, StageFinished) and e.stage == stage
        )
        assert not any(isinstance(e, kinds) for e in heard[end:]), f"{kinds} after {stage}"
        return [e for e in heard[:end] if isinstance(e, kinds)]

    crawl = before_end_of("observe", CrawlProgressed)
    assert crawl and crawl[-1].stats.states >= 1
    first = before_end_of("execute", TestsPassFinished)
    assert [e.index for e in first][:passes] == list(range(passes))
    assert first[0].ran == len(results.results)
    assert first[0].passed + first[0].failed + first[0].skipped == first[0].ran
    # The last outcome told per test is the one results.json holds (a heal tells it again).
    finished = {e.test_id: e.outcome for e in heard if isinstance(e, TestFinished)}
    assert finished == {r.test_id: r.outcome.value for r in results.results}
    found = [e for e in heard if isinstance(e, FindingReported)]
    assert sorted((f.finding, f.where) for f in found) == sorted(
        (f.kind, f.where) for f in outcome.summary.findings
    )
