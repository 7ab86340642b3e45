""" "Accepts valid data" means the app accepted it: a refused submission is tried again with
fitting values, and one the app still refuses is a refusal scenario, never a "valid" one."""

from __future__ import annotations

from qaforge.crawl.formdata import UNIQUE_TEXT, fitting_value, valid_value
from qaforge.crawl.forms import fitted_values, rejection
from qaforge.generate.scenarios import derive_scenarios
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


def test_a_refusal_is_a_message_that_appeared_or_a_form_the_browser_stopped() -> None:
    said = ["Please correct the error below.", "Enter a valid date."]
    assert rejection(said, [], moved=False, changed=True) == "Please correct the error below."
    assert "superseder" in rejection(
        ["you may only enter ID values for property superseder"], [], False, True
    )
    assert rejection([], ["email"], moved=False, changed=False) == "fields marked invalid: email"
    # Led away from the form: accepted, whatever the next page says.
    assert rejection(said, ["published"], moved=True, changed=True) == ""
    # A script cleared the form after accepting it: its empty required fields prove nothing.
    assert rejection(["Added to your cart"], ["qty"], moved=False, changed=True) == ""
    # Nor does the same page loaded again empty after the server had the data (a redirect
    # back to /contact?sent=1 looks the same as before the submit).
    assert rejection([], ["name"], moved=False, changed=False, sent=True) == ""


def test_a_text_field_gets_a_value_that_fits_what_it_is_for() -> None:
    assert fitting_value(FormField(name="published", label="Published")) == "2030-01-15"
    assert fitting_value(FormField(name="x", placeholder="MM/DD/YYYY")) == "01/15/2030"
    assert fitting_value(FormField(name="superseder")) == "1"
    assert fitting_value(FormField(name="when"), "Enter a valid date.") == "2030-01-15"
    assert fitting_value(FormField(name="refs"), "you may only enter ID values") == "1"
    assert fitting_value(FormField(name="start_time")) == "10:30"
    assert fitting_value(FormField(name="title")) is None  # nothing better is known
    assert fitting_value(FormField(name="published", type="date")) is None  # typed already


def test_the_second_try_sends_what_is_required_flagged_or_meaningful() -> None:
    form = Form(
        id="f",
        fields=[
            FormField(name="title", required=True),
            FormField(name="when", required=True),
            FormField(name="notes"),
            FormField(name="email"),
            FormField(name="row-0-genre", type="select", options=["", "fic"]),
        ],
    )
    first = {
        "title": UNIQUE_TEXT,
        "when": "Sample text",
        "notes": "Sample text",
        "email": "{unique_email}",
        "row-0-genre": "fic",
    }
    said = ["Please correct the error below.", "Enter a valid date."]
    assert fitted_values(form, first, ["when"], said) == {
        "title": UNIQUE_TEXT,
        "when": "2030-01-15",
        "email": "{unique_email}",
        "row-0-genre": "fic",
    }
    # Unflagged, the message names no field: the title does not become a date.
    assert fitted_values(form, first, [], said)["title"] == UNIQUE_TEXT
    assert fitted_values(form, first, [], said)["when"] == "Sample text"


def test_valid_data_never_picks_a_destructive_option() -> None:
    action = FormField(name="action", type="select", options=["", "delete_selected", "export"])
    assert valid_value(action) == "export"
    only = FormField(name="action", type="select", options=["", "delete_selected"])
    assert valid_value(only) == ""
    # An inline row's "Delete?" box stays unchecked; other boxes are checked.
    assert valid_value(FormField(name="book_set-0-DELETE", type="checkbox", label="Delete?")) == ""
    assert valid_value(FormField(name="remove", type="checkbox", label="Remove photo")) == ""
    assert valid_value(FormField(name="in_stock", type="checkbox", label="In stock")) == "on"


def _el(eid: str, role: str, name: str) -> Element:
    loc = Locator(strategy=LocatorStrategy.ROLE, value=role, name=name, count=1)
    return Element(id=eid, role=role, name=name, locators=[loc])


def _submit(
    tid: str, attempt: int, values: dict[str, str], target: str, refused: str
) -> Transition:
    return Transition(
        id=tid,
        source="add",
        target=target,
        action=Action(
            kind=ActionKind.FILL_SUBMIT,
            form_id="f",
            element_id="s",
            values=values,
            variant="valid",
            label="Save (valid)",
            attempt=attempt,
        ),
        outcome=Outcome.DOM_CHANGED if refused else Outcome.NAVIGATED,
        target_url="http://x/books/add" if refused else "http://x/books",
        invalid_fields=["published"] if refused else [],
        rejected=refused,
    )


def _model(retry_refused: bool) -> AppModel:
    form = Form(
        id="f",
        action="",
        method="post",
        fields=[
            FormField(name="title", element_id="t", required=True),
            FormField(name="published", element_id="p", required=True),
        ],
        submit="s",
    )
    elements = [
        _el("t", "textbox", "Title"),
        _el("p", "textbox", "Published"),
        _el("s", "button", "Save"),
    ]
    add = State(
        id="add",
        url="http://x/books/add",
        url_template="/books/add",
        reach_url="http://x/books/add",
        elements=elements,
        forms=[form],
        stable_texts=["Add book"],
    )
    refused = State(
        id="refused",
        url="http://x/books/add",
        url_template="/books/add",
        elements=elements,
        forms=[form],
        stable_texts=["Add book", "Enter a valid date."],
    )
    books = State(
        id="books",
        url="http://x/books",
        url_template="/books",
        reach_url="http://x/books",
        elements=[_el("h", "heading", "Books")],
        stable_texts=["Books"],
    )
    first = _submit(
        "t1",
        1,
        {"title": UNIQUE_TEXT, "published": "Sample text"},
        "refused",
        "Enter a valid date.",
    )
    second = _submit(
        "t2",
        2,
        {"title": UNIQUE_TEXT, "published": "2030-01-15"},
        "refused" if retry_refused else "books",
        "Enter a valid date." if retry_refused else "",
    )
    return AppModel(
        target=Target(url="http://x/"), states=[add, refused, books], transitions=[first, second]
    )


def test_the_accepted_second_try_stands_for_the_form() -> None:
    scenarios = [s for s in derive_scenarios(_model(retry_refused=False)) if "form" in s.title]
    [valid] = [s for s in scenarios if s.kind == ScenarioKind.FORM_VALID]
    assert valid.title.endswith("accepts valid data")
    assert [s.data or s.value for s in valid.steps if s.kind == StepKind.FILL] == [
        UNIQUE_TEXT,
        "2030-01-15",
    ]
    # The refused first try is not a test: neither a "valid" one nor a refusal.
    assert not [s for s in scenarios if "refuses" in s.title]
    assert not any(s.text == "Enter a valid date." for sc in scenarios for s in sc.steps)


def test_a_form_refused_twice_is_a_refusal_never_a_valid_scenario() -> None:
    scenarios = derive_scenarios(_model(retry_refused=True))
    assert not [s for s in scenarios if s.kind == ScenarioKind.FORM_VALID]
    [refusal] = [s for s in scenarios if "refuses" in s.title]
    assert refusal.kind == ScenarioKind.FORM_INVALID
    assert "accepts" not in refusal.title
    texts = [s.text for s in refusal.steps if s.kind == StepKind.EXPECT_TEXT]
    assert texts == ["Enter a valid date."]
    assert any(s.kind == StepKind.EXPECT_INVALID for s in refusal.steps)
    assert any(s.kind == StepKind.EXPECT_URL for s in refusal.steps)


def test_a_retry_has_its_own_signature() -> None:
    a = Action(kind=ActionKind.FILL_SUBMIT, form_id="f", variant="valid")
    b = a.model_copy(update={"attempt": 2})
    assert a.signature() != b.signature()
    # The first attempt's id is what it was before retries existed (models stay comparable).
    assert (
        a.signature()
        == Action(kind=ActionKind.FILL_SUBMIT, form_id="f", variant="valid").signature()
    )


def _changelist(row_locators: bool) -> AppModel:
    """Django's changelist: an action form whose row checkboxes share one name and are
    labelled by their row's data; the crawl checked them and submitted "Go"."""
    rows = [
        Element(
            id=f"r{i}",
            role="checkbox",
            name=f"Select this object for an action - qa-{i}",
            locators=[_el(f"r{i}", "checkbox", f"row {i}").locators[0]] if row_locators else [],
        )
        for i in range(2)
    ]
    form = Form(
        id="f",
        fields=[
            FormField(name="action", element_id="a", type="select", options=["", "delete"]),
            *(FormField(name="_selected_action", element_id=r.id, type="checkbox") for r in rows),
        ],
        submit="s",
    )
    state = State(
        id="list",
        url="http://x/authors/",
        url_template="/authors/",
        reach_url="http://x/authors/",
        elements=[_el("a", "combobox", "Action"), *rows, _el("s", "button", "Go")],
        forms=[form],
        stable_texts=["Select author to change"],
    )
    after = state.model_copy(update={"id": "after", "reach_url": None})
    after.stable_texts = [*state.stable_texts, "No action selected."]
    go = Transition(
        id="t1",
        source="list",
        target="after",
        action=Action(
            kind=ActionKind.FILL_SUBMIT,
            form_id="f",
            element_id="s",
            values={"action": "", "_selected_action": "on"},
            variant="valid",
            label="Go (valid)",
        ),
        outcome=Outcome.DOM_CHANGED,
        target_url="http://x/authors/",
        appeared_texts=["No action selected."],
    )
    return AppModel(target=Target(url="http://x/"), states=[state, after], transitions=[go])


def test_a_submission_the_test_cannot_repeat_is_not_a_scenario() -> None:
    """The crawl checked rows the test cannot find: the test would send something else and
    see another message ("Items must be selected"), a false alarm on a healthy app."""
    assert not [s for s in derive_scenarios(_changelist(row_locators=False)) if "form" in s.title]
    # With locators for its rows the same submission is repeated, rows checked.
    [valid] = [s for s in derive_scenarios(_changelist(row_locators=True)) if "form" in s.title]
    assert [s.kind for s in valid.steps].count(StepKind.CHECK) == 2


def test_the_empty_try_chooses_the_empty_option_of_a_select_as_the_crawl_did() -> None:
    """Django's change form shows its author chosen; the crawl chose "---------" (value "")
    and saw the select marked invalid. A test that left the select alone found it valid."""
    form = Form(
        id="f",
        fields=[
            FormField(name="title", element_id="t", required=True),
            FormField(
                name="author", element_id="a", type="select", required=True, options=["", "1"]
            ),
            FormField(name="kind", element_id="k", type="select", options=["a", "b"]),
        ],
        submit="s",
    )
    change = State(
        id="change",
        url="http://x/book/1/change/",
        url_template="/book/{id}/change/",
        reach_url="http://x/book/1/change/",
        elements=[
            _el("t", "textbox", "Title"),
            _el("a", "combobox", "Author"),
            _el("k", "combobox", "Kind"),
            _el("s", "button", "Save"),
        ],
        forms=[form],
        stable_texts=["Change book"],
    )
    empty = Transition(
        id="e",
        source="change",
        target="change",
        action=Action(
            kind=ActionKind.FILL_SUBMIT,
            form_id="f",
            element_id="s",
            values={"title": "", "author": "", "kind": ""},
            variant="empty",
            label="Save (empty)",
        ),
        outcome=Outcome.DOM_CHANGED,
        target_url="http://x/book/1/change/",
        invalid_fields=["title", "author"],
    )
    model = AppModel(target=Target(url="http://x/"), states=[change], transitions=[empty])
    [invalid] = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.FORM_INVALID]
    selects = [(s.element_id, s.value) for s in invalid.steps if s.kind == StepKind.SELECT]
    # "kind" has no empty option: nothing to choose, its value stands as the crawl left it.
    assert selects == [("a", "")]
    asserted = [s.element_id for s in invalid.steps if s.kind == StepKind.EXPECT_INVALID]
    assert asserted == ["t", "a"]
