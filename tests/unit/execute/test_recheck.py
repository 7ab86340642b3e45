"""The passes after the first re-run what can differ, plus a sample of read-only tests."""

from __future__ import annotations

from pathlib import Path

from qaforge.execute.engine import combine, differing
from qaforge.execute.recheck import recheck_selection
from qaforge.execute.runner import CaseResult, PytestRun
from qaforge.models import GeneratedTest, ScenarioKind, TestOutcome, TestSuite


def gt(name: str, kind: ScenarioKind) -> GeneratedTest:
    return GeneratedTest(
        test_id=f"test_app.py::{name}",
        scenario_id=name,
        file="test_app.py",
        function=name,
        kind=kind,
    )


READERS = [gt(f"test_page_{i}_loads", ScenarioKind.PAGE_LOADS) for i in range(12)]
FORM = gt("test_form_accepts_valid_data", ScenarioKind.FORM_VALID)
FLOW = gt("test_checkout_flow", ScenarioKind.FLOW)
CLICK = gt("test_toggle_changes_the_page", ScenarioKind.INTERACTION)
NAV = gt("test_link_goes_to_cart", ScenarioKind.NAVIGATION)
SUITE = TestSuite(directory="/nowhere", tests=[*READERS, FORM, FLOW, CLICK, NAV])


def first_pass(outcomes: dict[str, str] | None = None) -> PytestRun:
    """Every test passed, except as `outcomes` says (by function name; "" = not in the run)."""
    outcomes = outcomes or {}
    cases = {}
    for t in SUITE.tests:
        o = outcomes.get(t.function, "passed")
        if o:
            cases[t.test_id] = CaseResult(t.test_id, o, "boom" if o == "failed" else "", 1.0)
    return PytestRun(cases=cases)


def test_failures_changers_and_quarantined_always_a_third_of_readers() -> None:
    run = first_pass({"test_page_3_loads": "failed", "test_page_4_loads": ""})
    pick = recheck_selection(SUITE, run, {"test_app.py::test_page_5_loads": object()}, 0.34, "s")
    ids = pick.tests
    # Failed: is it flaky or broken? Missing from the first pass's report: naming it could stop
    # the next pass (gone from its file); the first pass judges it.
    assert "test_app.py::test_page_3_loads" in ids
    assert "test_app.py::test_page_4_loads" not in ids
    # Changes the app: its second run meets the data of its first.
    for t in (FORM, FLOW, CLICK):
        assert t.test_id in ids
    assert "test_app.py::test_page_5_loads" in ids  # quarantined: its release counts passes
    readers = [t.test_id for t in [*READERS, NAV]]
    others = set(readers) - {
        "test_app.py::test_page_3_loads",
        "test_app.py::test_page_4_loads",
        "test_app.py::test_page_5_loads",
    }
    drawn = others & ids
    assert len(others) == 10 and len(drawn) == 4  # ceil(0.34 * 10)
    assert pick.rule.startswith("the passes after the first re-ran 9 of 16 tests")
    assert "1 that did not pass, 3 that submit forms" in pick.rule
    assert "1 quarantined, and 4 of the 10 that only read pages" in pick.rule


def test_the_sample_is_drawn_by_salt_and_a_full_share_reruns_all() -> None:
    run = first_pass()
    draws = {recheck_selection(SUITE, run, {}, 0.34, salt).tests for salt in "abcdef"}
    assert len(draws) > 1, "every salt drew the same readers"
    assert recheck_selection(SUITE, run, {}, 0.34, "a") == recheck_selection(
        SUITE, run, {}, 0.34, "a"
    )
    full = recheck_selection(SUITE, run, {}, 1.0, "a")
    assert full.tests == {t.test_id for t in SUITE.tests}
    assert full.rule == "the passes after the first re-ran every test that ran (16)"
    none = recheck_selection(SUITE, run, {}, 0.0, "a")
    assert none.tests == {FORM.test_id, FLOW.test_id, CLICK.test_id}
    readers_only = TestSuite(directory="/nowhere", tests=READERS)
    idle = recheck_selection(readers_only, run, {}, 0.0, "a")
    assert idle.tests == frozenset()
    assert idle.rule.startswith("no test of the 12 needed a second pass")


def test_a_reader_whose_setup_presses_a_control_is_always_rerun() -> None:
    # A navigation test whose page is reached by clicking "Add to cart" first.
    nav = NAV.model_copy(update={"changes_app": True})
    suite = TestSuite(directory="/nowhere", tests=[*READERS, nav])
    run = first_pass()
    assert nav.test_id in recheck_selection(suite, run, {}, 0.0, "a").tests
    assert NAV.test_id not in recheck_selection(SUITE, run, {}, 0.0, "a").tests


def test_skipped_tests_are_not_rerun() -> None:
    run = first_pass({"test_form_accepts_valid_data": "skipped"})
    assert FORM.test_id not in recheck_selection(SUITE, run, {}, 1.0, "a").tests


def test_a_test_left_out_of_the_second_pass_is_judged_by_the_first_alone() -> None:
    first = first_pass()
    rechecked = {FORM.test_id, READERS[0].test_id}
    second = PytestRun(
        cases={
            FORM.test_id: CaseResult(FORM.test_id, "passed", "", 1.0),
            READERS[0].test_id: CaseResult(READERS[0].test_id, "failed", "boom", 1.0),
        }
    )
    ids = [t.test_id for t in SUITE.tests]
    # Only the rechecked reader that flipped differs; the rest are not "missing".
    assert differing([first, second], ids, rechecked) == [READERS[0].test_id]
    assert len(differing([first, second], ids)) == len(ids) - 1  # without the selection
    results, flaky = combine(SUITE, [first, second], Path("/x"), [], set(), rechecked)
    by = {r.test_id: r for r in results}
    assert by[READERS[1].test_id].outcome == TestOutcome.PASSED
    assert by[READERS[1].test_id].runs == ["passed"]
    assert by[FORM.test_id].runs == ["passed", "passed"]
    assert by[READERS[0].test_id].outcome == TestOutcome.FLAKY
    assert set(flaky) == {READERS[0].test_id}
