"""The pytest-playwright emitter: one module per area, one test per scenario.

Page text reaches code only through `repr` (see `literals`); every module is parsed before it
is written and formatted with ruff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qaforge.crawl.formdata import TEST_PASSWORD
from qaforge.generate.counts import count_pattern, count_phrase
from qaforge.generate.literals import py_docstring, py_str
from qaforge.generate.locators import LocatorChooser
from qaforge.generate.strategy import Strategy
from qaforge.models import (
    ROWS_SCOPE,
    Locator,
    LocatorStrategy,
    Scenario,
    ScenarioKind,
    Step,
    StepKind,
)

# Rows of a data table or grid, leaving out tables inside navigation (Django's sidebar).
# Visible ones only, as the crawl counted them: Django's add forms keep hidden template rows
# among the inline rows, and `nth(4)` landed on one ("expected to be visible: hidden").
DATA_ROWS = (
    ":is(table, [role=grid], [role=table]):not(:is(nav, aside, header, footer) *) "
    ":is(tr, [role=row]):has(td, [role=cell], [role=gridcell]):visible"
)


_LEADING_SPACE = r"^\s*"

# Steps whose code needs `re`.
_REGEX_STEPS = {
    StepKind.EXPECT_URL,
    StepKind.EXPECT_COUNT,
    StepKind.EXPECT_COUNT_ROWS,
    StepKind.EXPECT_SUM,
}

# The relations oracle's helpers, in a module only when one of its tests adds up a column.
SUM_HELPERS = '''
# Cells of a data row that have text, in order, as the crawl read them.
CELLS = "td, th, [role=cell], [role=gridcell], [role=rowheader]"


def amount(text: str) -> float:
    """The number in a money text: "$1,234.50" -> 1234.5."""
    return float(re.sub(r"[^\\d.-]", "", text) or "0")


def amounts(page: Page, column: int) -> list[float]:
    """The amounts in one column of the data table's rows."""
    out = []
    for row in page.locator(DATA_ROWS).all():
        cells = [t for t in row.locator(CELLS).all_inner_texts() if t.strip()]
        out.append(amount(cells[column]) if column < len(cells) else 0.0)
    return out
'''


def uses_rows(step: Step) -> bool:
    """Whether the step's code reads `DATA_ROWS`."""
    return step.kind in {
        StepKind.EXPECT_ROWS,
        StepKind.EXPECT_SUM,
        StepKind.EXPECT_ALL_ROWS,
        StepKind.EXPECT_COUNT_ROWS,
    } or (step.kind == StepKind.EXPECT_NO_TEXT and step.value == ROWS_SCOPE)


_DATA = {
    "{unique_email}": '"qa." + unique + "@example.com"',
    "{unique_username}": '"qa_" + unique',
    "{unique_text}": '"qa-" + unique',
    "{password}": py_str(TEST_PASSWORD),
}


def py_locator(loc: Locator) -> str:
    """The Playwright (Python) expression for a locator candidate."""
    match loc.strategy:
        case LocatorStrategy.ROLE:
            return (
                f"page.get_by_role({py_str(loc.value)}, name={py_str(loc.name or '')}, exact=True)"
            )
        case LocatorStrategy.LABEL:
            return f"page.get_by_label({py_str(loc.value)}, exact=True)"
        case LocatorStrategy.PLACEHOLDER:
            return f"page.get_by_placeholder({py_str(loc.value)}, exact=True)"
        case LocatorStrategy.TEST_ID:
            if loc.value.startswith("data-") and "=" in loc.value:
                attr, _, val = loc.value.partition("=")
                return f"page.locator({py_str(f'[{attr}={_css_str(val)}]')})"
            return f"page.get_by_test_id({py_str(loc.value)})"
        case LocatorStrategy.TEXT:
            return f"page.get_by_text({py_str(loc.value)}, exact=True)"
        case _:
            return f"page.locator({py_str(loc.value)})"


def _css_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_name(title: str, taken: set[str]) -> str:
    """A readable, unique test function name from a scenario title."""
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    slug = re.sub(r"_+", "_", slug)[:70].strip("_") or "scenario"
    name = f"test_{slug}"
    n = 2
    while name in taken:
        name = f"test_{slug}_{n}"
        n += 1
    taken.add(name)
    return name


def limit_assertions(steps: list[Step], strategy: Strategy) -> list[Step]:
    """Trim runs of visibility checks to what the strategy's strictness asks for."""
    if strategy.assertion_strictness in {"strict", "all-visible-text"}:
        return steps
    cap = 1 if strategy.assertion_strictness == "minimal" else strategy.max_controls_asserted + 1
    out: list[Step] = []
    run = 0
    for s in steps:
        if s.kind == StepKind.EXPECT_VISIBLE:
            run += 1
            if run > cap:
                continue
        else:
            run = 0
        out.append(s)
    return out


@dataclass
class PythonEmitter:
    """Renders scenarios as pytest-playwright code."""

    strategy: Strategy
    chooser: LocatorChooser
    all_texts: dict[str, list[str]] = field(default_factory=dict)  # state id → visible texts

    def wait(self) -> list[str]:
        if self.strategy.wait_policy == "networkidle":
            return ['page.wait_for_load_state("networkidle")']
        if self.strategy.wait_policy == "load":
            return ['page.wait_for_load_state("load")']
        return []

    def value_expr(self, step: Step) -> str:
        if step.data and step.data in _DATA:
            return _DATA[step.data]
        return py_str(step.value or "")

    def step_lines(self, step: Step, first_goto: bool) -> list[str]:
        loc = self.chooser.choose(step)
        expr = py_locator(loc) if loc else ""
        match step.kind:
            case StepKind.GOTO:
                target = "response = " if first_goto else ""
                return [f"{target}page.goto({py_str(step.url or '/')})", *self.wait()]
            case StepKind.EXPECT_STATUS if step.url:
                return [
                    f"response = page.request.get({py_str(step.url)})",
                    f"assert response.status < 400, {py_str('GET ' + step.url + ' answered ')}"
                    " + str(response.status)",
                ]
            case StepKind.EXPECT_STATUS:
                return [
                    "assert response is not None",
                    "assert response.status < 400, 'GET ' + page.url + ' answered ' + "
                    "str(response.status)",
                ]
            case StepKind.CLICK | StepKind.SUBMIT if expr:
                return [f"{expr}.click()", *self.wait()]
            case StepKind.FILL if expr:
                return [f"{expr}.fill({self.value_expr(step)})"]
            case StepKind.SELECT if expr:
                return [f"{expr}.select_option({py_str(step.value or '')})"]
            case StepKind.CHECK if expr:
                return [f"{expr}.check()"]
            case StepKind.EXPECT_URL:
                return [f"expect(page).to_have_url(re.compile({py_str(step.url or '')}))"]
            case StepKind.EXPECT_VISIBLE if expr:
                return [f"expect({expr}).to_be_visible()"]
            case StepKind.EXPECT_TEXT if step.data in _DATA:
                # What the test typed, anywhere in a text ('The book "qa-…" was added').
                return [f"expect(page.get_by_text({_DATA[step.data or '']}).first).to_be_visible()"]
            case StepKind.EXPECT_TEXT:
                return [
                    f"expect(page.get_by_text({py_str(step.text or '')}, exact=True)"
                    ".first).to_be_visible()"
                ]
            case StepKind.EXPECT_ROWS if step.data in _DATA:
                # A row of the list holds what the test typed.
                return [
                    f"expect(page.locator(DATA_ROWS).filter(has_text={_DATA[step.data or '']})"
                    ".first).to_be_visible()"
                ]
            case StepKind.EXPECT_ROWS:
                # The n-th row is there: at least n rows (Playwright has no "count >= n").
                nth = max(1, int(step.value or "1")) - 1
                return [f"expect(page.locator(DATA_ROWS).nth({nth})).to_be_visible()"]
            case StepKind.EXPECT_COUNT if pattern := count_pattern(step.text or ""):
                return [
                    f"# {count_phrase(step.text or '')} or more: data added since only raises "
                    "the count.",
                    f"expect(page.get_by_text(re.compile({py_str(pattern)})).first)"
                    ".to_be_visible()",
                ]
            case StepKind.EXPECT_COUNT_ROWS if pattern := count_pattern(step.text or ""):
                # The count as the counts oracle finds it (the crawl's number or more: not a
                # placeholder "0 products" while loading), then read against the rows.
                return [
                    "# The page states as many as it lists (both grow with data added).",
                    f"stated = page.get_by_text(re.compile({py_str(pattern)})).filter("
                    "visible=True).first",
                    "expect(stated).to_be_visible()",
                    'stated_count = int(re.sub(r"\\D", "", stated.inner_text()))',
                    "expect(page.locator(DATA_ROWS)).to_have_count(stated_count)",
                ]
            case StepKind.EXPECT_ALL_ROWS:
                return [
                    "expect(page.locator(DATA_ROWS).filter("
                    f"has_not_text={py_str(step.text or '')})).to_have_count(0)"
                ]
            case StepKind.EXPECT_SUM:
                pattern = _LEADING_SPACE + re.escape(step.text or "")
                column = int(step.value or "0")
                return [
                    f"total = page.get_by_text(re.compile({py_str(pattern)})).first",
                    "expect(total).to_be_visible()",
                    f"assert round(sum(amounts(page, {column})), 2) == amount(total.inner_text()), "
                    f"{py_str('the lines do not add up to the total: ')} + total.inner_text()",
                ]
            case StepKind.EXPECT_NO_TEXT if step.value == ROWS_SCOPE:
                return [
                    f"expect(page.locator(DATA_ROWS).get_by_text({py_str(step.text or '')}, "
                    "exact=True)).to_have_count(0)"
                ]
            case StepKind.EXPECT_NO_TEXT:
                return [
                    f"expect(page.get_by_text({py_str(step.text or '')}, exact=True))"
                    ".to_have_count(0)"
                ]
            case StepKind.EXPECT_INVALID if expr:
                return [
                    f"expect({expr}.and_(page.locator(':invalid, [aria-invalid=true]')))"
                    ".to_have_count(1)"
                ]
            case StepKind.EXPECT_NO_CONSOLE_ERRORS:
                return ['assert console_errors == [], "console errors: " + repr(console_errors)']
            case StepKind.EXPECT_A11Y:
                return [
                    "violations = [v for v in Axe().run(page).response['violations'] "
                    "if v.get('impact') in ('serious', 'critical')]",
                    "assert violations == [], [v['id'] for v in violations]",
                ]
        return []

    def test_function(self, sc: Scenario, name: str) -> str:
        steps = limit_assertions(sc.steps, self.strategy)
        if self.strategy.assertion_strictness == "all-visible-text":
            for sid in sc.source_states[-1:]:
                steps = steps + [
                    Step(kind=StepKind.EXPECT_TEXT, text=t) for t in self.all_texts.get(sid, [])
                ]
        body: list[str] = []
        for i, step in enumerate(steps):
            # Keep the response only where the next step checks its status.
            keep = (
                step.kind == StepKind.GOTO
                and i + 1 < len(steps)
                and steps[i + 1].kind == StepKind.EXPECT_STATUS
                and not steps[i + 1].url
            )
            body += self.step_lines(step, keep)
        # Fixtures come from the steps, never from searching the code (page text is in it).
        uses = sorted(
            {"page"}
            | (
                {"console_errors"}
                if any(s.kind == StepKind.EXPECT_NO_CONSOLE_ERRORS for s in steps)
                else set()
            )
            | (
                {"unique"}
                if any(s.data in _DATA for s in steps if s.kind == StepKind.FILL)
                else set()
            )
        )
        gherkin = (
            f"Scenario: {sc.title}\n"
            f"  Given {sc.given}\n  When {sc.when}\n  Then {sc.then}\n"
            f"  (risk {sc.risk:.2f}: {'; '.join(sc.risk_reasons)})"
        )
        decorators = [f"@pytest.mark.scenario({py_str(sc.id)})"]
        if sc.expect_defect:
            decorators.append(f"@pytest.mark.app_defect({py_str(sc.kind)})")
        params = ", ".join(
            f"{u}: {'Page' if u == 'page' else 'list[str]' if u == 'console_errors' else 'str'}"
            for u in uses
        )
        lines = [*decorators, f"def {name}({params}) -> None:", f"    {py_docstring(gherkin)}"]
        lines += [f"    {line}" for line in body] or ["    pass"]
        return "\n".join(lines) + "\n"

    def module(self, area: str, target: str, scenarios: list[tuple[Scenario, str]]) -> str:
        header = py_docstring(
            f"Generated by qaforge from a crawl of {target}: the {area!s} area.\n\n"
            "Each test's docstring is its Gherkin scenario; `qaforge sync` notices your edits."
        )
        needs_axe = any(sc.kind == ScenarioKind.ACCESSIBILITY for sc, _ in scenarios)
        funcs = [self.test_function(sc, name) for sc, name in scenarios]
        imports = ["from __future__ import annotations", ""]
        if any(st.kind in _REGEX_STEPS for sc, _ in scenarios for st in sc.steps):
            imports += ["import re", ""]
        imports += ["import pytest", "from playwright.sync_api import Page, expect"]
        if needs_axe:
            imports.append("from axe_playwright_python.sync_playwright import Axe")
        consts = ""
        if any(uses_rows(st) for sc, _ in scenarios for st in sc.steps):
            consts = (
                "\n\n# A row of the page's data table (tables in navigation left out).\n"
                f"DATA_ROWS = {py_str(DATA_ROWS)}"
            )
        if any(st.kind == StepKind.EXPECT_SUM for sc, _ in scenarios for st in sc.steps):
            consts += "\n" + SUM_HELPERS.rstrip("\n")
        return header + "\n\n" + "\n".join(imports) + consts + "\n\n\n" + "\n\n".join(funcs)
