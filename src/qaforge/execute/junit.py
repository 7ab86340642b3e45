"""JUnit XML read and written with junitparser: pytest's files, a CI's files (`qaforge
import-results`), and the junit.xml of every run. A file from outside is parsed with defusedxml
(no entity expansion, no external entities)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml.common import DefusedXmlException
from junitparser import Attr, Error, Failure, JUnitXml, JUnitXmlError, Skipped
from junitparser import TestCase as JunitTestCase
from junitparser import TestSuite as JunitSuite

Outcome = Literal["passed", "failed", "error", "skipped"]


class JunitError(ValueError):
    """A file that is not readable JUnit XML (the message names it and why)."""


class _Case(JunitTestCase):
    """A test case with the `file` attribute pytest and Playwright Test write."""

    file = Attr()


@dataclass(frozen=True)
class JunitCase:
    """One test case of a JUnit file: where it is, how it ended, and why."""

    classname: str
    name: str
    file: str
    outcome: Outcome
    message: str
    time: float


def read_junit(path: Path) -> list[JunitCase]:
    """Every test case in `path`, whatever tool wrote it."""
    try:
        xml = JUnitXml.fromfile(str(path), parse_func=safe_xml.parse)
    except (ParseError, DefusedXmlException, JUnitXmlError, OSError) as exc:
        raise JunitError(f"{path}: not readable JUnit XML ({exc})") from None
    cases: list[JunitCase] = []
    for suite in xml:
        for raw in suite:
            case = _Case.fromelem(raw)
            outcome: Outcome = "passed"
            message = ""
            for result in case.result:
                if isinstance(result, Failure | Error):
                    outcome = "failed" if isinstance(result, Failure) else "error"
                    message = f"{result.message or ''}\n{result.text or ''}".strip()
                    break
                if isinstance(result, Skipped):
                    outcome, message = "skipped", result.message or ""
            try:
                seconds = float(case.time or 0.0)
            except ValueError:
                seconds = 0.0
            cases.append(
                JunitCase(
                    classname=case.classname or "",
                    name=case.name or "",
                    file=case.file or "",
                    outcome=outcome,
                    message=message,
                    time=seconds,
                )
            )
    return cases


@dataclass(frozen=True)
class JunitVerdict:
    """One test for a junit.xml qaforge writes: its id, time and how qaforge judged it."""

    test_id: str
    time: float
    outcome: Outcome
    reason: str = ""  # a failure's `message` attribute: its failure class
    kind: str = ""  # a failure's `type` attribute: qaforge's outcome (failed, app_defect)
    detail: str = ""  # a failure's text, or why the test was skipped


def write_junit(name: str, verdicts: list[JunitVerdict]) -> str:
    """A junit.xml document: one suite named `name` with a case per verdict."""
    suite = JunitSuite(name)
    for v in verdicts:
        file, _, func = v.test_id.partition("::")
        case = JunitTestCase(func, classname=file.removesuffix(".py"), time=round(v.time, 3))
        if v.outcome in {"failed", "error"}:
            failure = Failure(v.reason or "failed", v.kind or v.outcome)
            failure.text = v.detail
            case.result = [failure]
        elif v.outcome == "skipped":
            case.result = [Skipped(v.detail)]
        suite.add_testcase(case)
    suite.update_statistics()
    doc = JUnitXml(name)
    doc.add_testsuite(suite)
    doc.update_statistics()
    text: str = doc.tostring().decode("utf-8")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + text
