"""Merging a new generation into a file a person changed, function by function."""

from __future__ import annotations

import ast

from qaforge.generate.regenerate import _merge_python

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
