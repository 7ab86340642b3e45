"""Quarantine that never hides a regression (architecture.md §5).

A quarantined test still runs and is reported; it only stops failing the build while it
behaves flakily. A test is quarantined on evidence that survives a retry: its outcome differed
between the runs *and* differed again when only the differing tests were rerun. It is released
after `RELEASE_AFTER` consecutive executions in which it passed every run; a quarantined test
that fails in every run of an execution is a failure like any other (the build goes red).

`quarantine.json` in the suite folder is a list of entries
`{"test_id", "reason", "since", "consecutive_passes"}`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qaforge.models import TestOutcome, TestResult

FILE = "quarantine.json"
# While an old generated conftest (which skipped quarantined tests) is in the suite, the file is
# kept under this name during the pytest runs, so the old conftest cannot skip anything.
HIDDEN = ".quarantine.json.running"
RETRIES = 2  # extra runs, of the differing tests only, before a test counts as flaky
RELEASE_AFTER = 3  # consecutive executions passing every run before a test is released
RELEASED = "released from quarantine"
PASSED_ON_RETRY = "passed on retry after"

_PASS = "passed"
_FAIL = frozenset({"failed", "error", "missing"})


@dataclass
class Entry:
    test_id: str
    reason: str
    since: str
    consecutive_passes: int = 0

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Entry:
        return cls(
            test_id=str(doc["test_id"]),
            reason=str(doc.get("reason") or "flaky"),
            since=str(doc.get("since") or ""),
            consecutive_passes=int(doc.get("consecutive_passes") or 0),
        )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def load(suite_dir: Path) -> dict[str, Entry]:
    """The suite's quarantine (also read from the hidden name a killed run may have left)."""
    for name in (FILE, HIDDEN):
        path = suite_dir / name
        if path.exists():
            doc = json.loads(path.read_text(encoding="utf-8") or "[]")
            return {e.test_id: e for e in map(Entry.from_json, doc)}
    return {}


def save(suite_dir: Path, entries: dict[str, Entry]) -> None:
    """Write `quarantine.json` (sorted by test id); nothing quarantined leaves no file."""
    path = suite_dir / FILE
    (suite_dir / HIDDEN).unlink(missing_ok=True)
    if not entries:
        path.unlink(missing_ok=True)
        return
    doc = [asdict(entries[k]) for k in sorted(entries)]
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def legacy_conftest(suite_dir: Path) -> bool:
    """True when the suite's conftest is an old one that skips quarantined tests."""
    path = suite_dir / "conftest.py"
    if not path.exists():
        return False
    text = path.read_text(encoding="utf-8", errors="replace")
    return FILE in text and "mark.skip(" in text


def hide_from_legacy_conftest(suite_dir: Path) -> bool:
    """Move `quarantine.json` out of an old conftest's sight; True when it was moved."""
    path = suite_dir / FILE
    if path.exists() and legacy_conftest(suite_dir):
        path.replace(suite_dir / HIDDEN)
        return True
    return False


def unhide(suite_dir: Path) -> None:
    hidden = suite_dir / HIDDEN
    if hidden.exists() and not (suite_dir / FILE).exists():
        hidden.replace(suite_dir / FILE)


def verdict_of_retries(retries: list[str]) -> str:
    """`passed`, `failed` or `flaky` from the outcomes of the retries of one test."""
    if retries and all(o == _PASS for o in retries):
        return "passed"
    if retries and all(o in _FAIL for o in retries):
        return "failed"
    return "flaky"


def passed_on_retry_message(outcomes: list[str]) -> str:
    fails = sum(1 for o in outcomes if o != _PASS)
    n = "one failure" if fails == 1 else f"{fails} failures"
    return f"{PASSED_ON_RETRY} {n} (runs: {', '.join(outcomes)})"


def apply(
    results: list[TestResult],
    entries: dict[str, Entry],
    flaky: dict[str, str],
    when: str | None = None,
    release_after: int = RELEASE_AFTER,
) -> tuple[dict[str, Entry], list[str]]:
    """Bring the quarantine up to date with one execution's results; adjust their outcomes.

    `results` are final per-test verdicts before quarantine (PASSED, FAILED, APP_DEFECT, FLAKY,
    SKIPPED); `flaky` maps the tests whose outcome still differed after the retries to why.
    Returns the new entries and the ids released in this execution. Only tests of `results`
    are kept in the quarantine (a test no longer in the suite leaves it)."""
    when = when or now_iso()
    kept: dict[str, Entry] = {}
    released: list[str] = []
    for r in results:
        entry = entries.get(r.test_id)
        if entry is None:
            if r.test_id in flaky or r.outcome == TestOutcome.FLAKY:
                reason = "flaky: " + flaky.get(r.test_id, r.message)
                kept[r.test_id] = Entry(r.test_id, reason, when, 0)
                r.outcome = TestOutcome.QUARANTINED
                r.message = "flaky, quarantined: " + (flaky.get(r.test_id) or r.message)
            continue
        note = f"quarantined since {entry.since or 'an earlier run'} ({entry.reason})"
        ran = [o for o in r.runs if o != "skipped"]
        if r.outcome == TestOutcome.PASSED and ran and all(o == _PASS for o in r.runs):
            entry.consecutive_passes += 1
            if entry.consecutive_passes >= release_after:
                released.append(r.test_id)
                r.message = (
                    f"{RELEASED} after {entry.consecutive_passes} consecutive passing "
                    f"executions; {note}"
                )
                continue
            kept[r.test_id] = entry
            r.message = (
                f"passed every run; {note}; {entry.consecutive_passes} of {release_after} "
                "consecutive passing executions before release"
            )
        elif r.outcome in {TestOutcome.FAILED, TestOutcome.APP_DEFECT}:
            # A consistent failure is not flakiness: it fails the build like any other test.
            entry.consecutive_passes = 0
            kept[r.test_id] = entry
            r.message = f"failed every run although {note}: {r.message}"
        elif r.outcome == TestOutcome.SKIPPED or not ran:
            kept[r.test_id] = entry  # no evidence either way
        else:
            # Still flaky (outcomes differ, or passed only on a retry): reported, not failing.
            entry.consecutive_passes = 0
            kept[r.test_id] = entry
            how = flaky.get(r.test_id) or "outcome changed between runs: " + ", ".join(r.runs)
            r.outcome = TestOutcome.QUARANTINED
            r.failure_class = None
            r.message = f"flaky, still quarantined: {how}; {note}"
    return kept, released


def listing(results: list[TestResult], entries: dict[str, Entry]) -> list[dict[str, Any]]:
    """What the report shows: each quarantined test (since, why, this run's outcome, pass
    streak) and each test released in this run."""
    by_id = {r.test_id: r for r in results}
    out: list[dict[str, Any]] = []
    for tid in sorted(entries):
        e = entries[tid]
        r = by_id.get(tid)
        out.append(
            {
                "test_id": tid,
                "status": "quarantined",
                "since": e.since,
                "reason": e.reason,
                "consecutive_passes": e.consecutive_passes,
                "outcome": r.outcome.value if r else "",
            }
        )
    for r in results:
        if r.test_id not in entries and r.message.startswith(RELEASED):
            out.append(
                {
                    "test_id": r.test_id,
                    "status": "released",
                    "since": "",
                    "reason": r.message,
                    "consecutive_passes": 0,
                    "outcome": r.outcome.value,
                }
            )
    return out
