"""The Requirements step: Given/When/Then scenarios, with structured steps, from an `AppModel`.

Assertions use only texts that were stable across two visits of a state and, for pages, that
every state of the same template shares (the template, not this visit's data).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from qaforge.crawl.formdata import UNIQUE_TEXT
from qaforge.crawl.stability import is_volatile_text
from qaforge.crawl.urltemplate import normalize_url
from qaforge.generate.counts import pages_its_list, states_rows
from qaforge.generate.kinds import ENTRY_POINT_GROUP as KINDS_ENTRY_POINT_GROUP
from qaforge.generate.kinds import KindRegistry, KindSpec, ScenarioKindError
from qaforge.models import (
    HISTORY_ONLY,
    ROWS_SCOPE,
    SCHEMA_VERSION,
    ActionKind,
    AppModel,
    Element,
    Form,
    Locator,
    Outcome,
    Scenario,
    ScenarioKind,
    State,
    Step,
    StepKind,
    Transition,
    stable_id,
)

_MAX_PATH = 5
# Page checks from the HTTP walk: instances of one kind of page, and in all (each costs a
# request of some milliseconds; a few instances catch a page that fails on some data only).
PAGES_PER_TEMPLATE = 2
PAGES_PER_PATH = 6
MAX_PAGE_CHECKS = 300
_DIGIT = re.compile(r"\d")
_ASSERTABLE_ROLES = {"heading", "button", "link", "tab", "textbox", "combobox", "spinbutton"}


def path_of(url: str) -> str:
    """The path and query of `url` (tests join it to their base URL)."""
    parts = urlsplit(url)
    out = parts.path or "/"
    if parts.query:
        out += "?" + parts.query
    if parts.fragment.startswith("/"):
        out += "#" + parts.fragment
    return out


def template_regex(template: str, keys: Iterable[str] | None = None) -> str:
    """A regex matching the URLs of a template (`/items/{id}` → `/items/[^/?#]+`).

    `keys`: the query keys to require (default: all of the template's); others may come and
    go, as a form or a redirect adds them."""
    path = template.split("#", 1)[0]
    base, _, query = path.partition("?")
    parts = re.split(r"(\{[a-z_]+\})", base)
    rx = "".join("[^/?#]+" if re.fullmatch(r"\{[a-z_]+\}", p) else re.escape(p) for p in parts)
    all_keys = [kv.split("=", 1)[0] for kv in query.split("&")] if query else []
    keys = all_keys if keys is None else [k for k in all_keys if k in set(keys)]
    if keys:
        # Query keys in any order: one lookahead per key.
        rx += r"\?" + "".join(f"(?=(?:[^#]*&)?{re.escape(k)}=)" for k in keys) + "[^#]*"
    else:
        rx += r"(\?[^#]*)?"
    return rx + r"(#.*)?$"


def area_of(template: str, base: str = "/") -> str:
    """The test module a template belongs to: its first path segment below the app's base path
    (`home` for the base itself). An app served under /admin/ gets test_catalog.py and
    test_auth.py, not every test in test_admin.py."""
    path, _, route = template.partition("#")
    path = path.split("?", 1)[0]
    prefix = "/" + base.strip("/") + "/" if base.strip("/") else "/"
    if (path + "/").startswith(prefix):
        path = path[len(prefix) :]
    if not path.strip("/") and route.lstrip("!").startswith("/"):
        # A single-page app's hash route (`/#/experiments/{id}`) names the area.
        path = route.lstrip("!").split("?", 1)[0]
    seg = path.strip("/").split("/", 1)[0]
    seg = re.sub(r"[^a-z0-9]+", "_", seg.lower()).strip("_")
    return seg if seg and not seg.startswith("{") else "home"


class Requirements:
    """Derives scenarios of every kind from one model."""

    def __init__(
        self, model: AppModel, accessibility: bool = False, kinds: KindRegistry | None = None
    ) -> None:
        self.model = model
        self.accessibility = accessibility
        self.kinds = kinds if kinds is not None else default_kinds()
        # Scenarios planned for the user's goals and verified against the live app.
        self.planned: list[Scenario] = []
        self.templates = model.templates()
        self.crowded = crowded_elements(model)
        # An action the crawl could not repeat from a fresh start builds no test: what it
        # showed depended on the crawl's own history.
        # Nor does a link to the page it is on ("/" → "/#/"): it shows nothing a page-load
        # test does not, and a single-page app may give such a link a click handler of its
        # own (MLflow's cards open a dialog): the crawl followed its URL, not the click.
        self.kept = [
            t
            for t in model.transitions
            if t.kept
            and t.reproduced is not False
            and not self.links_to_itself(t)
            and not self.history_only(t)
            and not self.crowded_control(t)
        ]
        # The start URL's folder: "/admin/" for /admin/, "/" for /deals.
        start = urlsplit(model.target.url).path or "/"
        self.base = start if start.endswith("/") else start.rsplit("/", 1)[0] + "/"

    # ------------------------------------------------------------------ helpers

    def history_only(self, t: Transition) -> bool:
        """Whether `t` presses a control its page showed only in the crawl's own context."""
        src = self.model.state(t.source)
        el = src.element(t.action.element_id or "") if src else None
        return el is not None and HISTORY_ONLY in el.attributes

    def crowded_control(self, t: Transition) -> bool:
        """Whether `t` presses a control whose locator matched several elements in some state
        of its page: which one a test's click lands on depends on what else the page shows."""
        return t.action.kind != ActionKind.FILL_SUBMIT and (t.action.element_id or "") in (
            self.crowded
        )

    def links_to_itself(self, t: Transition) -> bool:
        """Whether `t` follows a link to the very page it starts on."""
        src = self.model.state(t.source)
        return (
            src is not None
            and t.outcome == Outcome.NAVIGATED
            and t.action.kind == ActionKind.CLICK
            and same_page(src.url, t.target_url or "")
        )

    def identifying_keys(self, template: str) -> list[str]:
        """The query keys that tell `template` from the other templates of its path; a URL
        check requires only these (a form or a redirect may add any others)."""
        path, _, query = template.split("#", 1)[0].partition("?")
        mine = {kv.split("=", 1)[0] for kv in query.split("&")} if query else set()
        others = [
            {kv.split("=", 1)[0] for kv in t.split("#", 1)[0].partition("?")[2].split("&") if kv}
            for t in self.templates
            if t != template and t.split("#", 1)[0].partition("?")[0] == path
        ]
        if not others:
            return []
        common = set.intersection(mine, *others)
        return sorted(mine - common)

    def shared_texts(self, state: State) -> list[str]:
        """Stable texts of `state` that every state of its template also shows."""
        others = [s for s in self.templates.get(state.url_template, []) if s.id != state.id]
        texts = [t for t in state.stable_texts if all(t in o.stable_texts for o in others)]
        return texts

    def site_wide(self) -> set[tuple[str, str]]:
        """Controls found on most templates (navigation, footer): weak evidence of a page."""
        if not hasattr(self, "_site_wide"):
            counts: dict[tuple[str, str], int] = {}
            for states in self.templates.values():
                for key in {(e.role, e.name) for s in states for e in s.elements}:
                    counts[key] = counts.get(key, 0) + 1
            n = max(1, len(self.templates))
            self._site_wide = {k for k, c in counts.items() if c >= max(2, n // 2)}
        return self._site_wide

    def asserted_elements(self, state: State, texts: Iterable[str]) -> list[Element]:
        """Headings, then the page's own controls, then site-wide ones; stable and unique."""
        stable = set(texts)
        heads: list[Element] = []
        controls: list[Element] = []
        seen: set[tuple[str, str]] = set()
        for el in state.elements:
            if el.role not in _ASSERTABLE_ROLES or el.attributes.get("in-dialog"):
                continue
            # Absent from the crawl's fresh revisit: a test's fresh page may not show it.
            if HISTORY_ONLY in el.attributes:
                continue
            if not el.name or el.name not in stable or el.best_locator() is None:
                continue
            if el.id in self.crowded:
                continue
            key = (el.role, el.name)
            if key in seen:
                continue
            seen.add(key)
            (heads if el.role == "heading" else controls).append(el)
        wide = self.site_wide()
        controls.sort(key=lambda e: ((e.role, e.name) in wide, e.role == "link"))
        return heads + controls

    def reach_steps(self, state: State) -> list[Step]:
        """Steps that bring a fresh page to `state` (a URL, or a URL plus replayed actions)."""
        if state.reach_url:
            return [Step(kind=StepKind.GOTO, url=path_of(state.reach_url), state_id=state.id)]
        if not state.reach_path:
            return [Step(kind=StepKind.GOTO, url=path_of(state.url), state_id=state.id)]
        first = self.model.state(self.transition(state.reach_path[0]).source)
        steps = self.reach_steps(first) if first else []
        for tid in state.reach_path:
            steps += self.action_steps(self.transition(tid))
        return steps

    def transition(self, tid: str) -> Transition:
        for t in self.model.transitions:
            if t.id == tid:
                return t
        raise KeyError(tid)

    def element_step(self, kind: StepKind, el: Element, **kw: str | None) -> Step:
        return Step(
            kind=kind,
            locator=el.best_locator(),
            element_id=el.id,
            fingerprint=el.fingerprint,
            text=el.name,
            **kw,
        )

    def action_steps(self, t: Transition) -> list[Step]:
        """The steps that perform a transition's action."""
        src = self.model.state(t.source)
        if src is None:
            return []
        a = t.action
        if a.kind == ActionKind.FILL_SUBMIT:
            form = next((f for f in src.forms if f.id == a.form_id), None)
            return self.form_steps(src, form, a.values) if form else []
        el = src.element(a.element_id or "")
        if el is None or el.best_locator() is None:
            return []
        kind = {ActionKind.CHECK: StepKind.CHECK, ActionKind.SELECT: StepKind.SELECT}.get(
            a.kind, StepKind.CLICK
        )
        return [self.element_step(kind, el, value=a.values.get("value"))]

    def form_steps(self, state: State, form: Form, values: dict[str, str]) -> list[Step]:
        """The steps that fill `form` with `values` and submit it; none (the scenario is not
        written) when the crawl set a control the test cannot find: Django's row checkboxes
        share one name and are labelled by their row's data, so a test that left them unset
        got another message than the crawl saw ("Items must be selected" for "No action
        selected.") and failed on a healthy app. Hidden controls (a template row) are not set
        by the crawl either, and are left out as before."""
        steps: list[Step] = []
        for f in form.fields:
            if f.name not in values:
                continue
            value = values[f.name]
            data = value if value.startswith("{") and value.endswith("}") else None
            if f.type == "radio":
                if not value:
                    continue
                el = next(
                    (
                        e
                        for e in state.elements
                        if e.role == "radio"
                        and e.attributes.get("name") == f.name
                        and e.attributes.get("value") == value
                    ),
                    None,
                )
                if el is not None:
                    if el.best_locator() is None:
                        return []  # chosen by the crawl, not findable by the test
                    steps.append(self.element_step(StepKind.CHECK, el))
                continue
            el = state.element(f.element_id or "")
            if el is None:
                continue
            if el.best_locator() is None:
                if value and not (f.type == "checkbox" and el.attributes.get("checked")):
                    return []
                continue
            if f.type == "checkbox":
                if value:
                    steps.append(self.element_step(StepKind.CHECK, el))
            elif f.type == "select":
                # The crawl chose the empty option too (the "required fields empty" try): a
                # change form's select shows a value by default, and a test that left it there
                # found it valid where the crawl had seen it marked invalid.
                if value or "" in f.options:
                    steps.append(self.element_step(StepKind.SELECT, el, value=value))
            else:
                steps.append(self.element_step(StepKind.FILL, el, value=value, data=data))
        submit = state.element(form.submit or "")
        if submit is not None and submit.best_locator() is not None:
            steps.append(self.element_step(StepKind.SUBMIT, submit))
        return steps

    def expect_state(
        self, state: State, strict: bool = False, arrived: str | None = None
    ) -> list[Step]:
        """Assertions that the page shows `state`'s template: URL, heading, key controls.

        `arrived`: the URL a transition led to. When it is another instance of the template
        than the one the state was recorded on (`/item/10`, recorded as `/item/0`), names
        carrying numbers are that instance's data, not the template's, and are not asserted.
        """
        steps = [
            Step(
                kind=StepKind.EXPECT_URL,
                url=template_regex(state.url_template, self.identifying_keys(state.url_template)),
                text=state.url_template,
                state_id=state.id,
            )
        ]
        texts = self.shared_texts(state)
        if arrived and normalize_url(arrived) != normalize_url(state.url):
            texts = [t for t in texts if not _DIGIT.search(t)]
        for el in self.asserted_elements(state, texts)[: (12 if strict else 4)]:
            steps.append(self.element_step(StepKind.EXPECT_VISIBLE, el))
        if state.total is not None:
            # The relations oracle: the lines the test produced add up to the total shown.
            steps.append(
                Step(
                    kind=StepKind.EXPECT_SUM,
                    text=state.total.label,
                    value=str(state.total.column),
                    state_id=state.id,
                )
            )
        return steps

    def scenario(
        self,
        kind: str,
        title: str,
        given: str,
        when: str,
        then: str,
        steps: list[Step],
        states: list[str],
        transitions: list[str],
        template: str,
        login: bool,
        expect_defect: bool = False,
        tags: list[str] | None = None,
    ) -> Scenario:
        tags = list(tags or [])
        if any(s.kind == StepKind.EXPECT_SUM for s in steps):
            then += " and its total is the sum of its lines"
            tags.append("oracle:relations")
        return Scenario(
            id=stable_id(kind, title, states, transitions),
            kind=kind,
            title=title,
            given=given,
            when=when,
            then=then,
            steps=steps,
            source_states=states,
            source_transitions=transitions,
            template=template,
            area=area_of(template, self.base),
            requires_login=login,
            expect_defect=expect_defect,
            tags=tags,
        )

    def given(self, state: State) -> str:
        who = "I am logged in" if self.needs_login else "I am a visitor"
        return f"{who} and open {state.url_template}"

    @property
    def needs_login(self) -> bool:
        return self.model.target.auth.kind == "form"

    # ------------------------------------------------------------------ kinds

    def page_loads(self) -> list[Scenario]:
        out = []
        for template, states in sorted(self.templates.items()):
            state = next((s for s in states if s.reach_url), None)
            if state is None:
                continue
            steps = [
                *self.reach_steps(state),
                Step(kind=StepKind.EXPECT_STATUS, value="400"),
                *self.expect_state(state)[1:],
                Step(kind=StepKind.EXPECT_NO_CONSOLE_ERRORS),
            ]
            names = [s.text for s in steps if s.kind == StepKind.EXPECT_VISIBLE]
            defect = bool(state.console_errors) or (state.http_status or 200) >= 400
            then = "the page answers without an error"
            if names:
                then += " and shows " + ", ".join(repr(n) for n in names)
            # The lists oracle: a table every instance of the template showed with rows.
            listed = all(s.rows and s.rows_from == "table" for s in states)
            if listed:
                # As many rows as the crawl saw on both visits: data the tests add only
                # adds rows, a lost record (or a lost page of them) shows.
                least = max(1, state.row_count)
                steps.insert(-1, Step(kind=StepKind.EXPECT_ROWS, value=str(least)))
                then += f" and lists at least {least} row" + ("s" if least > 1 else "")
            # The counts oracle: "200 rows" read alike on both visits; a fresh page states
            # at least that many.
            counts = state.counts[:2]
            for text in counts:
                steps.insert(-1, Step(kind=StepKind.EXPECT_COUNT, text=text))
            if counts:
                then += " and states at least " + " and ".join(repr(t) for t in counts)
            # The relations oracle: a count that equalled the rows listed on both visits
            # equals them still, however many rows the tests added.
            # Not on a page that pages its list: a record added beyond the page raises the
            # count and not the rows.
            tallies = [
                t
                for t in counts
                if listed and states_rows(t, state.row_count) and not pages_its_list(state)
            ][:1]
            for text in tallies:
                steps.insert(-1, Step(kind=StepKind.EXPECT_COUNT_ROWS, text=text))
                then += " and states as many as it lists"
            then += " and logs no console error"
            oracles = ["oracle:lists"] if listed else []
            oracles += ["oracle:counts"] if counts else []
            oracles += ["oracle:relations"] if tallies else []
            out.append(
                self.scenario(
                    ScenarioKind.PAGE_LOADS,
                    f"{template} loads",
                    self.given(state).replace(" and open " + template, ""),
                    f"I open {template}",
                    then,
                    steps,
                    [state.id],
                    [],
                    template,
                    state.requires_login,
                    expect_defect=defect,
                    tags=["smoke", *oracles],
                )
            )
        return out

    def page_answers(self) -> list[Scenario]:
        """A check per page the HTTP walk found: a few instances of every kind of page."""
        ok = [
            p
            for p in self.model.pages
            if p.status is not None and 200 <= p.status < 300 and p.complete and not p.to_login
        ]
        titles: dict[str, set[str]] = {}
        fetched: dict[str, int] = {}
        for p in ok:
            titles.setdefault(p.template, set()).add(p.title)
            fetched[p.template] = fetched.get(p.template, 0) + 1
        out: list[Scenario] = []
        taken: dict[str, int] = {}
        on_path: dict[str, int] = {}
        path_keys: dict[str, set[str]] = {}
        for p in ok:
            # Per path: its first page, then a page for each query parameter not checked yet
            # (a filter, a sort order; not every combination of them), and a second instance
            # of a page without parameters (`/items/2`: a page may fail on some data only).
            path = p.template.split("?")[0]
            keys = {k for k, _ in parse_qsl(urlsplit(p.url).query, keep_blank_values=True)}
            checked = path_keys.setdefault(path, set())
            useful = (
                not on_path.get(path)
                or bool(keys - checked)
                or (not keys and taken.get(p.template, 0) < PAGES_PER_TEMPLATE)
            )
            if not useful or on_path.get(path, 0) >= PAGES_PER_PATH:
                continue
            if len(out) >= MAX_PAGE_CHECKS:
                break
            checked |= keys
            on_path[path] = on_path.get(path, 0) + 1
            taken[p.template] = taken.get(p.template, 0) + 1
            path = path_of(p.url)
            final = urlsplit(p.final_url).path or "/"
            # Where it ends up is checked when it did not redirect: a redirect may follow the
            # data other tests change (a checkout that sends an empty cart back to the cart).
            stays = final == (urlsplit(p.url).path or "/")
            steps = [
                Step(kind=StepKind.GOTO, url=path),
                Step(
                    kind=StepKind.EXPECT_STATUS,
                    url=path,
                    value=str(p.status),
                    text=final if stays else None,
                ),
            ]
            then = f"it answers {p.status}" + (" where it was asked" if stays else "")
            # A title every fetched instance shared is the page's, not its data's.
            if (
                fetched[p.template] >= 2
                and titles[p.template] == {p.title}
                and p.title
                and not is_volatile_text(p.title)
            ):
                steps.append(Step(kind=StepKind.EXPECT_TITLE, text=p.title))
                then += f" titled {p.title!r}"
            out.append(
                self.scenario(
                    ScenarioKind.PAGE_ANSWERS,
                    f"{path} answers",
                    "I am logged in" if self.needs_login else "I am a visitor",
                    f"I request {path}",
                    then,
                    steps,
                    [],
                    [],
                    p.template,
                    self.needs_login,
                    tags=["smoke", "http"],
                )
            )
        return out

    def navigation(self) -> list[Scenario]:
        out = []
        for t in self.kept:
            src, dst = self.model.state(t.source), self.model.state(t.target or "")
            if (
                src is None
                or dst is None
                or t.outcome != Outcome.NAVIGATED
                or t.action.kind != ActionKind.CLICK
            ):
                continue
            act = self.action_steps(t)
            if not act:
                continue
            steps = [*self.reach_steps(src), *act, *self.expect_state(dst, arrived=t.target_url)]
            shown = self.shown_after_following(t, dst)
            tags = []
            then = f"I am on {dst.url_template}"
            if shown:
                # list → detail: the item a link names is the item the page then shows.
                steps.append(Step(kind=StepKind.EXPECT_TEXT, text=shown, state_id=dst.id))
                tags.append("oracle:list-detail")
            value = self.filtered_by(t, src, dst)
            if value:
                # The filters oracle: a list the link filtered shows only rows carrying it.
                steps += [
                    Step(kind=StepKind.EXPECT_ROWS, value="1", state_id=dst.id),
                    Step(kind=StepKind.EXPECT_ALL_ROWS, text=value, state_id=dst.id),
                ]
                tags.append("oracle:filters")
                then += f" and every row listed carries {value!r}"
            label = t.action.label or "the link"
            out.append(
                self.scenario(
                    ScenarioKind.NAVIGATION,
                    f"{label!s} on {src.url_template} leads to {dst.url_template}",
                    self.given(src),
                    f"I click {label!r}",
                    then,
                    steps,
                    [src.id, dst.id],
                    [t.id],
                    src.url_template,
                    src.requires_login or dst.requires_login,
                    tags=tags,
                )
            )
        return out

    def filtered_by(self, t: Transition, src: State, dst: State) -> str | None:
        """The value a link filtered a list by: every row of the table it led to carries the
        link's text as a cell, and the table it came from had rows that do not.

        The crawl reads a table's first 20 rows: a filter is a relation between a list and
        a value, and 20 rows that all carry the value are evidence enough. Never a text that
        changes with time or data."""
        value = (t.action.label or "").strip()
        if len(value) < 2 or is_volatile_text(value):
            return None
        if src.rows_from != "table" or dst.rows_from != "table" or not dst.rows:
            return None
        if not all(value in row for row in dst.rows) or all(value in row for row in src.rows):
            return None
        return value

    def shown_after_following(self, t: Transition, dst: State) -> str | None:
        """The link's own text when the instance it led to shows it (a title, a name).

        Only for templates with a variable part (one of many items), on the very instance
        the crawl recorded, and never for a text that changes with time or data."""
        label = t.action.label or ""
        if "{" not in dst.url_template or len(label) < 3 or is_volatile_text(label):
            return None
        if not t.target_url or normalize_url(t.target_url) != normalize_url(dst.url):
            return None
        if label not in dst.stable_texts:
            return None
        others = [s for s in self.templates.get(dst.url_template, []) if s.id != dst.id]
        if others and all(label in o.stable_texts for o in others):
            return None  # every item shows it: it names no item
        return label

    def forms(self) -> list[Scenario]:
        out = []
        # Forms the crawl submitted a second time after the app refused the first values: the
        # second try stands for the form, the refused values are not a behaviour of the app.
        retried = {
            (t.source, t.action.form_id)
            for t in self.model.transitions
            if t.action.kind == ActionKind.FILL_SUBMIT and t.action.attempt > 1
        }
        for t in self.kept:
            if t.action.kind != ActionKind.FILL_SUBMIT or t.action.variant == "search":
                continue
            if t.rejected and t.action.attempt == 1 and (t.source, t.action.form_id) in retried:
                continue
            src = self.model.state(t.source)
            if src is None:
                continue
            form = next((f for f in src.forms if f.id == t.action.form_id), None)
            if form is None:
                continue
            dst = self.model.state(t.target or "")
            act = self.action_steps(t)
            if not act or act[-1].kind != StepKind.SUBMIT:
                continue
            label = form.purpose or "the"
            if t.action.variant == "valid" and t.rejected:
                refusal = self.refusal(t, src, form, dst, act, label)
                if refusal is not None:
                    out.append(refusal)
            elif t.action.variant == "valid":
                expects: list[Step] = []
                if dst is not None:
                    expects = self.expect_state(dst, arrived=t.target_url)
                    if t.outcome == Outcome.DOM_CHANGED or dst.id == src.id:
                        expects = expects[1:]  # same URL: the page, not the address, changed
                    stable = set(dst.stable_texts)
                    for text in t.appeared_texts:
                        if text in stable and not any(s.text == text for s in expects):
                            expects.append(Step(kind=StepKind.EXPECT_TEXT, text=text))
                            break
                typed = {st.data for st in act if st.kind == StepKind.FILL}
                round_trip = bool(t.echoed_fields) and UNIQUE_TEXT in typed
                if round_trip:
                    # The oracle that sees data: what this test typed comes back.
                    expects.append(Step(kind=StepKind.EXPECT_TEXT, data=UNIQUE_TEXT))
                    if dst is not None and dst.rows_from == "table":
                        # Led to a list: the new record is one of its rows, not only named
                        # in a message ("The book “qa-…” was added" above a list without it).
                        expects.append(Step(kind=StepKind.EXPECT_ROWS, data=UNIQUE_TEXT))
                if not expects:
                    continue
                then = f"I see {dst.url_template}" if dst else "the submission is accepted"
                if round_trip:
                    then += " showing what I entered"
                out.append(
                    self.scenario(
                        ScenarioKind.FORM_VALID,
                        f"{label} form on {src.url_template} accepts valid data",
                        self.given(src),
                        "I fill the form with valid data and submit it",
                        then,
                        [*self.reach_steps(src), *act, *expects],
                        [s for s in (src.id, dst.id if dst else None) if s],
                        [t.id],
                        src.url_template,
                        src.requires_login,
                        tags=["oracle:round-trip"] if round_trip else None,
                    )
                )
            else:
                invalid = list(dict.fromkeys(t.invalid_fields))
                checks: list[Step] = []
                for name in invalid:
                    f = next((x for x in form.fields if x.name == name), None)
                    el = src.element(f.element_id or "") if f else None
                    if el is not None and el.best_locator() is not None:
                        checks.append(self.element_step(StepKind.EXPECT_INVALID, el))
                if t.outcome == Outcome.NAVIGATED or not checks:
                    continue
                steps = [
                    *self.reach_steps(src),
                    *act,
                    Step(
                        kind=StepKind.EXPECT_URL,
                        url=template_regex(
                            src.url_template, self.identifying_keys(src.url_template)
                        ),
                        text=src.url_template,
                    ),
                    *checks[:4],
                ]
                out.append(
                    self.scenario(
                        ScenarioKind.FORM_INVALID,
                        f"{label} form on {src.url_template} rejects missing required fields",
                        self.given(src),
                        "I submit the form with its required fields empty",
                        "I stay on the page and the fields "
                        + ", ".join(repr(n) for n in invalid[:4])
                        + " are marked invalid",
                        steps,
                        [src.id],
                        [t.id],
                        src.url_template,
                        src.requires_login,
                    )
                )
        return out

    def refusal(
        self, t: Transition, src: State, form: Form, dst: State | None, act: list[Step], label: str
    ) -> Scenario | None:
        """A submission the app refused even with fitting values: named and asserted as a
        refusal (the page stays, the message shows), never as "accepts valid data"."""
        checks: list[Step] = []
        if dst is not None and t.rejected in dst.stable_texts:
            checks.append(Step(kind=StepKind.EXPECT_TEXT, text=t.rejected))
        for name in dict.fromkeys(t.invalid_fields):
            f = next((x for x in form.fields if x.name == name), None)
            el = src.element(f.element_id or "") if f else None
            if el is not None and el.best_locator() is not None:
                checks.append(self.element_step(StepKind.EXPECT_INVALID, el))
        if not checks:
            return None
        steps = [
            *self.reach_steps(src),
            *act,
            Step(
                kind=StepKind.EXPECT_URL,
                url=template_regex(src.url_template, self.identifying_keys(src.url_template)),
                text=src.url_template,
            ),
            *checks[:4],
        ]
        return self.scenario(
            ScenarioKind.FORM_INVALID,
            f"{label} form on {src.url_template} refuses the data it was given",
            self.given(src),
            "I fill the form with the values the crawl tried and submit it",
            f"I stay on the page and it says why: {t.rejected[:80]!r}",
            steps,
            [src.id],
            [t.id],
            src.url_template,
            src.requires_login,
        )

    def searches(self) -> list[Scenario]:
        """The search oracle: a listed item's text finds the item, a term nothing has finds
        none of the listed items. Only what the crawl saw happen is asserted."""
        out = []
        for t in self.kept:
            if t.action.kind != ActionKind.FILL_SUBMIT or t.action.variant != "search":
                continue
            src = self.model.state(t.source)
            act = self.action_steps(t)
            if src is None or not act or act[-1].kind != StepKind.SUBMIT:
                continue
            term = next(iter(t.action.values.values()), "")
            if term == UNIQUE_TEXT and t.search_gone:
                # Looked for among the rows the crawl read them from: the same text may
                # stand elsewhere (Django greets "admin" in its header, in capitals).
                where = ROWS_SCOPE if src.rows_from == "table" else None
                checks = [
                    Step(kind=StepKind.EXPECT_NO_TEXT, text=x, value=where)
                    for x in t.search_gone[:3]
                ]
                title = f"search on {src.url_template} for a term nothing has lists no item"
                when = "I search for a term no item has"
                then = "none of the listed items is shown: " + ", ".join(
                    repr(x) for x in t.search_gone[:3]
                )
            elif term != UNIQUE_TEXT and t.search_found:
                checks = [Step(kind=StepKind.EXPECT_TEXT, text=term)]
                title = f"search on {src.url_template} finds a listed item by {term!r}"
                when = f"I search for {term!r}, a text of a listed item"
                then = f"the results show {term!r}"
            else:
                continue
            out.append(
                self.scenario(
                    ScenarioKind.FORM_VALID,
                    title,
                    self.given(src),
                    when,
                    then,
                    [*self.reach_steps(src), *act, *checks],
                    [src.id],
                    [t.id],
                    src.url_template,
                    src.requires_login,
                    tags=["oracle:search"],
                )
            )
        return out

    def interactions(self) -> list[Scenario]:
        out = []
        for t in self.kept:
            if t.outcome != Outcome.DOM_CHANGED or t.action.kind == ActionKind.FILL_SUBMIT:
                continue
            src, dst = self.model.state(t.source), self.model.state(t.target or "")
            if src is None or dst is None:
                continue
            act = self.action_steps(t)
            if not act:
                continue
            src_names = {(e.role, e.name) for e in src.elements}
            appeared = [
                e
                for e in self.asserted_elements(dst, dst.stable_texts)
                if (e.role, e.name) not in src_names or e.attributes.get("in-dialog")
            ]
            expects = [self.element_step(StepKind.EXPECT_VISIBLE, e) for e in appeared[:3]]
            if not expects:
                stable = set(dst.stable_texts)
                texts = [x for x in t.appeared_texts if x in stable][:2]
                expects = [Step(kind=StepKind.EXPECT_TEXT, text=x) for x in texts]
            if not expects:
                continue
            label = t.action.label or "the control"
            out.append(
                self.scenario(
                    ScenarioKind.INTERACTION,
                    f"{label!s} on {src.url_template} changes the page",
                    self.given(src),
                    f"I press {label!r}",
                    "I see " + ", ".join(repr(s.text) for s in expects),
                    [*self.reach_steps(src), *act, *expects],
                    [src.id, dst.id],
                    [t.id],
                    src.url_template,
                    src.requires_login,
                )
            )
        return out

    def flows(self, covered: set[str]) -> list[Scenario]:
        """A path cover: walks from URL states through kept transitions nothing covers yet."""
        out = []
        by_source: dict[str, list[Transition]] = {}
        for t in self.kept:
            by_source.setdefault(t.source, []).append(t)
        for start in sorted(
            (s for s in self.model.states if s.reach_url or s.reach_path),
            key=lambda s: (s.depth, s.url_template, s.id),
        ):
            while any(t.id not in covered for t in by_source.get(start.id, [])):
                steps = self.reach_steps(start)
                path: list[Transition] = []
                state = start
                while len(path) < _MAX_PATH:
                    nxt = next(
                        (
                            t
                            for t in by_source.get(state.id, [])
                            if t.id not in covered and t.outcome != Outcome.ERROR
                        ),
                        None,
                    )
                    if nxt is None:
                        break
                    act = self.action_steps(nxt)
                    covered.add(nxt.id)
                    target = self.model.state(nxt.target or "")
                    if not act or target is None:
                        continue
                    path.append(nxt)
                    steps += act
                    steps += self.expect_state(target)[1:] or self.expect_state(target)
                    state = target
                if not path:
                    break
                labels = " → ".join(t.action.label or str(t.action.kind) for t in path)
                out.append(
                    self.scenario(
                        ScenarioKind.FLOW,
                        f"flow from {start.url_template}: {labels}",
                        self.given(start),
                        "I " + ", then ".join(f"use {t.action.label!r}" for t in path),
                        f"I reach {state.url_template} with every step showing its page",
                        steps,
                        [start.id, *(t.target or "" for t in path)],
                        [t.id for t in path],
                        start.url_template,
                        start.requires_login,
                    )
                )
        return out

    def link_integrity(self) -> list[Scenario]:
        out = []
        for t in self.model.transitions:
            if t.outcome != Outcome.ERROR or t.action.kind != ActionKind.CLICK:
                continue
            src = self.model.state(t.source)
            if src is None or not t.target_url:
                continue
            href = path_of(t.target_url)
            out.append(
                self.scenario(
                    ScenarioKind.LINK_INTEGRITY,
                    f"link {t.action.label!s} on {src.url_template} works",
                    self.given(src),
                    f"I follow the link to {href}",
                    "it answers with a status below 400",
                    [
                        *self.reach_steps(src),
                        Step(kind=StepKind.EXPECT_STATUS, url=href, value="400"),
                    ],
                    [src.id],
                    [t.id],
                    src.url_template,
                    src.requires_login,
                    expect_defect=True,
                    tags=["finding"],
                )
            )
        return out

    def a11y(self) -> list[Scenario]:
        out = []
        for template, states in sorted(self.templates.items()):
            state = next((s for s in states if s.reach_url), None)
            if state is None:
                continue
            out.append(
                self.scenario(
                    ScenarioKind.ACCESSIBILITY,
                    f"{template} has no serious accessibility violations",
                    self.given(state),
                    f"I open {template} and run axe-core",
                    "no critical or serious violation is reported",
                    [*self.reach_steps(state), Step(kind=StepKind.EXPECT_A11Y)],
                    [state.id],
                    [],
                    template,
                    state.requires_login,
                )
            )
        return out

    def all(self) -> list[Scenario]:
        """Every registered kind's scenarios, the path cover last among the built-ins."""
        unique: dict[str, Scenario] = {}
        for s in self.kinds.derive(self):
            unique.setdefault(s.id, s)
        return list(unique.values())


def derive_scenarios(
    model: AppModel,
    accessibility: bool = False,
    kinds: KindRegistry | None = None,
    planned: Iterable[Scenario] = (),
) -> list[Scenario]:
    """All scenarios for `model`, with the goals' verified scenarios (`planned`)."""
    req = Requirements(model, accessibility, kinds)
    req.planned = list(planned)
    return req.all()


# What reaches a state (reach_steps) and what shows its template (expect_state): every kind
# that starts from a state may use the first, every kind that lands on one the second.
_REACH = frozenset(
    {StepKind.GOTO, StepKind.CLICK, StepKind.FILL, StepKind.SELECT, StepKind.CHECK, StepKind.SUBMIT}
)
_SHOWS = frozenset({StepKind.EXPECT_URL, StepKind.EXPECT_VISIBLE, StepKind.EXPECT_SUM})


def _covered(earlier: list[Scenario]) -> set[str]:
    return {tid for s in earlier for tid in s.source_transitions}


def builtin_kinds() -> list[KindSpec]:
    """The built-in scenario kinds in derivation order (the path cover after the others)."""
    k, s = ScenarioKind, StepKind
    return [
        KindSpec(
            k.PAGE_LOADS.value,
            0.10,
            _REACH
            | _SHOWS
            | {
                s.EXPECT_STATUS,
                s.EXPECT_NO_CONSOLE_ERRORS,
                s.EXPECT_ROWS,
                s.EXPECT_COUNT,
                s.EXPECT_COUNT_ROWS,
            },
            lambda r, _: r.page_loads(),
        ),
        KindSpec(
            k.PAGE_ANSWERS.value,
            0.05,
            frozenset({s.GOTO, s.EXPECT_STATUS, s.EXPECT_TITLE}),
            lambda r, _: r.page_answers(),
        ),
        KindSpec(
            k.NAVIGATION.value,
            0.05,
            _REACH | _SHOWS | {s.EXPECT_TEXT, s.EXPECT_ROWS, s.EXPECT_ALL_ROWS},
            lambda r, _: r.navigation(),
        ),
        KindSpec(
            k.FORM_VALID.value,
            0.20,
            _REACH | _SHOWS | {s.EXPECT_TEXT, s.EXPECT_ROWS, s.EXPECT_NO_TEXT},
            lambda r, _: [*r.forms(), *r.searches()],
        ),
        KindSpec(
            k.FORM_INVALID.value,
            0.12,
            _REACH | {s.EXPECT_URL, s.EXPECT_INVALID, s.EXPECT_TEXT},
            derived_by=k.FORM_VALID.value,
        ),
        KindSpec(
            k.INTERACTION.value,
            0.12,
            _REACH | {s.EXPECT_VISIBLE, s.EXPECT_TEXT},
            lambda r, _: r.interactions(),
        ),
        KindSpec(
            k.LINK_INTEGRITY.value,
            0.20,
            _REACH | {s.EXPECT_STATUS},
            lambda r, _: r.link_integrity(),
        ),
        KindSpec(
            k.FLOW.value,
            0.15,
            _REACH | _SHOWS,
            lambda r, earlier: r.flows(_covered(earlier)),
        ),
        KindSpec(
            k.ACCESSIBILITY.value,
            0.05,
            _REACH | {s.EXPECT_A11Y},
            lambda r, _: r.a11y() if r.accessibility else [],
        ),
        # What the user said matters: the goals' scenarios that passed live (none without
        # --goal or --stories).
        KindSpec(
            k.GOAL.value,
            0.30,
            _REACH | {s.EXPECT_URL, s.EXPECT_TEXT},
            lambda r, _: list(r.planned),
        ),
    ]


@cache
def default_kinds(plugins: bool = True) -> KindRegistry:
    """The built-in kinds, then those installed packages declare as entry points (group
    `qaforge.scenario_kinds`, each a `KindSpec`); built once per process, immutable."""
    specs = builtin_kinds()
    if plugins:
        for ep in entry_points(group=KINDS_ENTRY_POINT_GROUP):
            spec = ep.load()
            if not isinstance(spec, KindSpec):
                raise ScenarioKindError(f"entry point {ep.name!r} ({ep.value}) is not a KindSpec")
            specs.append(spec)
    return KindRegistry(specs)


def crowded_elements(model: AppModel) -> set[str]:
    """Ids of elements whose locator was unique in one state of their page (URL template) and
    matched several elements in another (TiddlyWiki's "close" with one tiddler open, then with
    three). A test that clicks or asserts one meets the page as it is then, not as the crawl
    saw it, and fails in strict mode: such an element is neither pressed nor asserted."""
    many = {
        (s.url_template, locator_key(loc))
        for s in model.states
        for e in s.elements
        for loc in e.locators
        if loc.count > 1
    }
    return {
        e.id
        for s in model.states
        for e in s.elements
        if (s.url_template, locator_key(e.best_locator())) in many
    }


def locator_key(loc: Locator | None) -> str:
    return f"{loc.strategy}:{loc.value}:{loc.name}" if loc else ""


def save_scenarios(path: Path, scenarios: list[Scenario]) -> None:
    """Write scenarios as a JSON list (versioned with the models' schema)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "scenarios": [s.model_dump(mode="json") for s in scenarios],
    }
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def load_scenarios(path: Path) -> list[Scenario]:
    """Read scenarios written by `save_scenarios`."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(
            f"{path}: schema_version {doc.get('schema_version')!r} is not {SCHEMA_VERSION}"
        )
    return [Scenario.model_validate(s) for s in doc["scenarios"]]


def same_page(a: str, b: str) -> bool:
    """Whether two URLs name one page: an empty route fragment ("#", "#/", "#!/") is the
    page itself, as is a trailing slash."""

    def key(url: str) -> tuple[str, str, str, str, str]:
        parts = urlsplit(normalize_url(url))
        route = "" if parts.fragment.strip("!/") == "" else parts.fragment
        return (parts.scheme, parts.netloc, parts.path.rstrip("/"), parts.query, route)

    return bool(a and b) and key(a) == key(b)
