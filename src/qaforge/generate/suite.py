"""Write a generated suite to disk: parse-checked, formatted, with its test → scenario map."""

from __future__ import annotations

import ast
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from qaforge.crawl.urltemplate import origin_of
from qaforge.generate.conftest_py import conftest_source, element_timeout_ms, pytest_ini
from qaforge.generate.emit_pages import PAGES_FILE, PAGES_FUNCTION, pages_module
from qaforge.generate.emit_python import PythonEmitter, test_name
from qaforge.generate.emit_typescript import TypeScriptEmitter, ts_config_sources
from qaforge.generate.gherkin import feature_text
from qaforge.generate.locators import LocatorChooser
from qaforge.generate.regenerate import merge_with_earlier
from qaforge.generate.snapshot import write_snapshot
from qaforge.generate.strategy import Strategy
from qaforge.models import AppModel, GeneratedTest, Scenario, ScenarioKind, StepKind, TestSuite


class CodeSafetyError(Exception):
    """A generated file did not parse: nothing is written."""


_WRITES = frozenset({StepKind.FILL, StepKind.SELECT, StepKind.CHECK, StepKind.SUBMIT})


def changes_app(sc: Scenario) -> bool:
    """Whether a step of `sc` may change what the app holds: it fills, selects, checks or
    submits, or presses a control that is not a link."""
    return any(
        st.kind in _WRITES
        or (
            st.kind == StepKind.CLICK
            and not (st.locator is not None and st.locator.value == "link")
        )
        for st in sc.steps
    )


def check_python(source: str, name: str) -> None:
    """Refuse a Python file that does not parse."""
    try:
        ast.parse(source, filename=name)
    except SyntaxError as exc:
        raise CodeSafetyError(f"generated {name} does not parse: {exc}") from exc


def ruff_format(paths: list[Path]) -> None:
    """Format generated Python with ruff (best effort: unformatted code still runs)."""
    if not paths:
        return
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--quiet",
            "--line-length",
            "100",
            *map(str, paths),
        ],
        check=False,
        capture_output=True,
    )


def _login_path(model: AppModel) -> str | None:
    auth = model.target.auth
    if auth.kind != "form" or not auth.login_url:
        return None
    parts = urlsplit(urljoin(model.target.url, auth.login_url))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def write_suite(
    model: AppModel,
    scenarios: list[Scenario],
    out_dir: Path,
    strategy: Strategy,
    language: str = "python",
    notes: list[str] | None = None,
    dropped: list[str] | None = None,
    standalone: bool = False,
) -> TestSuite:
    """Emit every scenario into `out_dir` (replacing a previous generation there).

    A Python suite gets its fixtures from qaforge's pytest plugin, or (`standalone`) carries
    them in its conftest.py."""
    out_dir.mkdir(parents=True, exist_ok=True)
    chooser = LocatorChooser(model, [str(p) for p in strategy.locator_priority])
    texts = {s.id: s.visible_texts for s in model.states}
    by_area: dict[str, list[Scenario]] = defaultdict(list)
    pages: list[Scenario] = []
    for sc in scenarios:
        if sc.kind == ScenarioKind.PAGE_ANSWERS:
            pages.append(sc)
        else:
            by_area[sc.area or "home"].append(sc)
    base_url = origin_of(model.target.url)
    http_auth = model.target.auth.kind == "basic"
    suite = TestSuite(
        directory=str(out_dir),
        language="typescript" if language == "ts" else "python",
        strategy=strategy.name,
        notes=notes or [],
        dropped=dropped or [],
    )
    files: dict[str, str] = {}
    timeout_ms = element_timeout_ms(model.crawl_stats.ready_p90_s)
    if language == "ts":
        if pages:
            # The TypeScript runtime has no page checks yet: the browser's page-load tests
            # still cover each template the browser saw.
            suite.notes.append(f"{len(pages)} HTTP page checks left out of the TypeScript suite")
        ts = TypeScriptEmitter(strategy, chooser, texts)
        files.update(ts_config_sources(base_url, _login_path(model), http_auth, timeout_ms))
        for area, group in sorted(by_area.items()):
            taken: set[str] = set()
            named = _distinct_titles(group)
            fname = f"{area}.spec.ts"
            files[fname] = ts.module(area, model.target.url, named)
            for sc, title in named:
                suite.tests.append(
                    GeneratedTest(
                        test_id=f"{fname}::{test_name(title, taken)}",
                        scenario_id=sc.id,
                        file=fname,
                        function=title,
                        kind=sc.kind,
                        template=sc.template,
                        expect_defect=sc.expect_defect,
                        changes_app=changes_app(sc),
                    )
                )
    else:
        py = PythonEmitter(strategy, chooser, texts)
        settings = (base_url, _login_path(model), http_auth, timeout_ms)
        files["conftest.py"] = conftest_source(*settings, standalone=standalone)
        files["pytest.ini"] = pytest_ini(*settings, standalone=standalone)
        for area, group in sorted(by_area.items()):
            taken = set()
            named = [(sc, test_name(sc.title, taken)) for sc in group]
            fname = f"test_{area}.py"
            files[fname] = py.module(area, model.target.url, named)
            for sc, name in named:
                suite.tests.append(
                    GeneratedTest(
                        test_id=f"{fname}::{name}",
                        scenario_id=sc.id,
                        file=fname,
                        function=name,
                        kind=sc.kind,
                        template=sc.template,
                        expect_defect=sc.expect_defect,
                        changes_app=changes_app(sc),
                    )
                )
        if pages:
            source, named_pages = pages_module(pages)
            files[PAGES_FILE] = source
            for sc, name in named_pages:
                suite.tests.append(
                    GeneratedTest(
                        test_id=f"{PAGES_FILE}::{name}",
                        scenario_id=sc.id,
                        file=PAGES_FILE,
                        function=PAGES_FUNCTION,
                        kind=sc.kind,
                        template=sc.template,
                    )
                )
    for name, source in files.items():
        if name.endswith(".py"):
            check_python(source, name)
    files = formatted(files)
    # A suite already in the folder: what a person edited, added or deleted there stays so.
    merged = merge_with_earlier(out_dir, files, suite.tests, language)
    suite.tests = merged.tests
    suite.notes += merged.notes()
    for name, source in merged.files.items():
        (out_dir / name).write_text(source, encoding="utf-8")
    (out_dir / "scenarios.feature").write_text(
        feature_text(model.target.app or model.target.url, scenarios), encoding="utf-8"
    )
    model.save(out_dir / "model.json")
    # The scenarios travel with the suite: healing needs each step's element fingerprint.
    from qaforge.generate.scenarios import save_scenarios

    save_scenarios(out_dir / "scenarios.json", scenarios)
    quarantine = out_dir / "quarantine.json"
    if quarantine.exists():
        quarantine.unlink()  # a new generation starts with nothing quarantined
    # A person's own file of a generated file's name is theirs: neither listed nor snapshotted.
    generated = [
        n
        for n in [*files, "scenarios.feature", "model.json", "scenarios.json"]
        if n not in merged.clashes
    ]
    suite.files = sorted({*generated, *merged.files})
    (out_dir / "suite.json").write_text(suite.model_dump_json(indent=2), encoding="utf-8")
    # What this generation wrote, without the person's edits kept: the next one compares.
    write_snapshot(out_dir, "", 0, sorted({*generated, *merged.baseline}), texts=merged.baseline)
    return suite


def _distinct_titles(group: list[Scenario]) -> list[tuple[Scenario, str]]:
    """Each scenario with its test title, made unique in its file (Playwright Test refuses two
    tests of one title in a describe block)."""
    seen: dict[str, int] = {}
    out: list[tuple[Scenario, str]] = []
    for sc in group:
        n = seen[sc.title] = seen.get(sc.title, 0) + 1
        out.append((sc, sc.title if n == 1 else f"{sc.title} ({n})"))
    return out


def formatted(files: dict[str, str]) -> dict[str, str]:
    """`files` with their Python formatted by ruff (in a scratch folder)."""
    with tempfile.TemporaryDirectory(prefix="qaforge-gen-") as tmp:
        root = Path(tmp)
        for name, source in files.items():
            (root / name).write_text(source, encoding="utf-8")
        ruff_format([root / n for n in files if n.endswith(".py")])
        return {name: (root / name).read_text(encoding="utf-8") for name in files}
