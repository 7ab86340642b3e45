"""Fixtures for qaforge-generated suites: base URL, browser, login, console errors, quarantine.

Loaded by qaforge's pytest plugin (`qaforge.pytest_plugin`) for a suite whose pytest.ini says
`qaforge_fixtures = plugin`; a suite written with `--standalone` carries this file as its
conftest.py. So it imports nothing but the standard library, pytest and Playwright, and reads
its settings from pytest.ini's `qaforge_*` keys.

The base URL is `--base-url`, else QAFORGE_BASE_URL, else the app the suite was generated for;
credentials come only from QAFORGE_USERNAME / QAFORGE_PASSWORD; the browser is
QAFORGE_CHROMIUM, else Debian's /usr/bin/chromium, else Playwright's own.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import APIRequestContext, HttpCredentials, Page, Playwright, expect

BROWSERS = ("chromium", "firefox", "webkit")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-first-run",
]
# What the suite says when it lacks its settings; qaforge reads it as a usage error of the
# run, never as a failing test or an app defect.
CONFIG_MARKER = "set QAFORGE_USERNAME and QAFORGE_PASSWORD"


@dataclass(frozen=True)
class SuiteSettings:
    """What pytest.ini says of the app the suite was generated for."""

    base_url: str
    login_path: str | None
    http_auth: bool
    # The window qaforge explored the app in: a layout that changes with the window size
    # shows the controls the tests expect.
    viewport: dict[str, int]
    timeout_ms: int
    folder: Path

    @classmethod
    def of(cls, config: pytest.Config) -> SuiteSettings:
        def ini(name: str, default: str) -> str:
            try:
                value = config.getini(name)
            except ValueError:  # the key is not declared: nothing loaded qaforge's options
                return default
            return str(value).strip() if value not in (None, "") else default

        width, _, height = ini("qaforge_viewport", "1280x800").partition("x")
        inipath = config.inipath
        return cls(
            base_url=ini("qaforge_base_url", "http://127.0.0.1:8000"),
            login_path=ini("qaforge_login_path", "") or None,
            http_auth=ini("qaforge_http_auth", "false").lower() in ("true", "1", "yes"),
            viewport={"width": int(width or 1280), "height": int(height or 800)},
            timeout_ms=int(
                config.getoption("qaforge_timeout_ms", None)
                or os.environ.get("QAFORGE_TIMEOUT_MS")
                or ini("qaforge_timeout_ms", "5000")
            ),
            folder=inipath.parent if inipath is not None else config.rootpath,
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario(id): the qaforge scenario this test checks")
    config.addinivalue_line("markers", "app_defect(kind): fails because the app is broken")
    config.addinivalue_line("markers", "quarantined: qaforge found the test flaky; it still runs")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests qaforge quarantined as flaky (quarantine.json) still run: a quarantine must never
    hide a regression. They are only marked, so `-m "not quarantined"` can leave them out."""
    path = SuiteSettings.of(config).folder / "quarantine.json"
    if not path.exists():
        return
    quarantined = {q["test_id"] for q in json.loads(path.read_text() or "[]")}
    for item in items:
        if qaforge_id(item.nodeid) in quarantined:
            item.add_marker(pytest.mark.quarantined)


def qaforge_id(nodeid: str) -> str:
    """`test_x.py::test_y[chromium]` → `test_x.py::test_y`; a page check keeps its page."""
    name = nodeid.split("::", 1)
    base, _, params = name[-1].partition("[")
    head = name[0].split("/")[-1] + "::" if len(name) > 1 else ""
    kept = params.rstrip("]")
    return head + (base + "[" + kept + "]" if kept and kept not in BROWSERS else base)


@pytest.fixture(scope="session")
def qaforge_settings(pytestconfig: pytest.Config) -> SuiteSettings:
    """The suite's settings (pytest.ini)."""
    return SuiteSettings.of(pytestconfig)


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config, qaforge_settings: SuiteSettings) -> str:
    """pytest-base-url's fixture, falling back to QAFORGE_BASE_URL, then pytest.ini."""
    url = pytestconfig.getoption("base_url", None) or os.environ.get("QAFORGE_BASE_URL")
    return str(url or qaforge_settings.base_url).rstrip("/")


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
        pytest.fail(CONFIG_MARKER + " for this app (it needs a login)", pytrace=False)
    return user, password


@pytest.fixture(scope="session")
def _http_credentials(qaforge_settings: SuiteSettings) -> HttpCredentials | None:
    if not qaforge_settings.http_auth:
        return None
    user, password = _credentials()
    return HttpCredentials(username=user, password=password)


@pytest.fixture(scope="session")
def _login_state(
    playwright: Playwright,
    browser_type_launch_args: dict[str, Any],
    base_url: str,
    qaforge_settings: SuiteSettings,
    _http_credentials: HttpCredentials | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> str | None:
    """Log in once per session through the app's login form; reuse the cookies.

    Chromium of its own, not the `browser` fixture: the page checks share this login without
    opening a browser page (and without being repeated per browser)."""
    login_path = qaforge_settings.login_path
    if not login_path:
        return None
    user, password = _credentials()
    browser = playwright.chromium.launch(**browser_type_launch_args)
    try:
        context = browser.new_context(base_url=base_url, http_credentials=_http_credentials)
        page = context.new_page()
        page.goto(login_path)
        form = page.locator("form:has(input[type=password])").first
        form.locator("input[type=text], input[type=email], input:not([type])").first.fill(user)
        form.locator("input[type=password]").fill(password)
        form.locator("button[type=submit], input[type=submit], button:not([type])").first.click()
        page.wait_for_load_state()
        if page.locator("input[type=password]:visible").count():
            pytest.fail("login at " + login_path + " failed: check QAFORGE_USERNAME/PASSWORD")
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
    _http_credentials: HttpCredentials | None,
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
    qaforge_settings: SuiteSettings,
    _login_state: str | None,
    _http_credentials: HttpCredentials | None,
) -> dict[str, Any]:
    args = {"viewport": qaforge_settings.viewport, **browser_context_args}
    if _login_state:
        args["storage_state"] = _login_state
    if _http_credentials:
        args["http_credentials"] = _http_credentials
    return args


@pytest.fixture(autouse=True)
def _timeouts(request: pytest.FixtureRequest, qaforge_settings: SuiteSettings) -> None:
    """Fail fast: a missing element is reported in seconds, not after Playwright's 30 s.

    Loading a page gets longer: a large single-page app's first load takes its time, and a
    slow load is not a missing element."""
    timeout_ms = qaforge_settings.timeout_ms
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
        lambda m: (
            errors.append(m.text)
            if m.type == "error"
            and not m.text.startswith("Failed to load resource")
            and "ResizeObserver loop" not in m.text
            else None
        ),
    )
    page.on(
        "pageerror",
        lambda e: (
            errors.append("uncaught: " + str(e)) if "ResizeObserver loop" not in str(e) else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(
                "server error: " + r.request.method + " " + r.url + " answered " + str(r.status)
            )
            if r.status >= 500
            and r.request.resource_type in ("fetch", "xhr")
            and urlsplit(r.url).netloc == app
            else None
        ),
    )
    return errors


@pytest.fixture(autouse=True)
def _server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Record documents and API calls that answered 5xx, so a failure can be told apart
    from a broken test (qaforge reads the events file)."""
    if "page" not in request.fixturenames:
        yield
        return
    page: Page = request.getfixturevalue("page")
    seen: list[str] = []
    page.on(
        "response",
        lambda r: (
            seen.append(r.request.method + " " + r.url + " " + str(r.status))
            if r.status >= 500
            else None
        ),
    )
    yield
    out = request.config.getoption("qaforge_events", None) or os.environ.get("QAFORGE_EVENTS")
    if seen and out:
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"test": request.node.nodeid, "server_errors": seen}) + "\n")
