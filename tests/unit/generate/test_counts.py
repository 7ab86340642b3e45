"""The counts oracle: a count the crawl read twice ("200 rows") is held as a lower bound."""

from __future__ import annotations

import ast
import re

import pytest

from qaforge.crawl.stability import count_of, mark_unstable
from qaforge.generate.counts import at_least, count_pattern, count_phrase, noun_forms
from qaforge.generate.emit_python import PythonEmitter
from qaforge.generate.emit_typescript import TypeScriptEmitter
from qaforge.generate.locators import LocatorChooser
from qaforge.generate.scenarios import derive_scenarios
from qaforge.generate.strategy import get_strategy
from qaforge.models import AppModel, ScenarioKind, State, StepKind, Target
from qaforge.report.summary import oracle_of


@pytest.mark.parametrize("n", [0, 1, 7, 9, 10, 19, 99, 100, 199, 200, 999, 1000, 1234, 9999])
def test_at_least_matches_exactly_the_numbers_not_below(n: int) -> None:
    pattern = re.compile(rf"^{at_least(n)}$")
    for k in [*range(max(0, n - 30), n + 30), 10 * n + 3, 12345, 1000000]:
        for written in {str(k), f"{k:,}"}:
            assert bool(pattern.match(written)) == (k >= n), (n, written)
    # Leading zeros and stray commas are not numbers a page states.
    assert not pattern.match("0" + str(n + 1)) or n == 0
    assert not pattern.match(",1000")


def test_a_count_is_a_whole_number_and_a_noun() -> None:
    assert count_of("200 rows") == (200, "rows")
    assert count_of("1,234 matching rows") == (1234, "matching rows")
    assert count_of("(8 books)") == (8, "books")
    # Nothing to fall below, parts of a whole, durations, fractions and prose are no counts.
    for text in ["0 results", "0 of 2 selected", "3 seconds", "12 min", "2.5 stars", "Page 2"]:
        assert count_of(text) is None, text
    assert count_of("280 rows in 3 tables, 1 view") is None


def test_a_count_pattern_allows_more_and_a_plural() -> None:
    pattern = re.compile(count_pattern("1 row") or "")
    assert pattern.match("1 row") and pattern.match("2 rows") and pattern.match("1,001 rows")
    assert not pattern.match("0 rows") and not pattern.match("2 columns")
    pattern = re.compile(count_pattern("200 rows") or "")
    assert pattern.match("201 rows") and not pattern.match("199 rows")
    assert count_pattern("just text") is None
    # Django's history says "1 entry", then "2 entries" once a test has edited the object.
    pattern = re.compile(count_pattern("1 entry") or "")
    assert pattern.match("1 entry") and pattern.match("2 entries")
    assert not pattern.match("2 entrys") and not pattern.match("0 entries")
    pattern = re.compile(count_pattern("3 boxes") or "")
    assert pattern.match("4 boxes") and not pattern.match("2 boxes")
    # Only digits, letters and single spaces reach a comment in the generated code.
    assert count_phrase("8\tbooks\n") == "8 books"


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("row", ("row", "rows")),
        ("rows", ("row", "rows")),
        ("entry", ("entry", "entries")),
        ("entries", ("entry", "entries")),
        ("day", ("day", "days")),
        ("box", ("box", "boxes")),
        ("matches", ("match", "matches")),
        ("class", ("class", "classes")),
        ("ITEMS", ("ITEM", "ITEMS")),
    ],
)
def test_noun_forms_give_the_singular_and_the_plural(word: str, forms: tuple[str, str]) -> None:
    assert noun_forms(word) == forms


def _model(counts: list[str]) -> AppModel:
    state = State(
        id="t",
        url="http://x/shop/orders",
        url_template="/shop/orders",
        reach_url="http://x/shop/orders",
        stable_texts=["Orders", *counts],
    )
    return AppModel(target=Target(url="http://x/"), states=[state])


def test_the_crawl_keeps_counts_apart_from_asserted_texts() -> None:
    model = _model(["200 rows", "3 seconds"])
    mark_unstable(model.states)
    [state] = model.states
    assert state.counts == ["200 rows"]
    assert state.stable_texts == ["Orders"]
    # Marking again (a resumed crawl) keeps what was found.
    mark_unstable(model.states)
    assert state.counts == ["200 rows"]


def test_a_page_that_stated_a_count_must_state_at_least_as_many() -> None:
    model = _model(["200 rows"])
    mark_unstable(model.states)
    [loads] = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.PAGE_LOADS]
    assert oracle_of(loads) == "counts"
    assert "states at least '200 rows'" in loads.then
    [step] = [s for s in loads.steps if s.kind == StepKind.EXPECT_COUNT]
    assert step.text == "200 rows"
    strategy = get_strategy("balanced")
    chooser = LocatorChooser(model, list(strategy.locator_priority))
    module = PythonEmitter(strategy, chooser).module("shop", "http://x/", [(loads, "test_it")])
    ast.parse(module)
    assert "import re" in module
    assert "# 200 rows or more" in module
    [line] = [ln for ln in module.splitlines() if "re.compile(" in ln]
    assert line.strip().startswith("expect(page.get_by_text(re.compile(")
    assert line.strip().endswith(".first).to_be_visible()")
    ts = TypeScriptEmitter(strategy, chooser).module("shop", "http://x/", [(loads, "it")])
    assert "getByText(new RegExp(" in ts and "// 200 rows or more" in ts


def test_no_count_is_asserted_that_the_crawl_did_not_read_twice() -> None:
    model = _model([])
    mark_unstable(model.states)
    [loads] = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.PAGE_LOADS]
    assert not any(s.kind == StepKind.EXPECT_COUNT for s in loads.steps)
    assert "oracle:counts" not in loads.tags


def _listing(count: str, rows: int) -> AppModel:
    state = State(
        id="t",
        url="http://x/admin/products",
        url_template="/admin/products",
        reach_url="http://x/admin/products",
        stable_texts=["Products", count],
        rows=[[f"item {i}", "9.99"] for i in range(min(rows, 20))],
        rows_from="table",
        row_count=rows,
    )
    return AppModel(target=Target(url="http://x/"), states=[state])


def test_a_count_that_equalled_the_rows_listed_must_equal_them_still() -> None:
    model = _listing("30 products", 30)
    mark_unstable(model.states)
    [loads] = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.PAGE_LOADS]
    assert oracle_of(loads) == "lists+counts+relations"
    assert "states as many as it lists" in loads.then
    [step] = [s for s in loads.steps if s.kind == StepKind.EXPECT_COUNT_ROWS]
    assert step.text == "30 products"
    strategy = get_strategy("balanced")
    chooser = LocatorChooser(model, list(strategy.locator_priority))
    module = PythonEmitter(strategy, chooser).module("shop", "http://x/", [(loads, "test_it")])
    ast.parse(module)
    assert "DATA_ROWS = " in module
    assert "expect(page.locator(DATA_ROWS)).to_have_count(stated_count)" in module
    [literal] = re.findall(
        r"stated = page.get_by_text\(re.compile\((.+)\)\).filter\(visible=True\).first", module
    )
    regex = re.compile(ast.literal_eval(literal))
    assert regex.match("31 products") and regex.match("1,204 products") and regex.match("30 products")
    # A placeholder while loading, or a count below the crawl's, is not the count to read.
    assert not regex.match("0 products") and not regex.match("29 products")
    assert not regex.match("31 products (2 hidden)")
    ts = TypeScriptEmitter(strategy, chooser).module("shop", "http://x/", [(loads, "it")])
    assert ".filter({ visible: true }).first();" in ts
    assert "toHaveCount(Number((await stated.innerText()).replace(/\\D/g, \"\")))" in ts


def test_no_relation_is_asserted_for_a_count_the_rows_did_not_equal() -> None:
    # A paginated list: "200 rows" stated, 50 listed.
    model = _listing("200 rows", 50)
    mark_unstable(model.states)
    [loads] = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.PAGE_LOADS]
    assert not any(s.kind == StepKind.EXPECT_COUNT_ROWS for s in loads.steps)
    assert "oracle:relations" not in loads.tags


def test_no_relation_for_a_list_that_may_be_one_page_of_more() -> None:
    from qaforge.models import Element

    # 20 rows and "20 results": one record more makes "21 results" on a page of 20 rows.
    full_page = _listing("20 results", 20)
    # 7 rows and "7 results", with a link to the next page.
    paged = _listing("7 results", 7)
    paged.states[0].elements.append(Element(id="n", role="link", name="Next »"))
    for model in (full_page, paged):
        mark_unstable(model.states)
        [loads] = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.PAGE_LOADS]
        assert not any(s.kind == StepKind.EXPECT_COUNT_ROWS for s in loads.steps)
