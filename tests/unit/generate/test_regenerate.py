"""Merging a new generation into a file a person changed, function by function."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from qaforge.generate.regenerate import Merged, _merge_python, merge_with_earlier
from qaforge.generate.snapshot import SNAPSHOT_DIR, write_snapshot
from qaforge.models import GeneratedTest

GENERATED = '''"""Area."""

from playwright.sync_api import Page, expect


def test_a(page: Page) -> None:
    page.goto("/a")


def test_b(page: Page) -> None:
    page.goto("/b")


def test_c(page: Page) -> None:
    page.goto("/c")
'''


def test_edits_additions_and_deletions_survive_and_new_tests_come_in() -> None:
    now = (
        GENERATED.replace('page.goto("/a")', 'page.goto("/a?mine=1")')
        .replace('def test_c(page: Page) -> None:\n    page.goto("/c")\n', "")
        .replace("from playwright", "import json\nfrom playwright")
        + "\n\ndef test_mine(page: Page) -> None:\n    json.dumps({})\n"
    )
    new = GENERATED.replace('page.goto("/b")', 'page.goto("/b2")') + (
        '\n\ndef test_d(page: Page) -> None:\n    page.goto("/d")\n'
    )
    text, kinds, _ = _merge_python(GENERATED, now, new, set())
    assert kinds == {"test_a": "edited", "test_mine": "added", "test_c": "deleted"}
    tree = ast.parse(text)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert names == ["test_a", "test_b", "test_d", "test_mine"]
    assert '"/a?mine=1"' in text and '"/b2"' in text and '"/c"' not in text
    # The person's test uses an import the new generation does not have: it is kept.
    assert "import json" in text
    assert "\n\n\n\n" not in text


def test_an_unedited_test_the_generation_no_longer_has_is_kept_as_not_seen() -> None:
    new = GENERATED.replace('def test_b(page: Page) -> None:\n    page.goto("/b")\n', "")
    text, kinds, baseline = _merge_python(GENERATED, GENERATED, new, set())
    assert kinds == {"test_b": "not-seen"}
    assert 'page.goto("/b")' in text
    # The next snapshot keeps qaforge's own version of the kept test: an edit to it later is
    # still told apart from what was generated.
    assert 'page.goto("/b")' in baseline
    edited = text.replace('page.goto("/b")', 'page.goto("/b?x")')
    _, kinds, _ = _merge_python(baseline, edited, new, set())
    assert kinds == {"test_b": "edited"}
    # Next time it is still "not seen", not taken for the person's own.
    again, kinds, _ = _merge_python(new, text, new, {"test_b"})
    assert kinds == {"test_b": "not-seen"} and 'page.goto("/b")' in again


def test_a_file_that_does_not_parse_is_left_as_the_person_left_it() -> None:
    broken = GENERATED + "\ndef test_half(:\n"
    text, kinds, _ = _merge_python(GENERATED, broken, GENERATED, set())
    assert text == broken and kinds == {}


# ---------------------------------------------------------------- a folder, generation by generation


def _test(file: str, function: str) -> GeneratedTest:
    return GeneratedTest(
        test_id=f"{file}::{function}", scenario_id="s", file=file, function=function, kind="k"
    )


def _generate(
    out: Path, files: dict[str, str], tests: list[GeneratedTest], language: str = "python"
) -> Merged:
    """What write_suite does around the merge: merge, write, list, snapshot."""
    merged = merge_with_earlier(out, files, tests, language)
    for name, text in merged.files.items():
        (out / name).write_text(text)
    suite = {"tests": [t.model_dump() for t in merged.tests]}
    (out / "suite.json").write_text(json.dumps(suite))
    names = [n for n in files if n not in merged.clashes]
    write_snapshot(out, "", 0, sorted({*names, *merged.baseline}), texts=merged.baseline)
    return merged


PAGES_1 = 'PAGES = ["/a"]\n\n\ndef test_page(page: Page) -> None:\n    page.goto(PAGES[0])\n'
PAGES_2 = PAGES_1.replace('["/a"]', '["/a", "/b"]')


def test_a_changed_constant_of_an_unedited_file_is_the_new_generations(tmp_path: Path) -> None:
    _generate(tmp_path, {"test_p.py": PAGES_1}, [_test("test_p.py", "test_page")])
    merged = _generate(tmp_path, {"test_p.py": PAGES_2}, [_test("test_p.py", "test_page")])
    assert (tmp_path / "test_p.py").read_text() == PAGES_2 and not merged.notes()


def test_a_file_deleted_whole_stays_deleted(tmp_path: Path) -> None:
    files = {"test_a.py": GENERATED, "test_b.py": PAGES_1}
    tests = [_test("test_a.py", "test_a"), _test("test_b.py", "test_page")]
    _generate(tmp_path, files, tests)
    (tmp_path / "test_b.py").unlink()
    for _ in range(2):
        merged = _generate(tmp_path, files, tests)
        assert not (tmp_path / "test_b.py").exists()
        assert [t.file for t in merged.tests] == ["test_a.py"]
    assert merged.deleted == ["test_b.py::test_page"]


def test_a_persons_file_of_a_generated_name_is_never_taken_for_generated(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text("def test_mine() -> None:\n    pass\n")
    _generate(tmp_path, {"test_x.py": PAGES_1}, [_test("test_x.py", "test_page")])
    for _ in range(2):
        merged = _generate(tmp_path, {"test_a.py": GENERATED}, [_test("test_a.py", "test_a")])
        assert (tmp_path / "test_a.py").read_text() == "def test_mine() -> None:\n    pass\n"
        assert merged.clashes == ["test_a.py"]
        # The earlier generation's file, not generated this time, is kept as not seen.
        assert merged.not_seen == ["test_x.py::test_page"]
        assert all(t.file != "test_a.py" for t in merged.tests)
    assert "test_a.py.snapshot" not in {p.name for p in (tmp_path / SNAPSHOT_DIR).iterdir()}


def test_an_edited_conftest_is_kept_and_the_new_one_written_beside(tmp_path: Path) -> None:
    files = {"conftest.py": "# generated\n", "test_a.py": GENERATED}
    _generate(tmp_path, files, [_test("test_a.py", "test_a")])
    (tmp_path / "conftest.py").write_text("# generated\nimport pytest\n# my fixture\n")
    merged = _generate(tmp_path, {**files, "conftest.py": "# generated v2\n"}, [])
    assert "# my fixture" in (tmp_path / "conftest.py").read_text()
    assert (tmp_path / "conftest.py.new").read_text() == "# generated v2\n"
    assert merged.support_kept == ["conftest.py"]


def test_a_suite_of_the_other_language_is_moved_aside(tmp_path: Path) -> None:
    _generate(tmp_path, {"test_a.py": GENERATED}, [_test("test_a.py", "test_a")])
    merged = _generate(
        tmp_path, {"a.spec.ts": "test('a', () => {});\n"}, [_test("a.spec.ts", "a")], "ts"
    )
    assert not (tmp_path / "test_a.py").exists() and merged.moved_to
    assert (tmp_path / merged.moved_to / "test_a.py").read_text() == GENERATED
    assert [t.file for t in merged.tests] == ["a.spec.ts"]


def test_a_file_left_not_parsing_is_kept_with_its_tests_and_said(tmp_path: Path) -> None:
    _generate(tmp_path, {"test_a.py": GENERATED}, [_test("test_a.py", "test_a")])
    broken = GENERATED + "\ndef test_half(:\n"
    (tmp_path / "test_a.py").write_text(broken)
    merged = _generate(tmp_path, {"test_a.py": GENERATED}, [_test("test_a.py", "test_new")])
    assert (tmp_path / "test_a.py").read_text() == broken
    assert [(t.function, t.origin) for t in merged.tests] == [("test_a", "edited")]
    assert any("does not parse" in n for n in merged.notes())
