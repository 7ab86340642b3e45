"""The last look keeps a count that grew (the crawl's own data) and drops one that fell."""

from __future__ import annotations

from qaforge.crawl.explorer import _counts, _noun_key, _still_counted


def test_a_count_that_grew_is_still_counted_one_that_fell_is_not() -> None:
    now = _counts(["13 products", "1 entry", "Hello"])
    assert _still_counted("12 products", now) and _still_counted("13 products", now)
    assert not _still_counted("14 products", now)
    assert _still_counted("1 entries", now)  # the singular and the plural are one noun
    assert not _still_counted("Hello", now) and not _still_counted("2 users", now)
    assert [_noun_key(n) for n in ("boxes", "box", "entries", "entry")] == ["box"] * 2 + ["entry"] * 2
