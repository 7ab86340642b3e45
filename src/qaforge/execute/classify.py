"""Why did a test fail? App defect, broken locator, assertion mismatch, timeout or test error."""

from __future__ import annotations

import re

from qaforge.models import FailureClass

# Python's Playwright prints `Locator.click`, TypeScript's `locator.click` (camel-cased names).
_ACTION = re.compile(
    r"Locator\.(click|fill|check|uncheck|select_option|press|hover|set_input_files|type)"
    r"|Page\.(click|fill|check)"
    r"|locator\.(click|fill|check|uncheck|selectOption|press|hover|setInputFiles|type)"
)
_EXPECT = re.compile(
    r"(Locator|Page|APIResponse) expected to|expected to (be|have|match|contain)"
    # @playwright/test: `expect(locator).toBeVisible() failed`, `expect(received).toBe(...)`
    r"|expect\((locator|page|received|response)\)\.(not\.)?to[A-Z]"
)
_STRICT = re.compile(r"strict mode violation", re.I)
_SERVER = re.compile(r"answered 5\d\d|\b5\d\d\b Internal Server Error", re.I)
_TEST_TIMEOUT = re.compile(
    r"Timeout \(\d|Failed: Timeout >|pytest-timeout|Test timeout of \d+ms exceeded", re.I
)


def classify(message: str, expect_defect: bool, server_errors: list[str]) -> FailureClass:
    """The failure class of a test from its failure message and what the page showed.

    A test written to document a defect the crawl saw (`expect_defect`) is an app defect only
    when it failed on its assertion; if it could not even reach its check (a locator, a
    time-out, a set-up error) it is a broken test like any other."""
    if server_errors or _SERVER.search(message):
        return FailureClass.APP_DEFECT
    if "console errors:" in message:
        return FailureClass.APP_DEFECT
    found = _by_message(message)
    if expect_defect and found == FailureClass.ASSERTION_MISMATCH:
        return FailureClass.APP_DEFECT
    return found


def _by_message(message: str) -> FailureClass:
    if _TEST_TIMEOUT.search(message):
        return FailureClass.TIMEOUT
    if _STRICT.search(message):
        return FailureClass.BROKEN_LOCATOR
    if _ACTION.search(message) and "Timeout" in message:
        # An action waited for its element and never found it: the locator is broken.
        return FailureClass.BROKEN_LOCATOR
    if _EXPECT.search(message) or "AssertionError" in message:
        return FailureClass.ASSERTION_MISMATCH
    if "TimeoutError" in message or "Timeout" in message:
        return FailureClass.TIMEOUT
    return FailureClass.TEST_ERROR


_WAITING = re.compile(r"waiting for (.+)")


def failing_locator(message: str) -> str | None:
    """The locator expression Playwright was waiting for, as it prints it."""
    m = _WAITING.search(message)
    return m.group(1).strip() if m else None
