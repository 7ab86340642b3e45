"""Implicit feedback: what the user did to the generated tests since (kept, edited, deleted)."""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from qaforge.generate.snapshot import read_manifest, sha256_text, snapshot_text
from qaforge.learn.config import LearningConfig
from qaforge.learn.store import ensure_tables
from qaforge.learn.tracking import refresh_run
from qaforge.store.database import Database
from qaforge.store.learning_tables import GeneratedFile, TestGeneration, UserFeedback


class SyncError(ValueError):
    """The directory is not a suite whose generation was recorded."""


@dataclass
class TestVerdict:
    """What happened to one generated test."""

    __test__ = False

    test_id: str
    file: str
    signal: str  # kept / edited / deleted
    similarity: float  # 1.0 unchanged .. 0.0 gone (difflib ratio)


@dataclass
class SyncReport:
    """The verdicts of one `qaforge sync`, and how many were new signals."""

    run_id: str
    generation_id: int
    verdicts: list[TestVerdict] = field(default_factory=list)
    recorded: int = 0

    def counts(self) -> dict[str, int]:
        """Tests per signal."""
        out = {"kept": 0, "edited": 0, "deleted": 0}
        for v in self.verdicts:
            out[v.signal] += 1
        return out


def similarity(a: str, b: str) -> float:
    """difflib's ratio of two texts (1.0 identical); edit distance is 1 - this."""
    if a == b:
        return 1.0
    return round(difflib.SequenceMatcher(None, a, b, autojunk=False).ratio(), 4)


def function_source(text: str, name: str) -> str | None:
    """The source of the top-level (or class-level) function `name`, or None."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return ast.get_source_segment(text, node)
    return None


def judge(original: str | None, current: str | None, function: str, python: bool) -> TestVerdict:
    """Compare one test as generated with the file as it is now."""
    if original is None:
        return TestVerdict("", "", "kept", 1.0)
    if current is None:
        return TestVerdict("", "", "deleted", 0.0)
    if python and function:
        before = function_source(original, function)
        after = function_source(current, function)
        if before is not None:
            if after is None:
                return TestVerdict("", "", "deleted", 0.0)
            ratio = similarity(before, after)
            return TestVerdict("", "", "kept" if ratio == 1.0 else "edited", ratio)
    ratio = similarity(original, current)
    return TestVerdict("", "", "kept" if ratio == 1.0 else "edited", ratio)


async def _generation_for(db: Database, suite_dir: Path) -> TestGeneration:
    manifest = read_manifest(suite_dir)
    async with db.session() as s:
        gen: TestGeneration | None = None
        if manifest is not None:
            gen = await s.get(TestGeneration, int(manifest["generation_id"]))
            if gen is not None and gen.run_id != manifest.get("run_id"):
                gen = None
        if gen is None:
            gen = await s.scalar(
                select(TestGeneration)
                .where(TestGeneration.suite_dir == str(suite_dir.resolve()))
                .order_by(TestGeneration.id.desc())
            )
    if gen is None:
        raise SyncError(
            f"{suite_dir}: no recorded generation (no .qaforge/generated snapshot and no run "
            "in the database wrote this directory)"
        )
    return gen


async def sync_suite(db: Database, suite_dir: Path, config: LearningConfig) -> SyncReport:
    """Compare the suite with what was generated; record new signals as implicit feedback."""
    await ensure_tables(db)
    if not suite_dir.is_dir():
        raise SyncError(f"{suite_dir} is not a directory")
    gen = await _generation_for(db, suite_dir)
    report = SyncReport(run_id=gen.run_id, generation_id=gen.id)
    async with db.session() as s:
        files = {
            f.path: f
            for f in (
                await s.scalars(select(GeneratedFile).where(GeneratedFile.generation_id == gen.id))
            ).all()
        }
        originals: dict[str, str | None] = {}
        for t in gen.details.get("tests", []):
            rel = t["file"]
            if rel not in originals:
                snap = snapshot_text(suite_dir, rel)
                originals[rel] = (
                    snap if snap is not None else (files[rel].content if rel in files else None)
                )
            path = suite_dir / rel
            current = path.read_text(encoding="utf-8") if path.is_file() else None
            v = judge(originals[rel], current, t.get("function", ""), rel.endswith(".py"))
            v.test_id, v.file = t["test_id"], rel
            report.verdicts.append(v)
        for rel, gf in files.items():
            path = suite_dir / rel
            current = path.read_text(encoding="utf-8") if path.is_file() else None
            if current is None:
                gf.status, gf.edit_ratio, gf.synced_sha256 = "deleted", 0.0, None
            else:
                digest = sha256_text(current)
                same = digest == gf.sha256
                gf.status = "kept" if same else "edited"
                gf.edit_ratio = 1.0 if same else similarity(gf.content, current)
                gf.synced_sha256 = digest
        # Record only what changed since the last sync of each test (a first sync that finds
        # a test untouched is a signal too: accepted as is).
        last: dict[str, tuple[str | None, float | None]] = {}
        for row in (
            await s.scalars(
                select(UserFeedback)
                .where(UserFeedback.run_id == gen.run_id, UserFeedback.source == "implicit")
                .order_by(UserFeedback.id)
            )
        ).all():
            last[row.test_id or ""] = (row.signal, row.edit_ratio)
        for v in report.verdicts:
            if last.get(v.test_id) == (v.signal, v.similarity):
                continue
            s.add(
                UserFeedback(
                    run_id=gen.run_id,
                    generation_id=gen.id,
                    source="implicit",
                    test_id=v.test_id,
                    signal=v.signal,
                    edit_ratio=v.similarity,
                )
            )
            report.recorded += 1
    if report.recorded:
        await refresh_run(db, gen.run_id, config)
    return report
