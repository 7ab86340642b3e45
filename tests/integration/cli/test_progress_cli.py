"""Progress in CI: one plain line per stage and at most one crawl line every 10 s."""

from __future__ import annotations

import pytest

from qaforge.commands.common import CrawlProgress, StageProgress, plain_progress
from qaforge.models import CrawlStats


def test_plain_when_stderr_is_not_a_terminal_or_ci(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert plain_progress()  # captured stderr is not a terminal
    monkeypatch.setenv("CI", "true")
    assert plain_progress()


def test_one_line_per_stage_start_and_end(capsys: pytest.CaptureFixture[str]) -> None:
    labels = {"observe": "exploring the app", "require": "writing scenarios"}
    with StageProgress(labels, show=True, plain_mode=True) as stages:
        stages.stage("observe")
        stages.stage("require")
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "[qaforge] stage observe: exploring the app"
    assert err[1].startswith("[qaforge] stage observe done in ") and err[1].endswith("s")
    assert err[2] == "[qaforge] stage require: writing scenarios"
    assert err[3].startswith("[qaforge] stage require done in ")
    assert len(err) == 4 and stages.seen_stage


def test_a_failed_stage_says_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), StageProgress({}, show=True, plain_mode=True) as stages:
        stages.stage("execute")
        raise RuntimeError
    err = capsys.readouterr().err.splitlines()
    assert err == ["[qaforge] stage execute: execute", err[1]]
    assert err[1].startswith("[qaforge] stage execute stopped in ")


def test_crawl_lines_at_most_every_ten_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    now = [100.0]
    ticker = CrawlProgress(300, clock=lambda: now[0])
    stats = CrawlStats(states=4, templates=3, transitions=9, actions=20, queued=7)
    for t in (101, 105, 109.9, 110.0, 112, 119, 120.5, 121):
        now[0] = t
        ticker(stats)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "[qaforge] crawl: 4 states, 3 templates, 9 transitions, 20 actions, 7 queued — 10s of 300s",
        "[qaforge] crawl: 4 states, 3 templates, 9 transitions, 20 actions, 7 queued — 20s of 300s",
    ]
