"""The page checks: one parametrised pytest test over every page the HTTP walk found.

Each case is a plain HTTP request through one logged-in `APIRequestContext` (the login's
cookies, no browser page), so hundreds of pages cost seconds. A case checks what the walk saw:
the status, the address the page ends up at (a page that now sends you to the login or
elsewhere has changed), and the title where every instance of its kind of page had the same one
(a title that differs per instance is data, not structure).
"""

from __future__ import annotations

import re

from qaforge.generate.literals import py_docstring, py_str
from qaforge.models import Scenario, StepKind

PAGES_FILE = "test_page_checks.py"
PAGES_FUNCTION = "test_page_answers"

_HEADER = '''"""Every page qaforge's HTTP walk found answers as it did when the app was explored."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import APIRequestContext

TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
# An icon's <title> inside an <svg> names the icon, not the page.
SVG = re.compile(r"<svg\b.*?</svg>", re.I | re.S)
'''

_FUNCTION = """

@pytest.mark.parametrize(
    ("path", "status", "final", "title"), list(PAGES.values()), ids=list(PAGES)
)
def __NAME__(
    http: APIRequestContext, path: str, status: int, final: str | None, title: str | None
) -> None:
    __DOC__
    response = http.get(path)
    assert response.status == status, (
        "GET " + path + " answered " + str(response.status) + ", not " + str(status)
    )
    if final is not None:
        assert urlsplit(response.url).path == final, (
            "GET " + path + " ended at " + urlsplit(response.url).path + ", not " + final
        )
    if title is not None:
        found = TITLE.search(SVG.sub("", response.body().decode("utf-8", "replace")))
        shown = " ".join(html.unescape(found.group(1)).split()) if found else ""
        assert shown == title, "GET " + path + " has the title " + repr(shown)
"""


def param_id(path: str, taken: set[str]) -> str:
    """A readable, unique pytest id for a page: `/admin/auth/user/?o=1` → `admin-auth-user-o-1`."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:60].strip("-") or "root"
    out, n = slug, 2
    while out in taken:
        out = f"{slug}-{n}"
        n += 1
    taken.add(out)
    return out


def page_case(sc: Scenario) -> tuple[str, int, str | None, str | None]:
    """(path, status, final path or None, title or None) of a page-answers scenario."""
    check = next(s for s in sc.steps if s.kind == StepKind.EXPECT_STATUS)
    title = next((s.text for s in sc.steps if s.kind == StepKind.EXPECT_TITLE), None)
    assert check.url is not None and check.value is not None
    return check.url, int(check.value), check.text, title


def pages_module(scenarios: list[Scenario]) -> tuple[str, list[tuple[Scenario, str]]]:
    """The module's source and each scenario's test id within it (`test_page_answers[ID]`)."""
    # A page called "chromium" must not read as pytest-playwright's browser parameter.
    taken: set[str] = {"chromium", "firefox", "webkit"}
    named: list[tuple[Scenario, str]] = []
    rows = []
    for sc in scenarios:
        path, status, final, title = page_case(sc)
        pid = param_id(path, taken)
        named.append((sc, f"{PAGES_FUNCTION}[{pid}]"))
        shown = py_str(title) if title is not None else "None"
        ends = py_str(final) if final is not None else "None"
        rows.append(f"    {py_str(pid)}: ({py_str(path)}, {status}, {ends}, {shown}),")
    doc = py_docstring(
        "Scenario: every page the crawl found answers as it did\n"
        "Given I am logged in as the crawl was (if the app has a login)\n"
        "When I request each page the crawl found\n"
        "Then it answers with the same status, at the same address, with the same title"
    )
    source = (
        _HEADER
        + "\n# id: (path, status, where it ends up or None after a redirect, title or None)\n"
        + "PAGES = {\n"
        + "\n".join(rows)
        + "\n}\n"
        + _FUNCTION.replace("__NAME__", PAGES_FUNCTION).replace("__DOC__", doc)
    )
    return source, named
