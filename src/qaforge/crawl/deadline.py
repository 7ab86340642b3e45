"""Deadlines for browser calls: Playwright's `evaluate` and friends have no timeout of their own,
and a renderer stuck in `while (true) {}` never answers. Everything the crawler awaits from the
browser goes through `within`, so no single page can hold the crawl past its budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class BrowserTimeout(Exception):
    """A browser call did not answer within its deadline (the page is presumed hung)."""


async def within(aw: Awaitable[T], seconds: float, what: str) -> T:
    """Await `aw`, raising `BrowserTimeout` (naming `what`) after `seconds`."""
    try:
        return await asyncio.wait_for(aw, timeout=max(0.1, seconds))
    except TimeoutError as exc:
        raise BrowserTimeout(f"{what} did not answer within {seconds:.0f}s") from exc


async def quietly(aw: Awaitable[object], seconds: float) -> bool:
    """Await `aw` for at most `seconds`, swallowing its errors; whether it finished cleanly."""
    try:
        await asyncio.wait_for(aw, timeout=max(0.1, seconds))
    except asyncio.CancelledError:
        raise
    except Exception:
        return False
    return True
