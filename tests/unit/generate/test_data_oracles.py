"""Oracles that see data: a submitted unique value comes back where the app leads (round trip);
the item a list links to is the item its page shows (list → detail)."""

from __future__ import annotations

from qaforge.crawl.formdata import UNIQUE_TEXT, placeholder_for
from qaforge.crawl.forms import concrete, echoed_fields
from qaforge.generate.emit_python import PythonEmitter
from qaforge.generate.locators import LocatorChooser
from qaforge.generate.scenarios import derive_scenarios
from qaforge.generate.strategy import get_strategy
from qaforge.models import (
    Action,
    ActionKind,
    AppModel,
    Element,
    Form,
    FormField,
    Locator,
    LocatorStrategy,
    Outcome,
    ScenarioKind,
    State,
    StepKind,
    Target,
    Transition,
)
from qaforge.report.summary import oracle_of


def test_free_text_gets_a_unique_value_only_where_the_field_allows_it() -> None:
    assert placeholder_for(FormField(name="title")) == UNIQUE_TEXT
    assert placeholder_for(FormField(name="body", type="textarea", tag="textarea")) == UNIQUE_TEXT
    assert placeholder_for(FormField(name="title", pattern=r"[A-Z]+")) is None
    assert placeholder_for(FormField(name="code", maxlength=5)) is None
    assert placeholder_for(FormField(name="bio", tag="textarea", minlength=30)) is None
    assert placeholder_for(FormField(name="name", label="Product name")) == UNIQUE_TEXT
    assert placeholder_for(FormField(name="full_name")) is None  # a person's name stays one
    assert concrete(UNIQUE_TEXT, "ab12cd") == "qa-ab12cd"


def test_echoed_fields_are_those_whose_typed_value_the_page_shows() -> None:
    values = {"title": UNIQUE_TEXT, "note": UNIQUE_TEXT, "email": "{unique_email}"}
    shown = ['The book "qa-ab12cd" was added successfully.', "qa.ab12cd@example.com"]
    assert echoed_fields(values, shown, "ab12cd") == ["title", "note"]
    assert echoed_fields(values, ['The book "qa-ab12c" was added.'], "ab12cd") == []
    assert echoed_fields({"title": "Sample text"}, ["Sample text"], "ab12cd") == []


def el(eid: str, role: str, name: str) -> Element:
    """A control found by its role and name."""
    loc = Locator(strategy=LocatorStrategy.ROLE, value=role, name=name, count=1)
    return Element(id=eid, role=role, name=name, locators=[loc])


def _model(echoed: list[str]) -> AppModel:
    title = FormField(name="title", element_id="t")
    form = Form(id="f", action="/books/add", method="post", fields=[title], submit="s")
    add = State(
        id="add",
        url="http://x/books/add",
        url_template="/books/add",
        reach_url="http://x/books/add",
        elements=[el("t", "textbox", "Title"), el("s", "button", "Save")],
        forms=[form],
        stable_texts=["Add book", "Save"],
    )
    books = State(
        id="books",
        url="http://x/books",
        url_template="/books",
        reach_url="http://x/books",
        elements=[el("h", "heading", "Books")],
        stable_texts=["Books"],
    )
    save = Transition(
        id="tr",
        source="add",
        target="books",
        action=Action(
            kind=ActionKind.FILL_SUBMIT,
            form_id="f",
            element_id="s",
            values={"title": UNIQUE_TEXT},
            variant="valid",
            label="Save (valid)",
        ),
        outcome=Outcome.NAVIGATED,
        target_url="http://x/books",
        echoed_fields=echoed,
    )
    return AppModel(target=Target(url="http://x/"), states=[add, books], transitions=[save])


def test_a_form_whose_value_came_back_asserts_it_in_the_generated_test() -> None:
    model = _model(["title"])
    [valid] = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.FORM_VALID]
    assert "oracle:round-trip" in valid.tags
    assert valid.then.endswith("showing what I entered")
    fills = [s for s in valid.steps if s.kind == StepKind.FILL]
    checks = [s for s in valid.steps if s.kind == StepKind.EXPECT_TEXT and s.data]
    assert [s.data for s in fills] == [UNIQUE_TEXT] and len(checks) == 1
    strategy = get_strategy("balanced")
    emitter = PythonEmitter(strategy, LocatorChooser(model, list(strategy.locator_priority)))
    code = emitter.test_function(valid, "test_it")
    assert 'fill("qa-" + unique)' in code
    assert 'expect(page.get_by_text("qa-" + unique).first).to_be_visible()' in code
    assert "unique: str" in code
    # A failure of this test is reported under the oracle that caught it.
    assert oracle_of(valid) == "round-trip"
    # The page it led to showed no list: no row is asked for.
    assert not any(s.kind == StepKind.EXPECT_ROWS for s in valid.steps)


def test_a_round_trip_that_leads_to_a_list_finds_the_record_among_its_rows() -> None:
    """django-admin's newest-book-hidden: "The book “qa-…” was added" showed above a list
    that no longer had it; the text check passed, the row check does not."""
    model = _model(["title"])
    books = model.states[1]
    books.rows, books.rows_from, books.row_count = [["Dune"]], "table", 1
    [valid] = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.FORM_VALID]
    [row] = [s for s in valid.steps if s.kind == StepKind.EXPECT_ROWS]
    assert row.data == UNIQUE_TEXT
    strategy = get_strategy("balanced")
    emitter = PythonEmitter(strategy, LocatorChooser(model, list(strategy.locator_priority)))
    code = emitter.test_function(valid, "test_it")
    assert (
        'expect(page.locator(DATA_ROWS).filter(has_text="qa-" + unique).first).to_be_visible()'
        in code
    )


def test_no_round_trip_is_invented_when_the_value_was_not_shown() -> None:
    [valid] = [s for s in derive_scenarios(_model([])) if s.kind == ScenarioKind.FORM_VALID]
    assert "oracle:round-trip" not in valid.tags
    assert oracle_of(valid) == "form-valid"
    assert not [s for s in valid.steps if s.kind == StepKind.EXPECT_TEXT and s.data]


def _list_model(detail_texts: list[str], target: str = "http://x/books/7") -> AppModel:
    loc = Locator(strategy=LocatorStrategy.ROLE, value="link", name="Dune", count=1)
    books = State(
        id="books",
        url="http://x/books",
        url_template="/books",
        reach_url="http://x/books",
        elements=[Element(id="l", role="link", name="Dune", locators=[loc])],
        stable_texts=["Books", "Dune"],
    )
    detail = State(
        id="d7",
        url="http://x/books/7",
        url_template="/books/{id}",
        reach_url="http://x/books/7",
        stable_texts=detail_texts,
    )
    follow = Transition(
        id="tl",
        source="books",
        target="d7",
        action=Action(kind=ActionKind.CLICK, element_id="l", label="Dune"),
        outcome=Outcome.NAVIGATED,
        target_url=target,
    )
    return AppModel(target=Target(url="http://x/"), states=[books, detail], transitions=[follow])


def _navigation(model: AppModel) -> list[tuple[list[str], list[str]]]:
    return [
        (s.tags, [st.text or "" for st in s.steps if st.kind == StepKind.EXPECT_TEXT])
        for s in derive_scenarios(model)
        if s.kind == ScenarioKind.NAVIGATION
    ]


def test_the_followed_items_name_is_asserted_on_its_page() -> None:
    assert _navigation(_list_model(["Dune", "Frank Herbert"])) == [
        (["oracle:list-detail"], ["Dune"])
    ]


def test_list_detail_degrades_to_what_was_observed() -> None:
    # The page did not show the link's text, or the state was recorded on another instance.
    assert _navigation(_list_model(["Frank Herbert"])) == [([], [])]
    assert _navigation(_list_model(["Dune"], target="http://x/books/8")) == [([], [])]


def _search_model(found: bool, gone: list[str]) -> AppModel:
    q = FormField(name="q", element_id="q")
    form = Form(id="f", action="", method="get", fields=[q], submit="go")
    books = State(
        id="books",
        url="http://x/books",
        url_template="/books",
        reach_url="http://x/books",
        elements=[el("q", "searchbox", "Search"), el("go", "button", "Search")],
        forms=[form],
        rows=[["Dune", "Frank Herbert"]],
        stable_texts=["Books", "Dune", "Frank Herbert"],
    )

    def search(tid: str, term: str) -> Transition:
        return Transition(
            id=tid,
            source="books",
            target="books",
            action=Action(
                kind=ActionKind.FILL_SUBMIT,
                form_id="f",
                element_id="go",
                values={"q": term},
                variant="search",
                label=f"Search for {term}",
            ),
            outcome=Outcome.NAVIGATED,
            search_found=found and term != UNIQUE_TEXT,
            search_gone=gone if term == UNIQUE_TEXT else [],
        )

    return AppModel(
        target=Target(url="http://x/"),
        states=[books],
        transitions=[search("s1", "Frank Herbert"), search("s2", UNIQUE_TEXT)],
    )


def test_search_finds_a_listed_item_and_a_made_up_term_lists_none() -> None:
    scenarios = [s for s in derive_scenarios(_search_model(True, ["Dune"])) if s.tags]
    [finds] = [s for s in scenarios if "finds a listed item" in s.title]
    [nothing] = [s for s in scenarios if "nothing has" in s.title]
    assert oracle_of(finds) == oracle_of(nothing) == "search"
    assert [s.value for s in finds.steps if s.kind == StepKind.FILL] == ["Frank Herbert"]
    assert [s.text for s in finds.steps if s.kind == StepKind.EXPECT_TEXT] == ["Frank Herbert"]
    assert [s.data for s in nothing.steps if s.kind == StepKind.FILL] == [UNIQUE_TEXT]
    assert [s.text for s in nothing.steps if s.kind == StepKind.EXPECT_NO_TEXT] == ["Dune"]
    strategy = get_strategy("balanced")
    emitter = PythonEmitter(strategy, LocatorChooser(_search_model(True, ["Dune"]), []))
    code = emitter.test_function(nothing, "test_it").replace("'", '"')
    assert 'expect(page.get_by_text("Dune", exact=True)).to_have_count(0)' in code


def test_a_search_that_finds_nothing_looks_among_the_table_rows_it_read() -> None:
    # Django greets "admin" in its header: only the rows of the user table must lose it.
    model = _search_model(True, ["Dune"])
    model.states[0].rows_from = "table"
    [nothing] = [s for s in derive_scenarios(model) if "nothing has" in s.title]
    emitter = PythonEmitter(get_strategy("balanced"), LocatorChooser(model, []))
    code = emitter.test_function(nothing, "test_it").replace("'", '"')
    assert (
        'expect(page.locator(DATA_ROWS).get_by_text("Dune", exact=True)).to_have_count(0)' in code
    )
    module = emitter.module("books", "http://x/", [(nothing, "test_it")])
    assert "DATA_ROWS = " in module


def test_no_search_oracle_without_what_the_crawl_saw() -> None:
    # The term did not come back and nothing went away: the app's search is not asserted.
    assert not [s for s in derive_scenarios(_search_model(False, [])) if "search" in s.tags]
    assert not [
        s for s in derive_scenarios(_search_model(False, [])) if s.title.startswith("search on")
    ]


def _table_model(rows_on_every_visit: bool, row_count: int = 0) -> AppModel:
    def books(sid: str, rows: list[list[str]]) -> State:
        return State(
            id=sid,
            url=f"http://x/books?page={sid}",
            url_template="/books?page={page}",
            reach_url=f"http://x/books?page={sid}",
            rows=rows,
            rows_from="table" if rows else "",
            row_count=row_count if rows else 0,
            stable_texts=["Books"],
        )

    second = [["Emma", "Jane Austen"]] if rows_on_every_visit else []
    return AppModel(
        target=Target(url="http://x/"),
        states=[books("1", [["Dune", "Frank Herbert"]]), books("2", second)],
    )


def test_a_table_that_always_had_rows_must_show_one() -> None:
    [loads] = [s for s in derive_scenarios(_table_model(True)) if s.kind == ScenarioKind.PAGE_LOADS]
    assert oracle_of(loads) == "lists"
    assert any(s.kind == StepKind.EXPECT_ROWS for s in loads.steps)
    strategy = get_strategy("balanced")
    emitter = PythonEmitter(strategy, LocatorChooser(_table_model(True), []))
    module = emitter.module("books", "http://x/", [(loads, "test_books_load")])
    assert "DATA_ROWS = " in module
    assert "expect(page.locator(DATA_ROWS).nth(0)).to_be_visible()" in module
    # A page seen once without rows (an empty filter, a last page) is not held to having any.
    [plain] = [
        s for s in derive_scenarios(_table_model(False)) if s.kind == ScenarioKind.PAGE_LOADS
    ]
    assert not any(s.kind == StepKind.EXPECT_ROWS for s in plain.steps)
    assert "oracle:lists" not in plain.tags


def test_a_table_is_held_to_as_many_rows_as_the_crawl_saw() -> None:
    """One run dropped from a list of six is a failure; rows the tests add are not."""
    [loads] = [
        s for s in derive_scenarios(_table_model(True, 6)) if s.kind == ScenarioKind.PAGE_LOADS
    ]
    [rows] = [s for s in loads.steps if s.kind == StepKind.EXPECT_ROWS]
    assert rows.value == "6"
    assert "at least 6 rows" in loads.then
    emitter = PythonEmitter(get_strategy("balanced"), LocatorChooser(_table_model(True, 6), []))
    module = emitter.module("books", "http://x/", [(loads, "test_books_load")])
    assert "expect(page.locator(DATA_ROWS).nth(5)).to_be_visible()" in module


def _filter_model(label: str, filtered: list[list[str]], row_count: int | None = None) -> AppModel:
    books = State(
        id="books",
        url="http://x/books",
        url_template="/books",
        reach_url="http://x/books",
        elements=[el("h", "heading", "Books"), el("f", "link", label)],
        stable_texts=["Books", label],
        rows=[["Dune", "Sci-fi"], ["Emma", "Romance"], ["Hobbit", "Fantasy"]],
        rows_from="table",
        row_count=3,
    )
    chosen = State(
        id="chosen",
        url="http://x/books?genre=x",
        url_template="/books?genre={}",
        reach_url="http://x/books?genre=x",
        elements=[el("h2", "heading", "Books")],
        stable_texts=["Books"],
        rows=filtered,
        rows_from="table",
        row_count=len(filtered) if row_count is None else row_count,
    )
    click = Transition(
        id="go",
        source="books",
        target="chosen",
        action=Action(kind=ActionKind.CLICK, element_id="f", label=label),
        outcome=Outcome.NAVIGATED,
        target_url="http://x/books?genre=x",
    )
    return AppModel(target=Target(url="http://x/"), states=[books, chosen], transitions=[click])


def test_a_list_a_link_filtered_shows_only_rows_carrying_its_value() -> None:
    model = _filter_model("Fantasy", [["Hobbit", "Fantasy"], ["Elric", "Fantasy"]])
    [nav] = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.NAVIGATION]
    assert oracle_of(nav) == "filters"
    assert nav.then.endswith("every row listed carries 'Fantasy'")
    [only] = [s for s in nav.steps if s.kind == StepKind.EXPECT_ALL_ROWS]
    assert only.text == "Fantasy"
    strategy = get_strategy("balanced")
    emitter = PythonEmitter(strategy, LocatorChooser(model, list(strategy.locator_priority)))
    module = emitter.module("books", "http://x/", [(nav, "test_filter")])
    assert "DATA_ROWS = " in module
    assert (
        'expect(page.locator(DATA_ROWS).filter(has_not_text="Fantasy")).to_have_count(0)'
        in module.replace("'", '"')
    )
    # At least one row first: an empty list carries every value vacuously.
    rows_at = [i for i, s in enumerate(nav.steps) if s.kind == StepKind.EXPECT_ROWS]
    assert rows_at and rows_at[0] < nav.steps.index(only)


def test_no_filter_is_read_into_a_link_that_did_not_filter() -> None:
    # A sort link: the rows do not carry its name.
    sort = _filter_model("Title", [["Dune", "Sci-fi"], ["Emma", "Romance"]])
    # The list it came from carried the value on every row already: nothing was filtered.
    same = _filter_model("Fantasy", [["Hobbit", "Fantasy"]])
    same.states[0].rows = [["Hobbit", "Fantasy"], ["Elric", "Fantasy"]]
    for model in (sort, same):
        [nav] = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.NAVIGATION]
        assert not any(s.kind == StepKind.EXPECT_ALL_ROWS for s in nav.steps)
        assert "oracle:filters" not in nav.tags
