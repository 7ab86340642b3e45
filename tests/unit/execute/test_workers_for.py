"""A second parallel worker only for a run with enough tests to win back its start-up."""

from __future__ import annotations

from qaforge.execute.runner import TESTS_PER_WORKER, workers_for


def test_a_second_worker_only_for_enough_tests() -> None:
    assert workers_for(3, 2) == 1
    assert workers_for(2 * TESTS_PER_WORKER - 1, 2) == 1
    assert workers_for(2 * TESTS_PER_WORKER, 2) == 2
    assert workers_for(100, 2) == 2
    assert workers_for(100, 4) == 4
    assert workers_for(0, 2) == 1
