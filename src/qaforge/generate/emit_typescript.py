"""The @playwright/test (TypeScript) emitter: the same scenarios, one spec file per area."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from qaforge.crawl.browser import VIEWPORT
from qaforge.generate.counts import count_pattern, count_phrase
from qaforge.generate.emit_python import _DATA, DATA_ROWS, limit_assertions, uses_rows
from qaforge.generate.literals import ts_comment, ts_str
from qaforge.generate.locators import LocatorChooser
from qaforge.generate.strategy import Strategy
from qaforge.models import ROWS_SCOPE, Locator, LocatorStrategy, Scenario, Step, StepKind


def ts_locator(loc: Locator) -> str:
    """The Playwright (TypeScript) expression for a locator candidate."""
    match loc.strategy:
        case LocatorStrategy.ROLE:
            return (
                f"page.getByRole({ts_str(loc.value)} as any, "
                f"{{ name: {ts_str(loc.name or '')}, exact: true }})"
            )
        case LocatorStrategy.LABEL:
            return f"page.getByLabel({ts_str(loc.value)}, {{ exact: true }})"
        case LocatorStrategy.PLACEHOLDER:
            return f"page.getByPlaceholder({ts_str(loc.value)}, {{ exact: true }})"
        case LocatorStrategy.TEST_ID:
            if loc.value.startswith("data-") and "=" in loc.value:
                attr, _, val = loc.value.partition("=")
                css = "[" + attr + '="' + val.replace("\\", "\\\\").replace('"', '\\"') + '"]'
                return f"page.locator({ts_str(css)})"
            return f"page.getByTestId({ts_str(loc.value)})"
        case LocatorStrategy.TEXT:
            return f"page.getByText({ts_str(loc.value)}, {{ exact: true }})"
        case _:
            return f"page.locator({ts_str(loc.value)})"


@dataclass
class TypeScriptEmitter:
    """Renders scenarios as @playwright/test specs."""

    strategy: Strategy
    chooser: LocatorChooser
    all_texts: dict[str, list[str]] = field(default_factory=dict)

    def wait(self) -> list[str]:
        if self.strategy.wait_policy == "networkidle":
            return ["await page.waitForLoadState('networkidle');"]
        if self.strategy.wait_policy == "load":
            return ["await page.waitForLoadState('load');"]
        return []

    def value_expr(self, step: Step) -> str:
        if step.data and step.data in _DATA:
            return _DATA[step.data]  # the same expression is valid TypeScript
        return ts_str(step.value or "")

    def step_lines(self, step: Step, first_goto: bool) -> list[str]:
        loc = self.chooser.choose(step)
        expr = ts_locator(loc) if loc else ""
        match step.kind:
            case StepKind.GOTO:
                prefix = "const response = " if first_goto else ""
                return [f"{prefix}await page.goto({ts_str(step.url or '/')});", *self.wait()]
            case StepKind.EXPECT_STATUS if step.url:
                return [
                    f"const linked = await page.request.get({ts_str(step.url)});",
                    "expect(linked.status()).toBeLessThan(400);",
                ]
            case StepKind.EXPECT_STATUS:
                return ["expect(response?.status() ?? 0).toBeLessThan(400);"]
            case StepKind.CLICK | StepKind.SUBMIT if expr:
                return [f"await {expr}.click();", *self.wait()]
            case StepKind.FILL if expr:
                return [f"await {expr}.fill({self.value_expr(step)});"]
            case StepKind.SELECT if expr:
                return [f"await {expr}.selectOption({ts_str(step.value or '')});"]
            case StepKind.CHECK if expr:
                return [f"await {expr}.check();"]
            case StepKind.EXPECT_URL:
                return [f"await expect(page).toHaveURL(new RegExp({ts_str(step.url or '')}));"]
            case StepKind.EXPECT_VISIBLE if expr:
                return [f"await expect({expr}).toBeVisible();"]
            case StepKind.EXPECT_TEXT if step.data in _DATA:
                return [
                    f"await expect(page.getByText({_DATA[step.data or '']}).first()).toBeVisible();"
                ]
            case StepKind.EXPECT_TEXT:
                return [
                    f"await expect(page.getByText({ts_str(step.text or '')}, "
                    "{ exact: true }).first()).toBeVisible();"
                ]
            case StepKind.EXPECT_ROWS if step.data in _DATA:
                return [
                    f"await expect(page.locator(DATA_ROWS).filter({{ hasText: {_DATA[step.data or '']} }})"
                    ".first()).toBeVisible();"
                ]
            case StepKind.EXPECT_ROWS:
                nth = max(1, int(step.value or "1")) - 1
                return [f"await expect(page.locator(DATA_ROWS).nth({nth})).toBeVisible();"]
            case StepKind.EXPECT_COUNT if pattern := count_pattern(step.text or ""):
                return [
                    f"// {count_phrase(step.text or '')} or more: data added since only raises "
                    "the count.",
                    f"await expect(page.getByText(new RegExp({ts_str(pattern)})).first())"
                    ".toBeVisible();",
                ]
            case StepKind.EXPECT_COUNT_ROWS if pattern := count_pattern(step.text or ""):
                return [
                    "// The page states as many as it lists (both grow with data added).",
                    f"const stated = page.getByText(new RegExp({ts_str(pattern)}))"
                    ".filter({ visible: true }).first();",
                    "await expect(stated).toBeVisible();",
                    "await expect(page.locator(DATA_ROWS)).toHaveCount("
                    'Number((await stated.innerText()).replace(/\\D/g, "")));',
                ]
            case StepKind.EXPECT_ALL_ROWS:
                return [
                    "await expect(page.locator(DATA_ROWS).filter("
                    f"{{ hasNotText: {ts_str(step.text or '')} }})).toHaveCount(0);"
                ]
            case StepKind.EXPECT_SUM:
                pattern = r"^\s*" + re.escape(step.text or "")
                column = int(step.value or "0")
                return [
                    f"const total = page.getByText(new RegExp({ts_str(pattern)})).first();",
                    "await expect(total).toBeVisible();",
                    f"expect(Math.round((await amounts(page, {column})).reduce((a, b) => a + b, 0)"
                    " * 100) / 100).toBe(amount(await total.innerText()));",
                ]
            case StepKind.EXPECT_NO_TEXT if step.value == ROWS_SCOPE:
                return [
                    f"await expect(page.locator(DATA_ROWS).getByText({ts_str(step.text or '')}, "
                    "{ exact: true })).toHaveCount(0);"
                ]
            case StepKind.EXPECT_NO_TEXT:
                return [
                    f"await expect(page.getByText({ts_str(step.text or '')}, "
                    "{ exact: true })).toHaveCount(0);"
                ]
            case StepKind.EXPECT_INVALID if expr:
                return [
                    f"await expect({expr}.and(page.locator(':invalid, [aria-invalid=true]')))"
                    ".toHaveCount(1);"
                ]
            case StepKind.EXPECT_NO_CONSOLE_ERRORS:
                # The message names them as the Python suite does ("console errors:"), so a
                # failure is classified the same way whichever language ran it.
                return [
                    "expect(consoleErrors, 'console errors: ' + consoleErrors.join(' | '))"
                    ".toEqual([]);"
                ]
        return []

    def test_block(self, sc: Scenario, title_text: str | None = None) -> str:
        """One `test(...)` of `sc`, titled `title_text` (unique in its file) or its title."""
        steps = limit_assertions(sc.steps, self.strategy)
        body: list[str] = []
        for i, step in enumerate(steps):
            keep = (
                step.kind == StepKind.GOTO
                and i + 1 < len(steps)
                and steps[i + 1].kind == StepKind.EXPECT_STATUS
                and not steps[i + 1].url
            )
            body += self.step_lines(step, keep)
        pre: list[str] = []
        if any(s.kind == StepKind.EXPECT_NO_CONSOLE_ERRORS for s in steps):
            pre += [
                "const consoleErrors: string[] = [];",
                "page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource') && !m.text().includes('ResizeObserver loop')) consoleErrors.push(m.text()); });",
                "page.on('pageerror', (e) => { if (!e.message.includes('ResizeObserver loop')) consoleErrors.push('uncaught: ' + e.message); });",
                # The app's own API answering 5xx is the page's error too.
                "page.on('response', (r) => { if (r.status() >= 500 && ['fetch', 'xhr'].includes(r.request().resourceType()) && new URL(r.url()).host === new URL(baseURL ?? r.url()).host) consoleErrors.push('server error: ' + r.request().method() + ' ' + r.url() + ' answered ' + r.status()); });",
            ]
        if any(s.data in _DATA for s in steps if s.kind == StepKind.FILL):
            pre.append("const unique = Math.random().toString(36).slice(2, 12);")
        comment = ts_comment(
            f"Scenario: {sc.title}\nGiven {sc.given}\nWhen {sc.when}\nThen {sc.then}"
        )
        title = ts_str((title_text or sc.title) + (" [app-defect]" if sc.expect_defect else ""))
        lines = [f"  /*\n   * {comment.replace(chr(10), chr(10) + '  ')}\n   */"]
        fixtures = (
            "page, baseURL"
            if any(s.kind == StepKind.EXPECT_NO_CONSOLE_ERRORS for s in steps)
            else "page"
        )
        lines.append(f"  test({title}, async ({{ {fixtures} }}) => {{")
        lines += [f"    {line}" for line in [*pre, *body]]
        lines.append("  });")
        return "\n".join(lines)

    def module(self, area: str, target: str, scenarios: list[tuple[Scenario, str]]) -> str:
        head = [
            f"/* Generated by qaforge from a crawl of {ts_comment(target)}: the "
            f"{ts_comment(area)} area. */",
            "import { test, expect } from '@playwright/test';",
            "",
        ]
        if any(uses_rows(st) for sc, _ in scenarios for st in sc.steps):
            head += [
                "// A row of the page's data table (tables in navigation left out).",
                f"const DATA_ROWS = {ts_str(DATA_ROWS)};",
                "",
            ]
        if any(st.kind == StepKind.EXPECT_SUM for sc, _ in scenarios for st in sc.steps):
            head += [
                "// Cells of a data row that have text, in order, as the crawl read them.",
                "const CELLS = 'td, th, [role=cell], [role=gridcell], [role=rowheader]';",
                "",
                '/** The number in a money text: "$1,234.50" -> 1234.5. */',
                "function amount(text: string): number {",
                "  return Number(text.replace(/[^\\d.-]/g, '')) || 0;",
                "}",
                "",
                "/** The amounts in one column of the data table's rows. */",
                "async function amounts(page: Page, column: number): Promise<number[]> {",
                "  const out: number[] = [];",
                "  for (const row of await page.locator(DATA_ROWS).all()) {",
                "    const cells = (await row.locator(CELLS).allInnerTexts()).filter((t) => t.trim());",
                "    out.push(column < cells.length ? amount(cells[column]) : 0);",
                "  }",
                "  return out;",
                "}",
                "",
            ]
            head[1] = "import { test, expect, type Page } from '@playwright/test';"
        head.append(f"test.describe({ts_str(area)}, () => {{")
        blocks = [self.test_block(sc, title) for sc, title in scenarios]
        return "\n".join(head) + "\n" + "\n\n".join(blocks) + "\n});\n"


def ts_config_sources(
    base_url: str, login_path: str | None, http_auth: bool, timeout_ms: int = 5000
) -> dict[str, str]:
    """playwright.config.ts, a global login setup and tsconfig.json for the TS suite."""
    login = ts_str(login_path) if login_path else "null"
    config = f"""import {{ defineConfig }} from '@playwright/test';
import * as fs from 'fs';

const exe = process.env.QAFORGE_CHROMIUM || (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
const user = process.env.QAFORGE_USERNAME;
const password = process.env.QAFORGE_PASSWORD;
const loginPath: string | null = {login};
const httpAuth: boolean = {"true" if http_auth else "false"};

// qaforge sets PLAYWRIGHT_JUNIT_OUTPUT_FILE (which Playwright's junit reporter honours over
// outputFile) to read each run; run by hand, the file lands in test-results/.
const junit: ['junit', {{ outputFile: string }}] = ['junit', {{ outputFile: 'test-results/junit.xml' }}];

export default defineConfig({{
  testDir: '.',
  testMatch: '*.spec.ts',
  // Earlier tests qaforge moved aside on regenerating, and the toolchain, are not this suite.
  testIgnore: ['.qaforge/**', 'node_modules/**'],
  workers: 2,
  // One test at a time per worker, as pytest-xdist hands them out: a big area's file does not
  // hold one worker while the other idles (every test has its own page and context).
  fullyParallel: true,
  // qaforge re-runs and judges flaky tests itself; a retry here would hide them.
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [junit, [process.env.GITHUB_ACTIONS ? 'github' : 'dot']] : [['list'], junit],
  globalSetup: './global-setup.ts',
  expect: {{ timeout: Number(process.env.QAFORGE_TIMEOUT_MS || {int(timeout_ms)}) }},
  use: {{
    baseURL: (process.env.QAFORGE_BASE_URL || {ts_str(base_url)}).replace(/\\/$/, ''),
    viewport: {{ width: {VIEWPORT["width"]}, height: {VIEWPORT["height"]} }},
    storageState: loginPath ? '.auth/state.json' : undefined,
    // With retries off this records nothing by itself; `--trace` overrides it when asked.
    trace: 'on-first-retry',
    // qaforge asks for screenshots only on the run whose failures it reports.
    screenshot: process.env.QAFORGE_SCREENSHOT === 'only-on-failure' ? 'only-on-failure' : 'off',
    httpCredentials: httpAuth && user && password ? {{ username: user, password: password }} : undefined,
    launchOptions: {{
      executablePath: exe,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }},
  }},
}});
"""
    setup = f"""import {{ chromium, FullConfig }} from '@playwright/test';

export default async function globalSetup(config: FullConfig): Promise<void> {{
  const loginPath: string | null = {login};
  if (!loginPath) return;
  const user = process.env.QAFORGE_USERNAME;
  const password = process.env.QAFORGE_PASSWORD;
  if (!user || !password) throw new Error('set QAFORGE_USERNAME and QAFORGE_PASSWORD');
  const use = config.projects[0].use;
  const browser = await chromium.launch(use.launchOptions);
  const page = await browser.newPage({{ baseURL: use.baseURL }});
  await page.goto(loginPath);
  const form = page.locator('form:has(input[type=password])').first();
  await form.locator('input[type=text], input[type=email], input:not([type])').first().fill(user);
  await form.locator('input[type=password]').fill(password);
  await form.locator('button[type=submit], input[type=submit], button:not([type])').first().click();
  await page.waitForLoadState();
  await page.context().storageState({{ path: '.auth/state.json' }});
  await browser.close();
}}
"""
    tsconfig = """{
  "compilerOptions": {
    "target": "ES2020",
    "module": "commonjs",
    "strict": true,
    "noEmit": true,
    "esModuleInterop": true,
    "skipLibCheck": true,
    "types": ["node"]
  },
  "include": ["*.ts"]
}
"""
    return {
        "playwright.config.ts": config,
        "global-setup.ts": setup,
        "tsconfig.json": tsconfig,
        "package.json": ts_package_json(),
    }


RUNTIME_PACKAGE = Path(__file__).parent / "ts_runtime" / "package.json"


def ts_package_json() -> str:
    """The suite's package.json: the toolchain qaforge runs it with, pinned to the same versions,
    so `npm install && npx playwright test` outside qaforge runs what qaforge ran."""
    pinned = json.loads(RUNTIME_PACKAGE.read_text(encoding="utf-8"))["devDependencies"]
    doc = {
        "name": "qaforge-generated-suite",
        "private": True,
        "description": "Playwright tests generated by qaforge.",
        "scripts": {"test": "playwright test"},
        "devDependencies": pinned,
    }
    return json.dumps(doc, indent=2) + "\n"
