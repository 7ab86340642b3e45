"""What the crawl takes for a download: Playwright's own words for one, and an attachment."""

from __future__ import annotations

import pytest
from playwright.async_api import Error as PlaywrightError

from qaforge.crawl.actor import DownloadStarted, is_download
from qaforge.crawl.discover import is_attachment


def test_only_the_download_error_is_a_download() -> None:
    started = PlaywrightError(
        'Page.goto: Download is starting\nCall log:\n  - navigating to "http://x/a.zip"'
    )
    assert is_download(started)
    assert is_download(DownloadStarted("http://x/a.zip"))
    for other in (
        "Page.goto: net::ERR_ABORTED at http://x/a.zip",
        "Page.goto: Timeout 15000ms exceeded.\nCall log:\n  - Download is starting",
        "Target page, context or browser has been closed",
    ):
        assert not is_download(PlaywrightError(other)), other
    assert not is_download(ValueError("Download is starting"))


@pytest.mark.parametrize(
    ("header", "attachment"),
    [
        ('attachment; filename="suite.zip"', True),
        ("Attachment", True),
        (" attachment ;filename=a.bin", True),
        ('inline; filename="report.html"', False),
        ("", False),
        ("attachments", False),
    ],
)
def test_an_attachment_is_told_by_its_disposition(header: str, attachment: bool) -> None:
    assert is_attachment(header) is attachment
