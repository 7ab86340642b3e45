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

A suite written before snapshots were kept: its test files (and any file of a name the new
generation writes) are moved to `.qaforge/replaced/` first, so nothing is lost either; so are
the files of an earlier suite of the other language.
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
    # Support files (conftest.py, pytest.ini, ...) the person edited: kept, the new beside.
    support_kept: list[str] = field(default_factory=list)
    # Test files the person left not parsing: kept whole.
    unparsed: list[str] = field(default_factory=list)

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
        if self.support_kept:
            out.append(
                "you edited "
                + ", ".join(self.support_kept)
                + ": kept; the newly generated version is beside it as NAME.new"
            )
        if self.unparsed:
            out.append("does not parse, kept as it is, not merged: " + ", ".join(self.unparsed))
        if self.moved_to:
            out.append(f"earlier test files moved out of the way to {self.moved_to}")
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
    generated_statements = set(_statements(generated))
    missing = [
        st for st in _statements(now) if st not in generated_statements and st.strip() not in new
    ]
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


def _previous_files(out_dir: Path) -> set[str]:
    path = out_dir / "suite.json"
    try:
        return {str(f) for f in json.loads(path.read_text(encoding="utf-8")).get("files", [])}
    except (OSError, ValueError, AttributeError):
        return set()


def _previous_tests(out_dir: Path) -> dict[str, GeneratedTest]:
    path = out_dir / "suite.json"
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {t["test_id"]: GeneratedTest.model_validate(t) for t in doc.get("tests", [])}
    except (ValueError, KeyError):
        return {}


def _move_aside(out_dir: Path, names: list[str]) -> str:
    target = out_dir / REPLACED_DIR / time.strftime("%Y%m%d-%H%M%S")
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.move(str(out_dir / name), str(target / name))
    return str(target.relative_to(out_dir))


def merge_with_earlier(
    out_dir: Path, new_files: dict[str, str], new_tests: list[GeneratedTest], language: str
) -> Merged:
    """What to write into `out_dir`, keeping what a person did to the suite already there.

    `new_files` and `new_tests` are this generation's (formatted) files and tests; `language`
    its language ("python" or "ts")."""
    merged = Merged(files=dict(new_files), tests=list(new_tests), baseline=dict(new_files))
    glob = "*.spec.ts" if language == "ts" else "test_*.py"
    other = "test_*.py" if language == "ts" else "*.spec.ts"
    existing = sorted(p.name for p in out_dir.glob(glob))
    others = sorted(p.name for p in out_dir.glob(other))
    manifest = read_manifest(out_dir)
    if manifest is None:
        # No snapshot (a suite from before they were kept): what cannot be told apart is moved
        # out of the way, never deleted — the earlier suite's files and any of a new file's
        # name; files of the person's own stay.
        listed = _previous_files(out_dir)
        aside = [n for n in [*existing, *others] if n in listed or n in new_files]
        if aside:
            merged.moved_to = _move_aside(out_dir, aside)
        return merged
    owned = set(manifest.get("files", {}))
    # An earlier suite of the other language is no part of this one: kept, out of the way.
    if [n for n in others if n in owned]:
        merged.moved_to = _move_aside(out_dir, [n for n in others if n in owned])
    previous = _previous_tests(out_dir)
    _keep_edited_support(out_dir, owned, new_files, merged)
    # A generated test file the person deleted whole stays deleted.
    for name in sorted(n for n in owned if Path(n).match(glob) and n not in existing):
        if name in new_files:
            merged.files.pop(name)
            merged.deleted += [t.test_id for t in merged.tests if t.file == name]
            merged.tests = [t for t in merged.tests if t.file != name]
    for name in existing:
        _merge_file(out_dir, name, name in owned, new_files, new_tests, previous, merged)
    return merged


# What a suite holds besides its tests; a person may edit these too.
_SUPPORT = (
    "conftest.py",
    "pytest.ini",
    "playwright.config.ts",
    "global-setup.ts",
    "package.json",
    "tsconfig.json",
)


def _keep_edited_support(
    out_dir: Path, owned: set[str], new_files: dict[str, str], merged: Merged
) -> None:
    """A support file the person edited is kept; the new one is written beside it (.new)."""
    for name in _SUPPORT:
        path = out_dir / name
        if name not in new_files or not path.is_file():
            continue
        now = path.read_text(encoding="utf-8")
        generated = snapshot_text(out_dir, name) if name in owned else None
        if now == new_files[name] or (generated is not None and now == generated):
            continue
        merged.files[name] = now
        merged.files[name + ".new"] = new_files[name]
        merged.support_kept.append(name)


def _merge_file(
    out_dir: Path,
    name: str,
    is_owned: bool,
    new_files: dict[str, str],
    new_tests: list[GeneratedTest],
    previous: dict[str, GeneratedTest],
    merged: Merged,
) -> None:
    """Merge one test file already in the folder into what is written."""
    now = (out_dir / name).read_text(encoding="utf-8")
    generated = snapshot_text(out_dir, name) if is_owned else None
    earlier = [t for t in previous.values() if t.file == name]
    if generated is None:
        # Not written by qaforge: the person's own file stays as it is (a new file of the
        # same name is not written).
        if name in new_files:
            merged.files.pop(name)
            merged.baseline.pop(name)
            merged.tests = [t for t in merged.tests if t.file != name]
            merged.clashes.append(name)
        return
    if now == generated:
        if name not in new_files:
            # Nothing edited and nothing of it found again: kept, listed as not seen.
            merged.files[name] = merged.baseline[name] = now
            merged.not_seen += [t.test_id for t in earlier]
            merged.tests += [t.model_copy(update={"origin": "not-seen"}) for t in earlier]
            return
        if not name.endswith(".py"):
            return  # unedited: the new generation's
    if not name.endswith(".py") or _functions(now) is None:
        # An edited TypeScript file, or a Python file that does not parse: kept whole as the
        # person left it (no per-test merge), with the tests it had.
        merged.files[name] = now
        merged.baseline[name] = new_files.get(name, generated)
        merged.edited += [t.test_id for t in earlier]
        merged.tests = [t for t in merged.tests if t.file != name] + [
            t.model_copy(update={"origin": "edited"}) for t in earlier
        ]
        if name.endswith(".py"):
            merged.unparsed.append(name)
        return
    not_seen_before = {t.function for t in earlier if t.origin == "not-seen"}
    text, kinds, baseline = _merge_python(generated, now, new_files.get(name, ""), not_seen_before)
    merged.files[name], merged.baseline[name] = text, baseline
    for function, kind in kinds.items():
        # A parametrised function (the page checks) stands for several tests: all go alike.
        same = [t for t in new_tests if t.file == name and t.function == function] or [
            t for t in earlier if t.function == function
        ]
        merged.tests = [t for t in merged.tests if not (t.file == name and t.function == function)]
        if kind == "deleted":
            merged.deleted += [t.test_id for t in same] or [f"{name}::{function}"]
            continue
        if not same:
            same = [
                GeneratedTest(
                    test_id=f"{name}::{function}",
                    scenario_id="",
                    file=name,
                    function=function,
                    kind="",
                )
            ]
        getattr(merged, kind.replace("-", "_")).extend(t.test_id for t in same)
        merged.tests += [t.model_copy(update={"origin": kind}) for t in same]
