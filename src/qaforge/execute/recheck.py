"""Which tests the passes after the first re-run, and that rule in words for the report.

The passes after the first exist to find tests that do not keep passing: a flaky wait, a name a
test's own earlier run has taken, a record another test changed. A test that did not pass is
always re-run (flaky or broken?), and so is one that changes the app (a form, a flow, a control:
its second run meets the data of its first) and a quarantined one (its release counts passing
executions). A test that only opens pages and follows links cannot break itself by running; of
those a random share is re-run, drawn afresh each execution, so each is re-checked every few
runs at a fraction of the cost of a second full pass.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection
from dataclasses import dataclass

from qaforge.execute.runner import PytestRun
from qaforge.models import ScenarioKind, TestSuite

# Kinds whose steps submit, click or walk a flow, and so may change what the app holds (a test
# of another kind may too, through the steps that reach its page: `GeneratedTest.changes_app`).
CHANGES_APP = frozenset(
    {
        ScenarioKind.FORM_VALID,
        ScenarioKind.FORM_INVALID,
        ScenarioKind.FLOW,
        ScenarioKind.INTERACTION,
    }
)


@dataclass(frozen=True)
class Recheck:
    """The tests to re-run and why, in one sentence."""

    tests: frozenset[str]
    rule: str


def _draw(salt: str, test_id: str) -> str:
    return hashlib.sha256(f"{salt}|{test_id}".encode()).hexdigest()


def recheck_selection(
    suite: TestSuite,
    first: PytestRun,
    quarantined: Collection[str],
    sample: float,
    salt: str,
) -> Recheck:
    """The tests the passes after `first` run: every one that did not pass, changes the app or
    is quarantined, and a `sample` share (by `salt`) of those that only read."""
    not_passed: set[str] = set()
    changes: set[str] = set()
    held: set[str] = set()
    readers: list[str] = []
    ran = 0
    for gt in suite.tests:
        case = first.cases.get(gt.test_id)
        # Skipped: it would be again. Missing from the first pass's report (gone from its file,
        # or pytest died on it): naming it would stop the next pass; the first pass judges it.
        if case is None or case.outcome == "skipped":
            continue
        ran += 1
        if case.outcome != "passed":
            not_passed.add(gt.test_id)
        elif gt.test_id in quarantined:
            held.add(gt.test_id)
        elif gt.changes_app or gt.kind in CHANGES_APP:
            changes.add(gt.test_id)
        else:
            readers.append(gt.test_id)
    k = min(len(readers), math.ceil(sample * len(readers)))
    drawn = sorted(readers, key=lambda t: _draw(salt, t))[:k]
    tests = frozenset(not_passed | changes | held | set(drawn))
    total = len(suite.tests)
    if not tests:
        rule = f"no test of the {total} needed a second pass: none ran that changes the app"
    elif len(tests) == ran:
        rule = f"the passes after the first re-ran every test that ran ({len(tests)})"
    else:
        rule = (
            f"the passes after the first re-ran {len(tests)} of {total} tests: "
            f"{len(not_passed)} that did not pass, {len(changes)} that submit forms, click "
            f"controls or follow flows, {len(held)} quarantined, and {len(drawn)} of the "
            f"{len(readers)} that only read pages (a {sample:.0%} share drawn afresh each "
            "execution; QAFORGE_RECHECK_SAMPLE=1 re-runs all)"
        )
    return Recheck(tests=tests, rule=rule)
