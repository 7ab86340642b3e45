"""Heal a broken locator: re-open the state, find the element by fingerprint, rewrite, re-run.

A heal is accepted only when the test then passes with every assertion it had; locators of
assertions are never healed (that would change the oracle), the new element must be visible,
and its meaning must not contradict the original's (`meaning.contradiction`: add ≠ remove,
issue 12 ≠ issue 13; a refused candidate is never tried). Every attempt, accepted or not, is
recorded, with the refusals in its reason.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from qaforge.config import Settings
from qaforge.crawl.auth import Credentials, login_state, resolve_ref
from qaforge.crawl.browser import BrowserSession, settle
from qaforge.crawl.observe import take_snapshot
from qaforge.crawl.urltemplate import resolve_on
from qaforge.execute.classify import failing_locator
from qaforge.execute.healing import THRESHOLD, match
from qaforge.execute.runner import run_pytest
from qaforge.generate.emit_python import py_locator
from qaforge.generate.locators import LocatorChooser
from qaforge.generate.scenarios import load_scenarios
from qaforge.generate.strategy import StrategyRegistry
from qaforge.generate.suite import ruff_format
from qaforge.models import (
    AppModel,
    Element,
    FailureClass,
    Heal,
    Locator,
    LocatorStrategy,
    Scenario,
    Step,
    StepKind,
    TestOutcome,
    TestResult,
    TestSuite,
)
from qaforge.store.recall import open_memory, recall_page
from qaforge.store.vectors import LongTermMemory

_ACTION_STEPS = {StepKind.CLICK, StepKind.SUBMIT, StepKind.FILL, StepKind.SELECT, StepKind.CHECK}
_ACTION_METHODS = {"click", "fill", "check", "uncheck", "select_option", "press"}


def printed(loc: Locator) -> str:
    """How Playwright prints a locator in its call log (to find which step failed)."""
    q = json.dumps
    match loc.strategy:
        case LocatorStrategy.ROLE:
            return f"get_by_role({q(loc.value)}, name={q(loc.name or '')}"
        case LocatorStrategy.LABEL:
            return f"get_by_label({q(loc.value)}"
        case LocatorStrategy.PLACEHOLDER:
            return f"get_by_placeholder({q(loc.value)}"
        case LocatorStrategy.TEXT:
            return f"get_by_text({q(loc.value)}"
        case LocatorStrategy.TEST_ID:
            return f"get_by_test_id({q(loc.value)}"
        case _:
            return f"locator({q(loc.value)}"


def rewrite_action_locator(source: str, function: str, old_expr: str, new_expr: str) -> str | None:
    """Replace `old_expr` where `function` acts on it (never inside an assertion)."""
    tree = ast.parse(source)
    want = ast.unparse(ast.parse(old_expr, mode="eval").body)
    spans: list[tuple[int, int, int, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in _ACTION_METHODS
                    and ast.unparse(call.func.value) == want
                ):
                    target = call.func.value
                    assert target.end_lineno is not None and target.end_col_offset is not None
                    spans.append(
                        (target.lineno, target.col_offset, target.end_lineno, target.end_col_offset)
                    )
    if not spans:
        return None
    lines = source.splitlines(keepends=True)
    for lineno, col, end_lineno, end_col in sorted(spans, reverse=True):
        start = sum(len(x) for x in lines[: lineno - 1]) + _byte_col(lines[lineno - 1], col)
        end = sum(len(x) for x in lines[: end_lineno - 1]) + _byte_col(
            lines[end_lineno - 1], end_col
        )
        text = "".join(lines)
        text = text[:start] + new_expr + text[end:]
        lines = text.splitlines(keepends=True)
    return "".join(lines)


def _byte_col(line: str, col: int) -> int:
    # ast offsets are UTF-8 byte offsets; convert to a character index.
    return len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))


def count_assertions(source: str, function: str) -> int:
    """expect(...) calls and assert statements in `function`."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            calls = sum(
                1
                for n in ast.walk(node)
                if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name)
                and n.func.id == "expect"
            )
            return calls + sum(1 for n in ast.walk(node) if isinstance(n, ast.Assert))
    return 0


@dataclass
class Healer:
    """Heals the broken-locator failures of one suite against a live app."""

    settings: Settings
    suite: TestSuite
    model: AppModel
    base_url: str
    out_dir: Path

    def __post_init__(self) -> None:
        suite_dir = Path(self.suite.directory)
        scen_path = suite_dir / "scenarios.json"
        self.scenarios = {s.id: s for s in load_scenarios(scen_path)} if scen_path.exists() else {}
        try:
            strategy = StrategyRegistry().get(self.suite.strategy)
            priority = [str(p) for p in strategy.locator_priority]
        except KeyError:
            priority = [s.value for s in LocatorStrategy]
        self.chooser = LocatorChooser(self.model, priority)
        self.state_of: dict[str, str] = {}
        self._memory: LongTermMemory | None = None
        for st in self.model.states:
            for el in st.elements:
                if st.reach_url:
                    self.state_of.setdefault(el.id, st.reach_url)

    def failing_step(self, sc: Scenario, message: str) -> tuple[Step, Locator] | None:
        waiting = failing_locator(message) or ""
        for step in sc.steps:
            if step.kind not in _ACTION_STEPS:
                continue
            loc = self.chooser.choose(step)
            if loc is not None and printed(loc) in waiting:
                return step, loc
        return None

    async def heal_all(self, results: list[TestResult]) -> int:
        """Try to heal each broken-locator failure; returns how many were healed."""
        todo = [
            r
            for r in results
            if r.outcome == TestOutcome.FAILED and r.failure_class == FailureClass.BROKEN_LOCATOR
        ]
        if not todo:
            return 0
        if self.suite.language != "python":
            # The rewrite works on Python's syntax tree: a TypeScript test is left as it is,
            # its broken locator reported, and the report says why nothing was tried.
            for res in todo:
                res.heals.append(
                    Heal(
                        test_id=res.test_id,
                        old_locator=failing_locator(res.message) or "?",
                        new_locator="",
                        score=0.0,
                        accepted=False,
                        reason=f"healing rewrites Python tests only; not tried on a "
                        f"{self.suite.language} test",
                    )
                )
            return 0
        session = BrowserSession(self.settings, timeout_ms=15_000)
        await session.start()
        try:
            await self._login(session)
            healed = 0
            for res in todo:
                if await self.heal_one(session, res):
                    healed += 1
            return healed
        finally:
            await session.close()
            if self._memory is not None:
                await self._memory.close()
                self._memory = None

    async def _login(self, session: BrowserSession) -> None:
        auth = self.model.target.auth
        if auth.kind != "form" or not auth.login_url:
            return
        user, pw = resolve_ref(auth.username_ref), resolve_ref(auth.password_ref)
        if not user or not pw:
            return
        ctx = await session.new_context(authenticated=False)
        try:
            login_url = resolve_on(self.base_url, auth.login_url)
            session.storage_state = await login_state(ctx, login_url, Credentials(user, pw), 15_000)
        finally:
            await ctx.close()

    async def heal_one(self, session: BrowserSession, res: TestResult) -> bool:
        """Up to three locators in one test, each re-run; the file is restored on refusal."""
        file, _, function = res.test_id.partition("::")
        path = Path(self.suite.directory) / file
        original = path.read_text(encoding="utf-8")
        sc = self.scenarios.get(res.scenario_id)
        message = res.message
        for _ in range(3):
            found = self.failing_step(sc, message) if sc else None
            if found is None:
                res.heals.append(
                    Heal(
                        test_id=res.test_id,
                        old_locator="?",
                        new_locator="",
                        score=0.0,
                        accepted=False,
                        reason="the failing locator is not one of the test's actions",
                    )
                )
                break
            step, old_loc = found
            found_el = await self._find(session, step)
            old_expr = py_locator(old_loc)
            if found_el is None or isinstance(found_el, str):
                # Nothing close enough, or only candidates whose meaning contradicts the
                # original (add ≠ remove): not healed, the broken locator stays reported.
                res.heals.append(
                    Heal(
                        test_id=res.test_id,
                        old_locator=old_expr,
                        new_locator="",
                        score=0.0,
                        accepted=False,
                        reason=found_el or f"no element on the page scores ≥ {THRESHOLD}",
                    )
                )
                break
            el, score, new_loc, refusals = found_el
            new_expr = py_locator(new_loc)
            current = path.read_text(encoding="utf-8")
            rewritten = rewrite_action_locator(current, function, old_expr, new_expr)
            heal = Heal(
                test_id=res.test_id,
                old_locator=old_expr,
                new_locator=new_expr,
                score=score,
                accepted=False,
            )
            res.heals.append(heal)
            if rewritten is None:
                heal.reason = "could not find the locator in the test's code"
                break
            if count_assertions(rewritten, function) != count_assertions(original, function):
                heal.reason = "the rewrite would change the test's assertions"
                break
            path.write_text(rewritten, encoding="utf-8")
            ruff_format([path])
            rerun = await run_pytest(
                Path(self.suite.directory),
                self.base_url,
                self.out_dir,
                self.settings,
                run_index=90,
                select=[res.test_id],
                workers=1,
                login=self.model.target.auth,
            )
            case = rerun.cases.get(res.test_id)
            if case is not None and case.outcome == "passed":
                heal.accepted = True
                heal.reason = f"matched {el.role} {el.name!r}; the test passes with its assertions"
                if refusals:
                    heal.reason += f"; {refusals}"
                res.outcome = TestOutcome.HEALED
                res.failure_class = None
                res.message = f"healed: {old_expr} → {new_expr}"
                return True
            message = case.message if case else ""
            heal.reason = "the test still fails after the heal"
            from qaforge.execute.classify import classify

            if case is None or classify(message, False, []) != FailureClass.BROKEN_LOCATOR:
                break  # failing for another reason now: a real bug, not a locator
        path.write_text(original, encoding="utf-8")
        return False

    async def _find(
        self, session: BrowserSession, step: Step
    ) -> tuple[Element, float, Locator, str] | str | None:
        """(element, score, its locator, refusals) or, when every candidate above the
        threshold contradicts the original's meaning, why they were refused."""
        if step.fingerprint is None:
            return None
        url = self.state_of.get(step.element_id or "")
        if url is None:  # not in this model: where did an earlier crawl see such a control?
            if self._memory is None:  # opened once per healing session, on first need
                self._memory = open_memory(self.settings.vector_url)
            app = self.model.target.app or self.model.target.url
            url = await recall_page(self._memory, app, step.fingerprint)
        if url is None:
            return None
        live_url = resolve_on(self.base_url, url)
        ctx = await session.new_context()
        try:
            page = await ctx.new_page()
            await page.goto(live_url, wait_until="domcontentloaded")
            await settle(page)
            snap = await take_snapshot(page)
        finally:
            await ctx.close()
        found = match(step.fingerprint, snap.elements)
        if found.best is None:
            if found.refused:
                return f"no element on the page means the same: {found.refusals()}"
            return None
        el, score = found.best
        chooser_rank = {s: i for i, s in enumerate(self.chooser.priority)}
        uniques = [c for c in el.locators if c.count == 1]
        new_loc = min(uniques, key=lambda c: chooser_rank.get(str(c.strategy), 99))
        return el, score, new_loc, found.refusals()
