"""Contracts between agents (architecture.md §3): small, versioned, JSON-serialisable models.

These are the only things agents share. Every top-level document carries `schema_version`
so a reader can refuse a model written by an incompatible version.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def stable_id(*parts: object, length: int = 12) -> str:
    """A short deterministic id from the JSON form of `parts` (same input, same id, any process)."""
    raw = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:length]


# --------------------------------------------------------------------------- target


class Auth(_Model):
    """How to authenticate. Credentials are references (`env:NAME`), never values."""

    login_url: str | None = None
    username_ref: str | None = None
    password_ref: str | None = None
    http_credentials_ref: str | None = None
    auth_state_path: str | None = None

    @property
    def kind(self) -> Literal["none", "form", "basic", "state"]:
        if self.auth_state_path:
            return "state"
        if self.login_url:
            return "form"
        if self.http_credentials_ref or (self.username_ref and self.password_ref):
            return "basic"
        return "none"


class Target(_Model):
    url: str
    app: str | None = None
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    auth: Auth = Field(default_factory=Auth)


# --------------------------------------------------------------------------- app model


class LocatorStrategy(StrEnum):
    ROLE = "role"
    LABEL = "label"
    PLACEHOLDER = "placeholder"
    TEST_ID = "test_id"
    TEXT = "text"
    ID = "id"
    CSS = "css"


class Locator(_Model):
    """A candidate way to find an element, with the match count seen live."""

    strategy: LocatorStrategy
    # role: value is the ARIA role and `name` the accessible name; other strategies use value only.
    value: str
    name: str | None = None
    exact: bool = True
    count: int = 0

    @property
    def unique(self) -> bool:
        return self.count == 1


class Fingerprint(_Model):
    """What a healer matches on when the original locator no longer finds the element."""

    role: str = ""
    name: str = ""
    tag: str = ""
    text: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)
    # Position as a fraction of the page (x, y) and the element's index among its role.
    x: float = 0.0
    y: float = 0.0
    index: int = 0


# An element attribute: the control was on the page in the crawl's own context but not on
# the same page opened afresh, as a test opens it.
HISTORY_ONLY = "data-qaforge-history-only"

# A `Step.value` of EXPECT_NO_TEXT: look for the text among the page's data rows only.
ROWS_SCOPE = "rows"


class Element(_Model):
    id: str
    role: str = ""
    name: str = ""
    tag: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)
    text: str = ""
    visible: bool = True
    locators: list[Locator] = Field(default_factory=list)
    fingerprint: Fingerprint = Field(default_factory=Fingerprint)

    def best_locator(self) -> Locator | None:
        """The first candidate verified to match exactly one element."""
        for loc in self.locators:
            if loc.unique:
                return loc
        return None


class FormField(_Model):
    name: str
    type: str = "text"
    tag: str = "input"
    label: str = ""
    required: bool = False
    pattern: str | None = None
    min: str | None = None
    max: str | None = None
    minlength: int | None = None
    maxlength: int | None = None
    step: str | None = None
    placeholder: str = ""
    options: list[str] = Field(default_factory=list)
    element_id: str | None = None


class Form(_Model):
    id: str
    action: str = ""
    method: str = "get"
    fields: list[FormField] = Field(default_factory=list)
    submit: str | None = None  # element id of the submit control
    # Heuristic purpose from field names/labels: login, search, contact, checkout, ...
    purpose: str = ""


class SumRelation(_Model):
    """A total on a page that is the sum of one column of its data table (a cart's lines)."""

    # The column's index among a row's cells that have text, as the crawl read them.
    column: int
    # The total's text up to its amount ("Total:"), and the whole text as the crawl saw it.
    label: str
    total: str


class State(_Model):
    id: str
    url: str
    url_template: str
    title: str = ""
    headings: list[str] = Field(default_factory=list)
    landmarks: list[str] = Field(default_factory=list)
    elements: list[Element] = Field(default_factory=list)
    forms: list[Form] = Field(default_factory=list)
    stable_texts: list[str] = Field(default_factory=list)
    # The first rows of the page's data as cell texts (what a search can look for).
    rows: list[list[str]] = Field(default_factory=list)
    rows_from: Literal["table", "list", ""] = ""
    # Data rows of that table seen on the visit and on the revisit alike (the fewer of the
    # two): a fresh page shows at least as many unless the app lost some.
    row_count: int = 0
    # Texts stating a count of things ("200 rows"), the same on the visit and the revisit: a
    # fresh page states at least as many (the counts oracle).
    counts: list[str] = Field(default_factory=list)
    # A total that was the sum of a column of the data table on both visits (the relations
    # oracle).
    total: SumRelation | None = None
    # Every short text seen on the first visit, stable or not (for diagnosis, and for the
    # test fixture strategy that asserts everything; never for shipped strategies).
    visible_texts: list[str] = Field(default_factory=list)
    console_errors: list[str] = Field(default_factory=list)
    http_status: int | None = None
    requires_login: bool = False
    screenshot: str | None = None
    depth: int = 0
    # How to reach the state: its URL when it has one that reproduces it, else the path of
    # transition ids from the state with that URL (client-side states).
    reach_url: str | None = None
    reach_path: list[str] = Field(default_factory=list)
    instances: int = 1

    def element(self, element_id: str) -> Element | None:
        return next((e for e in self.elements if e.id == element_id), None)


class ActionKind(StrEnum):
    GOTO = "goto"
    CLICK = "click"
    FILL_SUBMIT = "fill+submit"
    SELECT = "select"
    CHECK = "check"


class Action(_Model):
    kind: ActionKind
    element_id: str | None = None
    form_id: str | None = None
    url: str | None = None
    # field name -> value used; for invalid submissions the intentionally bad values.
    values: dict[str, str] = Field(default_factory=dict)
    # "search": a search form sent a term taken from a listed item, or one nothing has.
    variant: Literal["valid", "empty", "invalid", "search", ""] = ""
    label: str = ""
    # 2: a valid submission tried again with fitting values after the app rejected the first.
    attempt: int = 1

    def signature(self) -> str:
        retry = [self.attempt] if self.attempt > 1 else []
        # Each term searched for is its own action.
        term = [sorted(self.values.items())] if self.variant == "search" else []
        return stable_id(self.kind, self.element_id, self.form_id, self.variant, *retry, *term)


class NetworkCall(_Model):
    method: str
    url: str
    status: int | None = None
    resource_type: str = ""


class Outcome(StrEnum):
    NAVIGATED = "navigated"
    DOM_CHANGED = "dom-changed"
    NO_CHANGE = "no-change"
    ERROR = "error"


class Transition(_Model):
    id: str
    source: str
    action: Action
    target: str | None = None
    network: list[NetworkCall] = Field(default_factory=list)
    outcome: Outcome = Outcome.NO_CHANGE
    http_status: int | None = None
    console_errors: list[str] = Field(default_factory=list)
    # Texts that appeared after the action and were not on the source (flash messages,
    # validation messages, a dialog's heading).
    appeared_texts: list[str] = Field(default_factory=list)
    # Fields of a valid submission whose unique value the page it led to shows (round trip).
    echoed_fields: list[str] = Field(default_factory=list)
    invalid_fields: list[str] = Field(default_factory=list)
    # Why the app refused a valid submission (a validation message, fields marked invalid);
    # empty when it accepted it.
    rejected: str = ""
    # A search for a listed item's text: whether the results showed that text again. A search
    # for a term nothing has: the listed texts it no longer showed.
    search_found: bool = False
    search_gone: list[str] = Field(default_factory=list)
    target_url: str | None = None
    # Done again from a fresh start (a new browser context, as a test starts), did the action
    # lead to the state it led to in the crawl? None when not checked. False when what the
    # crawl saw depended on its own history (a sidebar an earlier click collapsed, a demo an
    # earlier click created): no test is built on it.
    reproduced: bool | None = None
    kept: bool = True


class HttpPage(_Model):
    """A page the HTTP walk fetched with the crawl's session (`crawl/discover.py`)."""

    url: str
    template: str
    # The final answer's status; None when a redirect left the scope or went to the login page.
    status: int | None = None
    final_url: str = ""
    content_type: str = ""
    title: str = ""
    bytes: int = 0
    # The whole body was read (under the walk's size cap).
    complete: bool = True
    to_login: bool = False
    linked_as: str = ""


class CrawlStats(_Model):
    states: int = 0
    templates: int = 0
    transitions: int = 0
    forms: int = 0
    actions: int = 0
    duration_s: float = 0.0
    pages_loaded: int = 0
    errors: list[str] = Field(default_factory=list)
    # Actions the page did not take within the action time-out (a control covered by another
    # element, hidden, disabled, or gone when its path was replayed): not done, and no fault
    # of the crawl's either, so not among `errors`.
    skipped: list[str] = Field(default_factory=list)
    stopped_by: str = ""
    browser_restarts: int = 0
    queued: int = 0  # actions waiting in the frontier (progress only)
    # 90th percentile of page load + settle during the crawl: how long this app takes to be
    # usable, which sizes the generated suite's element timeout.
    ready_p90_s: float = 0.0
    # The HTTP walk before the browser: pages fetched, their templates, its seconds.
    http_pages: int = 0
    http_templates: int = 0
    http_duration_s: float = 0.0
    # The last look at each page at the end of the crawl: pages looked at, and texts seen
    # stable at first but changed since (by the crawl's own actions, or by time).
    looked_again: int = 0
    texts_changed: int = 0


FindingKind = Literal[
    "broken-link",
    "console-error",
    "http-error",
    "request-failed",
    "accessibility",
    # A goal the user asked for (`--goal`, `--stories`) that no way was found to reach.
    "goal-not-reached",
]


class Finding(_Model):
    """Something wrong with the app itself (not with a test)."""

    kind: FindingKind
    where: str
    detail: str


class AppModel(_Model):
    schema_version: int = SCHEMA_VERSION
    target: Target
    states: list[State] = Field(default_factory=list)
    transitions: list[Transition] = Field(default_factory=list)
    crawl_stats: CrawlStats = Field(default_factory=CrawlStats)
    findings: list[Finding] = Field(default_factory=list)
    # Every page the HTTP walk fetched: what the suite's page-load checks open.
    pages: list[HttpPage] = Field(default_factory=list)

    def state(self, state_id: str) -> State | None:
        return next((s for s in self.states if s.id == state_id), None)

    def templates(self) -> dict[str, list[State]]:
        out: dict[str, list[State]] = {}
        for s in self.states:
            out.setdefault(s.url_template, []).append(s)
        return out

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> AppModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path} is not a qaforge model (a JSON object is expected)")
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(
                f"{path}: schema_version {data.get('schema_version')!r} is not {SCHEMA_VERSION}"
            )
        return cls.model_validate(data)


# --------------------------------------------------------------------------- scenarios


class ScenarioKind(StrEnum):
    PAGE_LOADS = "page-loads"
    # A page the HTTP walk found still answers as it did (one case of a parametrised test).
    PAGE_ANSWERS = "page-answers"
    NAVIGATION = "navigation"
    FORM_VALID = "form-valid"
    FORM_INVALID = "form-invalid"
    INTERACTION = "interaction"
    FLOW = "flow"
    LINK_INTEGRITY = "link-integrity"
    ACCESSIBILITY = "accessibility"
    # A user's goal or story, planned by a language model and verified live (generate/goals.py).
    GOAL = "goal"


class StepKind(StrEnum):
    LOGIN = "login"
    GOTO = "goto"
    CLICK = "click"
    FILL = "fill"
    SELECT = "select"
    CHECK = "check"
    SUBMIT = "submit"
    EXPECT_URL = "expect_url"
    EXPECT_VISIBLE = "expect_visible"
    EXPECT_TEXT = "expect_text"
    EXPECT_NO_TEXT = "expect_no_text"
    # At least one row of the page's data table: a list that always had items is not empty.
    EXPECT_ROWS = "expect_rows"
    # A text stating at least as many things as `text` ("200 rows" → 200 or more rows).
    EXPECT_COUNT = "expect_count"
    # The count `text` states ("30 products") equals the rows the data table lists: data the
    # tests add raises both, a count that leaves some out does not.
    EXPECT_COUNT_ROWS = "expect_count_rows"
    # The amounts of the data table's column `value` add up to the total labelled `text`.
    EXPECT_SUM = "expect_sum"
    # Every row of the page's data table carries `text` (a list filtered by that value).
    EXPECT_ALL_ROWS = "expect_all_rows"
    EXPECT_TITLE = "expect_title"
    EXPECT_STATUS = "expect_status"
    EXPECT_NO_CONSOLE_ERRORS = "expect_no_console_errors"
    EXPECT_INVALID = "expect_invalid"
    EXPECT_A11Y = "expect_a11y"


class Step(_Model):
    kind: StepKind
    # Locator for element steps; url/template/text/value as the step needs.
    locator: Locator | None = None
    element_id: str | None = None
    state_id: str | None = None
    url: str | None = None
    text: str | None = None
    value: str | None = None
    # Data placeholder such as "{unique_email}" resolved at test run time.
    data: str | None = None
    fingerprint: Fingerprint | None = None


class Scenario(_Model):
    id: str
    # A registered scenario kind (generate/kinds.py); the built-in ones are ScenarioKind's.
    kind: str
    title: str
    given: str
    when: str
    then: str
    steps: list[Step] = Field(default_factory=list)
    source_states: list[str] = Field(default_factory=list)
    source_transitions: list[str] = Field(default_factory=list)
    template: str = ""
    area: str = ""
    requires_login: bool = False
    risk: float = 0.0
    risk_reasons: list[str] = Field(default_factory=list)
    priority: int = 0
    tags: list[str] = Field(default_factory=list)
    expect_defect: bool = False


# --------------------------------------------------------------------------- suite and results


class GeneratedTest(_Model):
    test_id: str  # pytest node id relative to the suite dir, e.g. "test_shop.py::test_cart_loads"
    scenario_id: str
    file: str
    function: str
    kind: str  # its scenario's kind
    template: str = ""
    expect_defect: bool = False
    # Whether a step fills, checks, selects, submits or presses a control other than a link
    # (its reach steps included): its reruns can meet what its earlier runs left behind.
    changes_app: bool = False
    # "generated" by this generation; kept from the suite already in the folder: "edited" (as
    # a person left it), "added" (a person's own), "not-seen" (the crawl no longer found it).
    origin: Literal["generated", "edited", "added", "not-seen"] = "generated"


class TestSuite(_Model):
    __test__ = False  # not a pytest class

    schema_version: int = SCHEMA_VERSION
    directory: str
    language: Literal["python", "typescript"] = "python"
    strategy: str = "default"
    files: list[str] = Field(default_factory=list)
    tests: list[GeneratedTest] = Field(default_factory=list)
    dropped: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class TestOutcome(StrEnum):
    __test__ = False

    PASSED = "passed"
    FAILED = "failed"
    FLAKY = "flaky"
    HEALED = "healed"
    QUARANTINED = "quarantined"
    APP_DEFECT = "app-defect"
    SKIPPED = "skipped"


class FailureClass(StrEnum):
    APP_DEFECT = "app-defect"
    BROKEN_LOCATOR = "broken-locator"
    ASSERTION_MISMATCH = "assertion-mismatch"
    TIMEOUT = "timeout"
    TEST_ERROR = "test-error"


class Heal(_Model):
    test_id: str
    old_locator: str
    new_locator: str
    score: float
    accepted: bool
    reason: str = ""


class TestResult(_Model):
    __test__ = False

    test_id: str
    scenario_id: str = ""
    outcome: TestOutcome
    failure_class: FailureClass | None = None
    duration_s: float = 0.0
    message: str = ""
    trace: str | None = None
    screenshot: str | None = None
    runs: list[str] = Field(default_factory=list)
    heals: list[Heal] = Field(default_factory=list)


class RunResults(_Model):
    schema_version: int = SCHEMA_VERSION
    suite_dir: str
    results: list[TestResult] = Field(default_factory=list)
    runs: int = 0
    duration_s: float = 0.0
    junit: str | None = None
    # Which tests the passes after the first re-ran, in words (execute/recheck.py).
    recheck: str = ""

    def counts(self) -> dict[str, int]:
        out = {o.value: 0 for o in TestOutcome}
        for r in self.results:
            out[r.outcome.value] += 1
        return out
