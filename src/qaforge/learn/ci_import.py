"""CI feedback: JUnit XML from the user's CI, matched back to the generated tests of a run."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from qaforge.execute.junit import JunitError, read_junit
from qaforge.learn.config import LearningConfig
from qaforge.learn.feedback import FeedbackError, run_generations
from qaforge.learn.tracking import refresh_run
from qaforge.store.database import Database
from qaforge.store.learning_tables import UserFeedback


class CiImportError(ValueError):
    """The file is not JUnit XML, or nothing in it belongs to the run."""


@dataclass
class CiCase:
    """One test case of a JUnit report."""

    classname: str
    name: str
    file: str
    outcome: str  # passed / failed / skipped


@dataclass
class CiImport:
    """What an import matched and recorded."""

    run_id: str
    matched: dict[str, str] = field(default_factory=dict)  # test_id -> outcome
    unmatched: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Matched tests per outcome."""
        out = {"passed": 0, "failed": 0, "skipped": 0}
        for o in self.matched.values():
            out[o] += 1
        return out


def parse_junit(path: Path) -> list[CiCase]:
    """Test cases of a JUnit XML file (pytest, Playwright Test, most CI tools)."""
    try:
        cases = read_junit(path)
    except JunitError as exc:
        raise CiImportError(str(exc)) from None
    return [
        CiCase(c.classname, c.name, c.file, "failed" if c.outcome == "error" else c.outcome)
        for c in cases
    ]


_PARAMS = re.compile(r"\[.*\]$")


def _match(case: CiCase, tests: list[dict[str, str]]) -> str | None:
    name = _PARAMS.sub("", case.name)
    module = case.classname.split(".")[-1] if case.classname else ""
    for t in tests:
        file_stem = Path(t["file"]).stem
        if t.get("function") != name:
            continue
        where = {Path(case.file).stem} if case.file else set()
        where |= {module, *case.classname.split(".")}
        if file_stem in where or not (case.file or case.classname):
            return t["test_id"]
    return None


async def import_results(
    db: Database, junit: Path, run_id: str, config: LearningConfig
) -> CiImport:
    """Record the CI outcome of each generated test of `run_id` found in `junit`."""
    cases = parse_junit(junit)
    try:
        gens = await run_generations(db, run_id)
    except FeedbackError as exc:
        raise CiImportError(str(exc)) from None
    tests = [t for g in gens for t in g.details.get("tests", [])]
    result = CiImport(run_id=run_id)
    for case in cases:
        test_id = _match(case, tests)
        if test_id is None:
            result.unmatched.append(f"{case.classname}::{case.name}")
            continue
        # A test seen twice (reruns in CI) counts by its last outcome.
        result.matched[test_id] = case.outcome
    if not result.matched:
        raise CiImportError(
            f"none of the {len(cases)} test cases in {junit} is a generated test of run {run_id!r}"
        )
    async with db.session() as s:
        for test_id, outcome in result.matched.items():
            s.add(
                UserFeedback(
                    run_id=run_id,
                    generation_id=gens[-1].id,
                    source="ci",
                    test_id=test_id,
                    signal=outcome,
                )
            )
    await refresh_run(db, run_id, config)
    return result
