"""The crawl's state cap follows its time budget unless --max-states sets it."""

from __future__ import annotations

from qaforge.contracts.tasks import MIN_STATES, CrawlLimits


def test_without_max_states_the_cap_grows_with_the_budget() -> None:
    assert CrawlLimits(time_budget_s=300).state_cap == 150
    assert CrawlLimits(time_budget_s=600).state_cap == 300
    # A short budget keeps the old floor: small apps end on an empty frontier anyway.
    assert CrawlLimits(time_budget_s=60).state_cap == MIN_STATES == 60


def test_an_explicit_max_states_wins() -> None:
    assert CrawlLimits(time_budget_s=600, max_states=25).state_cap == 25
    assert CrawlLimits(time_budget_s=30, max_states=200).state_cap == 200
