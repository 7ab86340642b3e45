"""Judging one generated test against the file as the user left it."""

from __future__ import annotations

from qaforge.learn.sync import function_source, judge, similarity
from tests.unit.learn.helpers import TEST_FILE


def test_untouched_test_is_kept() -> None:
    v = judge(TEST_FILE, TEST_FILE + "\n# a note\n", "test_home_loads", python=True)
    assert (v.signal, v.similarity) == ("kept", 1.0)


def test_edited_test_has_a_similarity_below_one() -> None:
    edited = TEST_FILE.replace('name="Welcome"', 'name="Welcome to Demo Shop", exact=True')
    v = judge(TEST_FILE, edited, "test_home_loads", python=True)
    assert v.signal == "edited" and 0.5 < v.similarity < 1.0
    assert judge(TEST_FILE, edited, "test_cart_loads", python=True).signal == "kept"


def test_removed_function_or_file_is_deleted() -> None:
    src = function_source(TEST_FILE, "test_cart_loads")
    assert src is not None
    without = TEST_FILE.replace(src, "")
    assert judge(TEST_FILE, without, "test_cart_loads", python=True).signal == "deleted"
    assert judge(TEST_FILE, None, "test_home_loads", python=True).signal == "deleted"


def test_non_python_files_compare_whole_files() -> None:
    ts = "test('a', async () => {});\n"
    assert judge(ts, ts, "a", python=False).signal == "kept"
    assert judge(ts, ts.replace("a", "b"), "a", python=False).signal == "edited"
    assert similarity("abc", "abc") == 1.0
