"""Hostile page text reaches generated code only inside string literals."""

from __future__ import annotations

import ast
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from qaforge.generate.emit_python import PythonEmitter, py_locator
from qaforge.generate.emit_typescript import TypeScriptEmitter, ts_locator
from qaforge.generate.literals import py_docstring, py_str, ts_comment, ts_str
from qaforge.generate.locators import LocatorChooser
from qaforge.generate.strategy import get_strategy
from qaforge.models import (
    AppModel,
    Locator,
    LocatorStrategy,
    Scenario,
    ScenarioKind,
    Step,
    StepKind,
    Target,
)

HOSTILE = st.one_of(
    st.sampled_from(
        [
            '"""; import os; os.system("rm -rf /") #',
            "'); page.close(); ('",
            "\\",
            "line1\nline2\r\nline3",
            "${process.exit(1)}",
            "`${x}`",
            "</script><script>alert(1)</script>",
            "*/ process.exit(1) /*",
            "\u2028\u2029",
            "\x00\x1b[31m",
            "{unique_email}",
            "😀 ünïcødé ☃",
        ]
    ),
    st.text(min_size=1, max_size=60),
)


def scenario_with(text: str) -> Scenario:
    loc = Locator(strategy=LocatorStrategy.ROLE, value="button", name=text, count=1)
    return Scenario(
        id="s1",
        kind=ScenarioKind.INTERACTION,
        title=text,
        given=text,
        when=text,
        then=text,
        steps=[
            Step(kind=StepKind.GOTO, url="/" + text),
            Step(kind=StepKind.CLICK, locator=loc, element_id="e"),
            Step(kind=StepKind.FILL, locator=loc, element_id="e", value=text),
            Step(kind=StepKind.EXPECT_TEXT, text=text),
            Step(kind=StepKind.EXPECT_URL, url=text),
        ],
    )


def emitters() -> tuple[PythonEmitter, TypeScriptEmitter]:
    model = AppModel(target=Target(url="http://h/"))
    chooser = LocatorChooser(model, [s.value for s in LocatorStrategy])
    strat = get_strategy("balanced")
    return PythonEmitter(strat, chooser), TypeScriptEmitter(strat, chooser)


def _constants(tree: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


@settings(max_examples=150, deadline=None)
@given(HOSTILE)
def test_python_output_parses_and_text_is_only_in_literals(text: str) -> None:
    py, _ = emitters()
    source = py.module("area", "http://h/" + text, [(scenario_with(text), "test_x")])
    tree = ast.parse(source)
    # Every name in the code is one the emitter chose, never one from the page.
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert names <= {"page", "Page", "expect", "re", "pytest", "annotations", "unique", "response"}
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert attrs <= {
        "mark",
        "scenario",
        "goto",
        "get_by_role",
        "click",
        "fill",
        "get_by_text",
        "first",
        "to_be_visible",
        "to_have_url",
        "compile",
    }
    consts = _constants(tree)
    assert any(text in c for c in consts) or not text.strip()


@settings(max_examples=150, deadline=None)
@given(HOSTILE)
def test_python_literals_round_trip(text: str) -> None:
    assert ast.literal_eval(py_str(text)) == text
    doc = py_docstring(text)
    assert isinstance(ast.literal_eval(doc), str)


@settings(max_examples=150, deadline=None)
@given(HOSTILE)
def test_typescript_literals_are_json_strings(text: str) -> None:
    lit = ts_str(text)
    assert json.loads(lit) == text
    assert "\u2028" not in lit and "\u2029" not in lit and "</script" not in lit
    assert "*/" not in ts_comment(text)
    _, ts = emitters()
    source = ts.module("area", text, [(scenario_with(text), "x")])
    # Outside of string literals and comments, no page text survives.
    stripped = _strip_ts(source)
    assert "process.exit" not in stripped and "alert(" not in stripped


def _strip_ts(src: str) -> str:
    """Drop string literals and comments from TypeScript source (a small lexer)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            assert j != -1, "unterminated comment"
            i = j + 2
        elif c in "\"'`":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            assert j < n, "unterminated string"
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def test_locator_expressions_for_every_strategy_parse() -> None:
    for strat in LocatorStrategy:
        loc = Locator(strategy=strat, value="x\"y'z\\", name="n'\"", count=1)
        ast.parse(py_locator(loc), mode="eval")
        assert "page." in ts_locator(loc)
