"""The last look at each page, at the end of the crawl, in fresh contexts.

The revisit a moment after a state's first visit cannot see texts that the crawl's own later
actions or the time since changed: MLflow's prompts page said "No prompts created" until the
crawl pressed "Start Demo", and a test asserting that heading failed on the healthy app; "28
minutes ago" holds for a minute. Loaded once more at the end, a state keeps only the stable
texts it still shows, and a count that grew (the counts oracle's "at least").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from playwright.async_api import BrowserContext, Page
from playwright.async_api import Error as PlaywrightError

from qaforge.crawl.actor import Actor, DownloadStarted
from qaforge.crawl.browser import CLOSE_TIMEOUT_S
from qaforge.crawl.deadline import BrowserTimeout, quietly, within
from qaforge.crawl.observe import row_count_of, take_snapshot
from qaforge.crawl.stability import count_of
from qaforge.crawl.urltemplate import normalize_url
from qaforge.models import CrawlStats, State


async def look_again(
    states: Iterable[State],
    new_context: Callable[[], Awaitable[BrowserContext]],
    actor: Actor,
    stats: CrawlStats,
    lookers: int,
    seconds: float,
) -> bool:
    """Look at each state a URL reproduces once more, in order, with `lookers` fresh contexts
    for at most `seconds`; whether every state was looked at in time.

    A text found changed on one page is data that changes, wherever it shows: it leaves the
    stable texts of the states not looked at too (one reached by replaying clicks, or one the
    time did not reach). MLflow's "Create your first prompt" was also the target of a click
    from the home page."""
    everything = list(states)
    todo = [s for s in everything if s.reach_url and s.stable_texts]
    if seconds < 1 or not todo:
        return True
    queue: asyncio.Queue[State] = asyncio.Queue()
    for state in todo:
        queue.put_nowait(state)
    looked: set[str] = set()
    changed: set[str] = set()

    async def look() -> None:
        # Never raises: one looker failing must not leave the others running unawaited.
        try:
            ctx = await within(new_context(), 30, "opening a context")
        except (PlaywrightError, BrowserTimeout):
            return
        try:
            page = await within(ctx.new_page(), 30, "opening a page")
            while not queue.empty():
                state = queue.get_nowait()
                dropped = await look_at(page, state, actor, stats)
                if dropped is not None:
                    looked.add(state.id)
                    changed.update(dropped)
        except (PlaywrightError, BrowserTimeout):
            return
        finally:
            await quietly(ctx.close(), CLOSE_TIMEOUT_S)

    n = max(1, min(lookers, len(todo)))
    finished = await quietly(asyncio.gather(*(look() for _ in range(n))), seconds)
    for state in everything:
        if state.id not in looked and changed.intersection(state.stable_texts):
            kept = [t for t in state.stable_texts if t not in changed]
            stats.texts_changed += len(state.stable_texts) - len(kept)
            state.stable_texts = kept
    return finished


async def look_at(page: Page, state: State, actor: Actor, stats: CrawlStats) -> list[str] | None:
    """One state's last look: the stable texts it no longer shows. A page that fails to
    load, or loads elsewhere (logged out, redirected), changes nothing (None)."""
    assert state.reach_url
    try:
        await actor.goto_live(page, state.reach_url)
        if normalize_url(page.url) != state.reach_url:
            return None
        stats.pages_loaded += 1
        last = await take_snapshot(page, verify=False)
    except (PlaywrightError, BrowserTimeout, DownloadStarted):
        return None
    now = set(last.texts)
    counts = stated_counts(last.texts)
    kept = [t for t in state.stable_texts if t in now or still_counted(t, counts)]
    dropped = [t for t in state.stable_texts if t not in kept]
    stats.texts_changed += len(dropped)
    state.stable_texts = kept
    state.row_count = min(state.row_count, row_count_of(last))
    stats.looked_again += 1
    return dropped


def noun_key(noun: str) -> str:
    """One key for a count's noun in the singular and the plural ("entry", "entries"; "box",
    "boxes"; "house", "houses"). A pair it misses only drops a text: no false alarm."""
    words = noun.lower().split()
    if not words:
        return ""
    last = words[-1]
    last = last[:-3] + "y" if last.endswith("ies") else last.removesuffix("s").removesuffix("e")
    return " ".join([*words[:-1], last])


def stated_counts(texts: Iterable[str]) -> dict[str, int]:
    """The highest count a page states per noun."""
    out: dict[str, int] = {}
    for text in texts:
        found = count_of(text)
        if found is not None:
            key = noun_key(found[1])
            out[key] = max(out.get(key, 0), found[0])
    return out


def still_counted(text: str, counts: dict[str, int]) -> bool:
    """Whether `text` is a count the page now states as at least as high ("12 products",
    now "13 products": the crawl added one)."""
    found = count_of(text)
    return found is not None and counts.get(noun_key(found[1]), -1) >= found[0]
