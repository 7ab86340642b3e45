"""The frontier decides what a crawl with a budget gets to see, and when it stops."""

from __future__ import annotations

from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.frontier import AGAIN, CONTROL, NEW_PAGE, SUBMIT, Frontier, Work
from qaforge.models import Action, ActionKind


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def work(depth: int, rank: int, order: str, later: bool = False) -> Work:
    return Work(depth, rank, order, "s", Action(kind=ActionKind.CLICK, label=order), later)


def drain(f: Frontier) -> list[str]:
    out = []
    while (w := f.pop()) is not None:
        out.append(w.order)
    return out


def test_new_pages_first_then_forms_controls_and_known_pages_depth_by_depth() -> None:
    f = Frontier(CrawlLimits(), "http://x/")
    for w in [
        work(1, AGAIN, "a-again"),
        work(1, CONTROL, "a-control"),
        work(2, NEW_PAGE, "deeper-new"),
        work(1, SUBMIT, "a-form"),
        work(1, NEW_PAGE, "a-new"),
        work(0, CONTROL, "theme-toggle", later=True),  # queued on another page before
    ]:
        f.push(w)
    assert len(f) == 6
    assert drain(f) == [
        "a-new",
        "a-form",
        "a-control",
        "a-again",
        "deeper-new",
        "theme-toggle",
    ]
    assert f.pop() is None


def test_the_first_link_to_a_kind_of_page_is_new_and_the_start_page_is_known() -> None:
    f = Frontier(CrawlLimits(), "http://x/")
    assert f.rank_link("http://x/") == AGAIN
    assert f.rank_link("http://x/item/1") == NEW_PAGE
    assert f.rank_link("http://x/item/2") == AGAIN  # same template
    # In a client-side mode the same address may show another page.
    assert f.rank_link("http://x/item/3", mode=True) == NEW_PAGE
    assert f.rank_link("http://x/item/4", mode=True) == AGAIN


def test_a_control_seen_on_another_kind_of_page_comes_later() -> None:
    f = Frontier(CrawlLimits(), "http://x/")
    assert not f.control_elsewhere("button", "Toggle theme", "/")
    assert not f.control_elsewhere("button", "Toggle theme", "/")  # the same page again
    assert f.control_elsewhere("button", "Toggle theme", "/items")
    assert not f.control_elsewhere("button", "Add item", "/items")


def test_limits_stop_the_crawl_with_their_name() -> None:
    clock = Clock()
    f = Frontier(CrawlLimits(max_states=10, max_actions=50, time_budget_s=100), "http://x/", clock)
    f.start()
    assert f.limit_hit(states=9, actions=49) == ""
    assert f.limit_hit(states=10, actions=0) == "max-states"
    assert f.limit_hit(states=0, actions=50) == "max-actions"
    # 10 s of a 100 s budget are kept for wrapping up and 10 s for the last look at each
    # page: exploring stops at 80 s.
    assert f.explore_budget_s == 80.0
    assert f.look_again_s == 10.0
    clock.now += 79.9
    assert f.limit_hit(states=0, actions=0) == ""
    clock.now += 0.2
    assert f.limit_hit(states=0, actions=0) == "time-budget"


def test_one_piece_of_work_may_not_run_far_past_the_budget() -> None:
    clock = Clock()
    f = Frontier(CrawlLimits(time_budget_s=300, page_timeout_ms=15_000), "http://x/", clock)
    f.start()
    assert f.work_deadline() == 45.0  # three page loads
    clock.now += 260  # 10 s of exploring left (20 s are the last look's, 10 s wrap-up)
    assert f.work_deadline() == 15.0  # what is left plus the grace
    clock.now += 60
    assert f.work_deadline() == 5.0  # never less than a few seconds
    # A short budget keeps a tenth of itself for wrapping up, and a tenth for the last look.
    assert Frontier(CrawlLimits(time_budget_s=30), "http://x/").explore_budget_s == 24.0

