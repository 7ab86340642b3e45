"""The crawl's frontier: what to do next, in which order, and when to stop.

The explorer's workers pull work from it; it knows nothing of browsers. Its order decides
what a crawl with a budget gets to see, and its clock decides how long exploring and one
piece of work may take so that the whole crawl ends inside `--time-budget`."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass

from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.urltemplate import url_template
from qaforge.models import Action

# Within one depth, what the crawl does first: a page nobody has queued yet (a new kind of
# page is what the suite most lacks), then forms (the data oracles), then in-page controls,
# then links to a kind of page already queued. MLflow's run pages went unseen while its
# sort headers and column pickers, alphabetically earlier, used up the budget.
NEW_PAGE, SUBMIT, CONTROL, AGAIN = range(4)

# Time the crawl may overrun its budget to finish the actions in flight and close the browser.
BUDGET_GRACE_S = 5.0
# Exploring stops this much before the budget (at most a tenth of it): work in flight, closing
# the browser and the login probe then fit inside --time-budget instead of after it.
WRAP_UP_S = 10.0
# The end of the budget kept for the last look at each page (at most a tenth of it): texts
# the crawl's own actions changed are found before tests assert them.
LOOK_AGAIN_S = 20.0


@dataclass
class Work:
    """One action to perform from one state, with its place in the order."""

    depth: int
    rank: int
    order: str
    state_id: str
    action: Action
    # A control already queued on another kind of page (an assistant panel's "New Chat", a
    # theme toggle in every header): it comes after all other work, whatever its depth. MLflow
    # spent a third of its states clicking its assistant panel once per template while its
    # run pages, three links deep, went unseen.
    later: bool = False

    def _key(self) -> tuple[bool, int, int, str]:
        return (self.later, self.depth, self.rank, self.order)

    def __lt__(self, other: Work) -> bool:
        return self._key() < other._key()


class Frontier:
    """A priority queue of work plus the crawl's clock and limits."""

    def __init__(
        self, limits: CrawlLimits, start_url: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.started: float | None = None
        self._queue: list[Work] = []
        self._linked_templates: set[str] = {url_template(start_url)}
        # (role, name) of each in-page control queued, with the template it was first queued on.
        self._controls: dict[tuple[str, str], str] = {}

    def start(self) -> None:
        """Start the clock."""
        self.started = self.clock()

    @property
    def elapsed_s(self) -> float:
        return self.clock() - self.started if self.started is not None else 0.0

    def __len__(self) -> int:
        return len(self._queue)

    def push(self, work: Work) -> None:
        heapq.heappush(self._queue, work)

    def pop(self) -> Work | None:
        """The next work, or None when nothing is queued."""
        return heapq.heappop(self._queue) if self._queue else None

    def rank_link(self, url: str, mode: bool = False) -> int:
        """`NEW_PAGE` for the first link to a kind of page (its URL template), else `AGAIN`.

        In a client-side mode the same URL may be another page: its first link there is new."""
        template = ("mode|" if mode else "") + url_template(url)
        if template in self._linked_templates:
            return AGAIN
        self._linked_templates.add(template)
        return NEW_PAGE

    def control_elsewhere(self, role: str, name: str, template: str) -> bool:
        """Whether the control (`role`, `name`) was first queued on another kind of page (its
        work then comes `later`)."""
        return self._controls.setdefault((role, name), template) != template

    @property
    def explore_budget_s(self) -> float:
        """The part of the time budget spent exploring; the rest is for wrapping up."""
        return self._wrap_up_at_s - self.look_again_s

    @property
    def _wrap_up_at_s(self) -> float:
        """When, in crawl seconds, the wrap-up starts."""
        budget = self.limits.time_budget_s
        return budget - min(WRAP_UP_S, budget / 10)

    @property
    def look_again_s(self) -> float:
        """The share of the budget kept for the last look at each page."""
        return min(LOOK_AGAIN_S, self.limits.time_budget_s / 10)

    @property
    def explore_left_s(self) -> float:
        return self.explore_budget_s - self.elapsed_s

    @property
    def time_left_s(self) -> float:
        """Seconds left before the wrap-up (the last look may use what exploring left)."""
        return self._wrap_up_at_s - self.elapsed_s

    def limit_hit(self, states: int, actions: int) -> str:
        """Which limit stops the crawl now ("" when none does)."""
        if states >= self.limits.state_cap:
            return "max-states"
        if actions >= self.limits.max_actions:
            return "max-actions"
        if self.elapsed_s >= self.explore_budget_s:
            return "time-budget"
        return ""

    def work_deadline(self) -> float:
        """Seconds one piece of work may take: a few page loads, never far past the budget."""
        per_work = max(30.0, 3 * self.limits.page_timeout_ms / 1000)
        return max(5.0, min(per_work, self.explore_left_s + BUDGET_GRACE_S))
