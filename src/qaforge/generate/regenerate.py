"""Generating into a folder that holds an earlier suite: nothing a person did there is lost.

What the earlier generation wrote is in the suite's snapshot (`generate/snapshot.py`). Against
it, per test function:

- a test the person **edited** is kept as they left it (the new generation's version of it is
  not written);
- a test the person **added**, and any file of their own, is kept;
- a test the person **deleted** is not brought back;
- a test the new crawl no longer found (**not seen**: the app may have lost the behaviour, or
  the crawl did not reach it this time) is kept and listed, never deleted;
- every other test is the new generation's.

A suite written before snapshots were kept: its test files are moved to
`.qaforge/replaced/` before the new ones are written, so nothing is lost either.
"""

from __future__ import annotations

import ast
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from qaforge.generate.snapshot import read_manifest, snapshot_text
from qaforge.models import GeneratedTest

REPLACED_DIR = Path(".qaforge") / "replaced"
# Files a generation owns (the rest of the folder is the person's).
_TEST_GLOBS = ("test_*.py", "*.spec.ts")


@dataclass
class Merged:
    """The files to write, and what was kept of the earlier suite."""

    files: dict[str, str]
    tests: list[GeneratedTest]
    # What qaforge generated of each file written (the next generation's snapshot).
    baseline: dict[str, str] = field(default_factory=dict)
    edited: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    not_seen: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    moved_to: str | None = None
    # Files of the person's own that a new file would have replaced (theirs are kept).
    clashes: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        """One line per kind of thing kept, for the suite's notes."""
        out: list[str] = []
        for what, ids in (
            ("kept as you edited them", self.edited),
            ("you added, kept", self.added),
            ("no longer found by the crawl, kept (delete those the app dropped)", self.not_seen),
            ("you deleted, not brought back", self.deleted),
        ):
            if ids:
                out.append(f"{len(ids)} test(s) {what}: " + ", ".join(sorted(ids)[:20]))
        if self.clashes:
            out.append(
                "your own files kept, their generated namesakes not written: "
                + ", ".join(self.clashes)
            )
        if self.moved_to:
            out.append(f"the earlier suite had no snapshot: its tests moved to {self.moved_to}")
        return out


def _functions(source: str) -> dict[str, str] | None:
    """Top-level test functions (decorators included) by name; None when it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    lines = source.splitlines(keepends=True)
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            assert node.end_lineno is not None
            out[node.name] = "".join(lines[start - 1 : node.end_lineno])
    return out


def _statements(source: str) -> list[str]:
    """Top-level statements other than test functions (imports, constants, helpers)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the module docstring
        assert node.end_lineno is not None
        out.append("".join(lines[node.lineno - 1 : node.end_lineno]))
    return out


def _merge_python(
    generated: str, now: str, new: str, not_seen_before: set[str]
) -> tuple[str, dict[str, str], str]:
    """The file to write, what each kept function is ("edited", "added", "not-seen",
    "deleted"), and the file's new baseline (what qaforge generated of every function in it).
    `generated` is what the earlier generation wrote, `now` the file as it is, `new` this
    generation's; `not_seen_before` the functions kept as not seen last time."""
    was, has, fresh = _functions(generated), _functions(now), _functions(new)
    if was is None or has is None or fresh is None:
        # Something does not parse: the person's file is left as it is.
        return now, {}, generated
    kinds: dict[str, str] = {}
    for name, text in has.items():
        if name in was and text != was[name]:
            kinds[name] = "edited"
        elif name not in was and name not in not_seen_before:
            kinds[name] = "added"
        elif name not in fresh:
            kinds[name] = "not-seen"
    for name in was:
        if name not in has:
            kinds[name] = "deleted"
    body = new
    for name, text in fresh.items():
        kind = kinds.get(name)
        if kind == "deleted":
            body = body.replace(text, "", 1)
        elif kind in ("edited", "added"):
            body = body.replace(text, has[name], 1)
    extra = [has[n] for n in has if n not in fresh]
    if extra:
        body = body.rstrip("\n") + "\n\n\n" + "\n\n".join(t.rstrip("\n") + "\n" for t in extra)
    # What the kept functions may use from the file as it was (an import, a constant).
    missing = [st for st in _statements(now) if st.strip() not in new]
    if missing:
        tree = ast.parse(body)
        first = next(
            (
                min([n.lineno, *(d.lineno for d in n.decorator_list)])
                for n in tree.body
                if isinstance(n, ast.FunctionDef)
            ),
            None,
        )
        lines = body.splitlines(keepends=True)
        at = (first - 1) if first is not None else len(lines)
        block = "# Kept from the suite as it was (your tests use it).\n" + "".join(
            st if st.endswith("\n") else st + "\n" for st in missing
        )
        body = "".join([*lines[:at], block, "\n\n", *lines[at:]])
    # The baseline keeps qaforge's own version of each function kept from earlier
    # generations, so that an edit is still told from the generated text next time.
    earlier = [
        was[n] if n in was else has[n]
        for n in has
        if n not in fresh and (n in was or n in not_seen_before)
    ]
    baseline = new
    if earlier:
        baseline = new.rstrip("\n") + "\n\n\n" + "\n\n".join(t.rstrip("\n") + "\n" for t in earlier)
    return _tidy(body), kinds, baseline


def _tidy(source: str) -> str:
    """At most two blank lines in a row (removed functions leave gaps)."""
    out: list[str] = []
    blank = 0
    for line in source.splitlines(keepends=True):
        blank = blank + 1 if not line.strip() else 0
        if blank <= 2:
            out.append(line)
    return "".join(out).rstrip("\n") + "\n"


def _previous_tests(out_dir: Path) -> dict[str, GeneratedTest]:
    path = out_dir / "suite.json"
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {t["test_id"]: GeneratedTest.model_validate(t) for t in doc.get("tests", [])}
    except (ValueError, KeyError):
        return {}


def merge_with_earlier(
    out_dir: Path, new_files: dict[str, str], new_tests: list[GeneratedTest]
) -> Merged:
    """What to write into `out_dir`, keeping what a person did to the suite already there.

    `new_files` and `new_tests` are this generation's (formatted) test files and tests."""
    merged = Merged(files=dict(new_files), tests=list(new_tests), baseline=dict(new_files))
    existing = sorted({p.name for g in _TEST_GLOBS for p in out_dir.glob(g)})
    if not existing:
        return merged
    manifest = read_manifest(out_dir)
    if manifest is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = out_dir / REPLACED_DIR / stamp
        target.mkdir(parents=True, exist_ok=True)
        for name in existing:
            shutil.move(str(out_dir / name), str(target / name))
        merged.moved_to = str(target.relative_to(out_dir))
        return merged
    owned = set(manifest.get("files", {}))
    previous = _previous_tests(out_dir)
    by_id = {t.test_id: t for t in new_tests}
    for name in existing:
        now = (out_dir / name).read_text(encoding="utf-8")
        generated = snapshot_text(out_dir, name) if name in owned else None
        if generated is None:
            # Not written by qaforge: the person's own file stays as it is (a new file of
            # the same name is not written).
            if name in new_files:
                merged.files.pop(name)
                merged.baseline.pop(name)
                merged.tests = [t for t in merged.tests if t.file != name]
                merged.clashes.append(name)
            continue
        if now == generated:
            if name not in new_files:
                # Nothing edited and nothing of it found again: kept, listed as not seen.
                merged.files[name] = merged.baseline[name] = now
                ids = [t for t in previous if t.split("::")[0] == name]
                merged.not_seen += ids
                merged.tests += [previous[t].model_copy(update={"origin": "not-seen"}) for t in ids]
                continue
            if not name.endswith(".py"):
                continue  # unedited: the new generation's
        if not name.endswith(".py"):
            # An edited TypeScript file is kept whole (no per-test merge for it).
            merged.files[name] = now
            merged.baseline[name] = new_files.get(name, generated)
            ids = [t for t in previous if t.split("::")[0] == name]
            merged.edited += ids
            merged.tests = [t for t in merged.tests if t.file != name] + [
                previous[t].model_copy(update={"origin": "edited"}) for t in ids
            ]
            continue
        not_seen_before = {
            t.function for t in previous.values() if t.file == name and t.origin == "not-seen"
        }
        text, kinds, baseline = _merge_python(
            generated, now, new_files.get(name, ""), not_seen_before
        )
        merged.files[name], merged.baseline[name] = text, baseline
        for function, kind in kinds.items():
            test_id = f"{name}::{function}"
            if kind == "deleted":
                merged.deleted.append(test_id)
                merged.tests = [
                    t for t in merged.tests if not (t.file == name and t.function == function)
                ]
                continue
            getattr(merged, kind.replace("-", "_")).append(test_id)
            merged.tests = [
                t for t in merged.tests if not (t.file == name and t.function == function)
            ]
            base = by_id.get(test_id) or previous.get(test_id)
            if base is None:
                base = GeneratedTest(
                    test_id=test_id, scenario_id="", file=name, function=function, kind=""
                )
            merged.tests.append(base.model_copy(update={"origin": kind}))
    return merged
