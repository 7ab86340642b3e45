"""The search oracle's inputs: which forms search, and which listed texts are worth a search."""

from __future__ import annotations

from qaforge.crawl.search import listed_texts, search_field, search_terms
from qaforge.models import Form, FormField


def test_a_get_form_with_one_search_like_text_field_searches() -> None:
    q = FormField(name="q")
    assert search_field(Form(id="a", method="get", fields=[q])) == q
    labelled = FormField(name="term_x", label="Search books")
    assert search_field(Form(id="b", method="get", fields=[labelled])) == labelled
    typed = FormField(name="x", type="search")
    assert search_field(Form(id="c", method="get", fields=[typed])) == typed
    # A POST form changes something; two text fields are a filter form, not a search box.
    assert search_field(Form(id="d", method="post", fields=[q])) is None
    two = Form(id="e", method="get", fields=[q, FormField(name="city")])
    assert search_field(two) is None
    assert search_field(Form(id="f", method="get", fields=[FormField(name="city")])) is None


def test_terms_are_one_per_column_of_the_first_item_the_crawl_did_not_create() -> None:
    rows = [
        ["qa-5ff15ce906", "Author 1", "Fiction", "Jan. 15, 2030"],
        ["", "Dune", "Frank Herbert", "Fiction", "1965", "Yes"],
    ]
    assert search_terms(rows) == ["Dune", "Frank Herbert"]
    assert search_terms(rows, limit=3) == ["Dune", "Frank Herbert", "Fiction"]
    # Numbers, prices, yes/no and relative times name no item.
    assert search_terms([["42", "€12.50", "no", "3 minutes ago"]]) == []
    assert search_terms([]) == []


def test_listed_texts_leave_out_numbers_and_the_crawls_own_records() -> None:
    rows = [["Dune", "1965", "qa-ab12cd"], ["Emma", "Jane Austen"]]
    assert listed_texts(rows) == ["Dune", "Emma", "Jane Austen"]
