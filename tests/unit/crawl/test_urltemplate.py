from __future__ import annotations

import pytest

from qaforge.crawl.urltemplate import normalize_url, url_template


@pytest.mark.parametrize(
    ("url", "template"),
    [
        ("http://h/items/1", "/items/{id}"),
        ("http://h/items/27", "/items/{id}"),
        ("http://h/users/3/orders/99", "/users/{id}/orders/{id}"),
        ("http://h/catalogue?page=2&q=lamp", "/catalogue?page={page}&q={q}"),
        ("http://h/catalogue?q=x&page=3", "/catalogue?page={page}&q={q}"),
        ("http://h/", "/"),
        ("http://h/a/0b7e6c2a-5d3f-4a1b-9c8d-1e2f3a4b5c6d", "/a/{uuid}"),
        ("http://h/#/experiments/1", "/#/experiments/{id}"),
        # A route's own query: one page, whatever it returns to.
        ("http://h/#/settings?returnTo=%2Fexperiments%2F3", "/#/settings?returnTo={returnTo}"),
        ("http://h/about#team", "/about"),
    ],
)
def test_data_in_urls_becomes_placeholders(url: str, template: str) -> None:
    assert url_template(url) == template


def test_normalize_sorts_query_and_drops_plain_anchors() -> None:
    assert normalize_url("http://h/c?b=2&a=1#top") == "http://h/c?a=1&b=2"
    assert normalize_url("http://h/#/runs/2") == "http://h/#/runs/2"
    assert normalize_url("http://h") == "http://h/"
