"""URLs of the crawled app resolved on the server a suite runs against, one way everywhere."""

from __future__ import annotations

from qaforge.crawl.urltemplate import origin_of, resolve_on


def test_origin_of_drops_path_query_and_hash() -> None:
    assert origin_of("http://h:8000/demo/x?q=1#top") == "http://h:8000"


def test_a_sub_path_app_keeps_its_prefix_once() -> None:
    assert resolve_on("http://h/demo/", "/demo/") == "http://h/demo/"
    assert resolve_on("http://h/demo", "/demo/login") == "http://h/demo/login"


def test_a_crawled_url_moves_to_the_base_urls_server() -> None:
    got = resolve_on("http://ci:9000/", "http://127.0.0.1:8000/items/1?x=2#/route")
    assert got == "http://ci:9000/items/1?x=2#/route"


def test_relative_references_resolve_against_the_base_path() -> None:
    assert resolve_on("http://h/demo", "login") == "http://h/demo/login"
    assert resolve_on("http://h/demo/", "login?next=/") == "http://h/demo/login?next=/"
