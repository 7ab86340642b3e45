"""The last look keeps a count that grew (the crawl's own data) and drops one that fell."""

from __future__ import annotations

from qaforge.crawl.last_look import noun_key, stated_counts, still_counted


def test_a_count_that_grew_is_still_counted_one_that_fell_is_not() -> None:
    now = stated_counts(["13 products", "1 entry", "Hello"])
    assert still_counted("12 products", now) and still_counted("13 products", now)
    assert not still_counted("14 products", now)
    assert still_counted("1 entries", now)  # the singular and the plural are one noun
    assert not still_counted("Hello", now) and not still_counted("2 users", now)


def test_singular_and_plural_share_a_key() -> None:
    pairs = [("boxes", "box"), ("entries", "entry"), ("houses", "house"), ("open issues", "open issue")]
    assert all(noun_key(a) == noun_key(b) for a, b in pairs)
    assert noun_key("rows") != noun_key("columns")
