"""The relations oracle: a total that is the sum of a column of the page's data table."""

from __future__ import annotations

import ast
import re

from qaforge.crawl.relations import amount, find_sum
from qaforge.generate.emit_python import SUM_HELPERS, PythonEmitter
from qaforge.generate.emit_typescript import TypeScriptEmitter
from qaforge.generate.locators import LocatorChooser
from qaforge.generate.scenarios import derive_scenarios
from qaforge.generate.strategy import get_strategy
from qaforge.models import AppModel, ScenarioKind, State, StepKind, SumRelation, Target
from qaforge.report.summary import oracle_of

LINES = [
    ["Desk lamp", "1", "$12.00", "$12.00", "Remove"],
    ["Notebook", "3", "$2.50", "$7.50", "Remove"],
]


def cart(rows: list[list[str]], total: str, row_count: int | None = None) -> State:
    return State(
        id="cart",
        url="http://x/cart",
        url_template="/cart",
        reach_url="http://x/cart",
        rows=rows,
        rows_from="table",
        row_count=len(rows) if row_count is None else row_count,
        stable_texts=["Your cart", total],
    )


def test_money_amounts_and_nothing_else() -> None:
    assert amount("$1,234.50") == 1234.5
    assert amount("12.00 €") == 12.0
    assert amount("-3.50") == -3.5
    for text in ["12", "3 items", "Total: $12.00", "2026-12-01", ""]:
        assert amount(text) is None, text


def test_the_column_that_adds_up_to_the_total_is_found() -> None:
    state = cart(LINES, "Total: $19.50")
    assert find_sum(state, state.stable_texts) == SumRelation(
        column=3, label="Total:", total="Total: $19.50"
    )
    # One line of quantity 1: its price adds up too; the line total, further right, is taken.
    one = cart(LINES[:1], "Total: $12.00")
    assert find_sum(one, one.stable_texts) == SumRelation(
        column=3, label="Total:", total="Total: $12.00"
    )


def test_no_relation_is_invented() -> None:
    # Nothing adds up, nothing is labelled a total, only part of the table was read, a total
    # of nothing, and counts that are not money.
    for state in [
        cart(LINES, "Total: $20.00"),
        cart(LINES, "Paid: $19.50"),
        cart(LINES, "Total: $19.50", row_count=3),
        cart([["Desk lamp", "$0.00"]], "Total: $0.00"),
        cart([["Dune", "2"], ["Emma", "3"]], "5 total"),
    ]:
        assert find_sum(state, state.stable_texts) is None, state.stable_texts
    lines = State(id="l", url="http://x/", url_template="/", rows=LINES, rows_from="list")
    assert find_sum(lines, ["Total: $19.50"]) is None


def test_a_test_reaching_the_page_adds_up_its_lines() -> None:
    state = cart(LINES, "Total: $19.50")
    state.total = find_sum(state, state.stable_texts)
    model = AppModel(target=Target(url="http://x/"), states=[state])
    [loads] = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.PAGE_LOADS]
    assert oracle_of(loads) == "lists+relations"
    assert loads.then.endswith("and its total is the sum of its lines")
    [step] = [s for s in loads.steps if s.kind == StepKind.EXPECT_SUM]
    assert (step.text, step.value) == ("Total:", "3")
    strategy = get_strategy("balanced")
    chooser = LocatorChooser(model, list(strategy.locator_priority))
    module = PythonEmitter(strategy, chooser).module("cart", "http://x/", [(loads, "test_it")])
    ast.parse(module)
    assert "DATA_ROWS = " in module and "def amounts(page: Page, column: int)" in module
    assert "assert round(sum(amounts(page, 3)), 2) == amount(total.inner_text())" in module
    ts = TypeScriptEmitter(strategy, chooser).module("cart", "http://x/", [(loads, "it")])
    assert "async function amounts(page: Page" in ts and "type Page" in ts
    assert "(await amounts(page, 3))" in ts


def test_the_generated_amount_helper_reads_money_as_the_crawl_does() -> None:
    scope: dict[str, object] = {"re": re, "Page": object}
    exec(compile(SUM_HELPERS, "helpers", "exec"), scope)
    read = scope["amount"]
    assert callable(read)
    assert read("$1,234.50") == 1234.5 and read("-3.50") == -3.5 and read("n/a") == 0.0
