"""The generated suite's conftest.py: base URL, browser, login, console errors, quarantine."""

from __future__ import annotations

from qaforge.crawl.browser import VIEWPORT
from qaforge.generate.literals import py_str

# What the suite says when it lacks its settings; the engine reads it as a usage error of the
# run, never as a failing test or an app defect.
CONFIG_MARKER = "set QAFORGE_USERNAME and QAFORGE_PASSWORD"

_TEMPLATE = '''"""Fixtures for the qaforge-generated suite.

Run with `pytest` (pytest-playwright). The base URL is `--base-url` or QAFORGE_BASE_URL;
credentials come only from QAFORGE_USERNAME / QAFORGE_PASSWORD; the browser is QAFORGE_CHROMIUM,
else Debian's /usr/bin/chromium, else Playwright's own.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import APIRequestContext, Page, Playwright, expect

DEFAULT_BASE_URL = __DEFAULT_BASE_URL__
LOGIN_PATH = __LOGIN_PATH__
HTTP_AUTH = __HTTP_AUTH__
# The window qaforge explored the app in: a layout that changes with the window size shows the
# controls the tests expect.
VIEWPORT = __VIEWPORT__
HERE = Path(__file__).parent
BROWSERS = ("chromium", "firefox", "webkit")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario(id): the qaforge scenario this test checks")
    config.addinivalue_line("markers", "app_defect(kind): fails because the app is broken")
    config.addinivalue_line("markers", "quarantined: qaforge found the test flaky; it still runs")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests qaforge quarantined as flaky (quarantine.json) still run: a quarantine must never
    hide a regression. They are only marked, so `-m "not quarantined"` can leave them out."""
    path = HERE / "quarantine.json"
    if not path.exists():
        return
    quarantined = {q["test_id"] for q in json.loads(path.read_text() or "[]")}
    for item in items:
        if _qaforge_id(item.nodeid) in quarantined:
            item.add_marker(pytest.mark.quarantined)


def _qaforge_id(nodeid: str) -> str:
    """`test_x.py::test_y[chromium]` → `test_x.py::test_y`; a page check keeps its page."""
    name = nodeid.split("::", 1)
    base, _, params = name[-1].partition("[")
    head = name[0].split("/")[-1] + "::" if len(name) > 1 else ""
    kept = params.rstrip("]")
    return head + (base + "[" + kept + "]" if kept and kept not in BROWSERS else base)


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config) -> str:
    """pytest-base-url's fixture, falling back to QAFORGE_BASE_URL."""
    url = pytestconfig.getoption("base_url", None) or os.environ.get("QAFORGE_BASE_URL")
    return str(url or DEFAULT_BASE_URL).rstrip("/")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    args = dict(browser_type_launch_args)
    exe = os.environ.get("QAFORGE_CHROMIUM")
    if not exe and os.path.exists("/usr/bin/chromium"):
        exe = "/usr/bin/chromium"
    if exe:
        args["executable_path"] = exe
    args["args"] = [*args.get("args", []), *CHROMIUM_FLAGS]
    return args


def _credentials() -> tuple[str, str]:
    user, password = os.environ.get("QAFORGE_USERNAME"), os.environ.get("QAFORGE_PASSWORD")
    if not user or not password:
        pytest.fail("set QAFORGE_USERNAME and QAFORGE_PASSWORD for this app (it needs a login)", pytrace=False)
    return user, password


@pytest.fixture(scope="session")
def _http_credentials() -> dict[str, str] | None:
    if not HTTP_AUTH:
        return None
    user, password = _credentials()
    return {"username": user, "password": password}


@pytest.fixture(scope="session")
def _login_state(
    playwright: Playwright,
    browser_type_launch_args: dict[str, Any],
    base_url: str,
    _http_credentials: dict[str, str] | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> str | None:
    """Log in once per session through the app's login form; reuse the cookies.

    Chromium of its own, not the `browser` fixture: the page checks share this login without
    opening a browser page (and without being repeated per browser)."""
    if not LOGIN_PATH:
        return None
    user, password = _credentials()
    browser = playwright.chromium.launch(**browser_type_launch_args)
    try:
        context = browser.new_context(base_url=base_url, http_credentials=_http_credentials)
        page = context.new_page()
        page.goto(LOGIN_PATH)
        form = page.locator("form:has(input[type=password])").first
        form.locator("input[type=text], input[type=email], input:not([type])").first.fill(user)
        form.locator("input[type=password]").fill(password)
        form.locator("button[type=submit], input[type=submit], button:not([type])").first.click()
        page.wait_for_load_state()
        if page.locator("input[type=password]:visible").count():
            pytest.fail("login at " + LOGIN_PATH + " failed: check QAFORGE_USERNAME/PASSWORD")
        path = tmp_path_factory.mktemp("qaforge-auth") / "state.json"
        context.storage_state(path=str(path))
        context.close()
    finally:
        browser.close()
    return str(path)


@pytest.fixture(scope="session")
def http(
    playwright: Playwright,
    base_url: str,
    _login_state: str | None,
    _http_credentials: dict[str, str] | None,
) -> Iterator[APIRequestContext]:
    """One HTTP client with the login's cookies for the page checks (no browser page)."""
    context = playwright.request.new_context(
        base_url=base_url,
        storage_state=_login_state,
        http_credentials=_http_credentials,
        # What a browser asks for, as the crawl's walk did: some apps answer by this header.
        extra_http_headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    yield context
    context.dispose()


@pytest.fixture(scope="session")
def browser_context_args(
    browser_context_args: dict[str, Any],
    _login_state: str | None,
    _http_credentials: dict[str, str] | None,
) -> dict[str, Any]:
    args = {"viewport": VIEWPORT, **browser_context_args}
    if _login_state:
        args["storage_state"] = _login_state
    if _http_credentials:
        args["http_credentials"] = _http_credentials
    return args


@pytest.fixture(autouse=True)
def _timeouts(request: pytest.FixtureRequest) -> None:
    """Fail fast: a missing element is reported in seconds, not after Playwright's 30 s.

    Loading a page gets longer: a large single-page app's first load takes its time, and a
    slow load is not a missing element."""
    timeout_ms = int(os.environ.get("QAFORGE_TIMEOUT_MS", "__TIMEOUT_MS__"))
    navigation_ms = int(os.environ.get("QAFORGE_NAVIGATION_TIMEOUT_MS", "30000"))
    expect.set_options(timeout=timeout_ms)
    if "page" in request.fixturenames:
        page = request.getfixturevalue("page")
        page.set_default_timeout(timeout_ms)
        page.set_default_navigation_timeout(navigation_ms)


@pytest.fixture()
def unique() -> str:
    """A token that makes data unique per test run (emails, usernames)."""
    return uuid.uuid4().hex[:10]


@pytest.fixture()
def console_errors(page: Page, base_url: str) -> list[str]:
    """The page's own errors during the test: console.error, uncaught exceptions, and the
    app's own API calls answering a server error (5xx).

    A resource that fails to load (a missing favicon) is the crawl's finding, with its URL,
    not a failure of every test that opens the page."""
    errors: list[str] = []
    app = urlsplit(base_url).netloc
    # "ResizeObserver loop ...": the browser's notice of a late layout, not the app's error.
    page.on(
        "console",
        lambda m: errors.append(m.text)
        if m.type == "error"
        and not m.text.startswith("Failed to load resource")
        and "ResizeObserver loop" not in m.text
        else None,
    )
    page.on(
        "pageerror",
        lambda e: errors.append("uncaught: " + str(e))
        if "ResizeObserver loop" not in str(e)
        else None,
    )
    page.on(
        "response",
        lambda r: errors.append(
            "server error: " + r.request.method + " " + r.url + " answered " + str(r.status)
        )
        if r.status >= 500
        and r.request.resource_type in ("fetch", "xhr")
        and urlsplit(r.url).netloc == app
        else None,
    )
    return errors


@pytest.fixture(autouse=True)
def _server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Record documents and API calls that answered 5xx, so a failure can be told apart
    from a broken test (qaforge reads qaforge-events.jsonl)."""
    if "page" not in request.fixturenames:
        yield
        return
    page: Page = request.getfixturevalue("page")
    seen: list[str] = []
    page.on(
        "response",
        lambda r: seen.append(r.request.method + " " + r.url + " " + str(r.status))
        if r.status >= 500
        else None,
    )
    yield
    out = os.environ.get("QAFORGE_EVENTS")
    if seen and out:
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"test": request.node.nodeid, "server_errors": seen}) + "\\n")
'''


def element_timeout_ms(ready_p90_s: float) -> int:
    """The suite's element timeout for an app whose pages took `ready_p90_s` to be usable in
    the crawl: three times that (tests load images and fonts the crawl skipped), 5-15 s, in
    whole seconds (small differences between two crawls rarely change it)."""
    return int(min(15, max(5, round(3 * ready_p90_s + 0.5)))) * 1000


def conftest_source(
    base_url: str, login_path: str | None, http_auth: bool, timeout_ms: int = 5000
) -> str:
    """conftest.py for a suite of the app at `base_url`."""
    return (
        _TEMPLATE.replace("__DEFAULT_BASE_URL__", py_str(base_url))
        .replace("__TIMEOUT_MS__", str(int(timeout_ms)))
        .replace("__LOGIN_PATH__", py_str(login_path) if login_path else "None")
        .replace("__HTTP_AUTH__", "True" if http_auth else "False")
        .replace("__VIEWPORT__", repr(VIEWPORT))
    )
