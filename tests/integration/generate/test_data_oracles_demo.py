"""Data oracles on the demo shop: the healthy shop passes them, the seeded bug fails them."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.demoapp.launcher import DemoApp
from qaforge.execute.engine import combine, load_suite
from qaforge.execute.runner import run_pytest
from qaforge.models import TestOutcome

pytestmark = pytest.mark.browser

ROUND_TRIP = 'expect(page.get_by_text("qa-" + unique).first).to_be_visible()'


def _tests_containing(suite: Path, code: str) -> list[str]:
    """Ids of the generated tests whose own function body contains `code`."""
    found = []
    for t in load_suite(suite / "suite.json").tests:
        body = (suite / t.file).read_text().split(f"def {t.function}(", 1)[1].split("\ndef ", 1)[0]
        if code in body:
            found.append(t.test_id)
    return found


def _outcomes(suite_dir: Path, test_ids: list[str], app: DemoApp, out: Path) -> dict[str, str]:
    suite = load_suite(suite_dir / "suite.json")
    suite.tests = [t for t in suite.tests if t.test_id in test_ids]

    async def go() -> dict[str, str]:
        settings = Settings(home=out / "home")
        run = await run_pytest(suite_dir, app.url, out, settings, 0, test_ids, 1)
        results, _ = combine(suite, [run], out)
        return {r.test_id: r.outcome.value for r in results}

    return asyncio.run(go())


@pytest.fixture()
def suite(demo_suite_dir: Path, tmp_path: Path) -> Path:
    """A copy of the demo run's suite, without its quarantine."""
    copy = tmp_path / "tests"
    shutil.copytree(demo_suite_dir, copy)
    (copy / "quarantine.json").unlink(missing_ok=True)
    return copy


def test_round_trip_passes_on_the_healthy_shop_and_catches_an_altered_save(
    suite: Path,
    demo_app: DemoApp,
    demo_app_with_bug: Callable[[str], DemoApp],
    demo_credentials: None,
    tmp_path: Path,
) -> None:
    files = sorted(p.name for p in suite.glob("test_*.py") if ROUND_TRIP in p.read_text())
    # The admin's "add product" form shows the new product's name on the page it leads to.
    assert "test_admin.py" in files, sorted(p.name for p in suite.glob("test_*.py"))
    round_trips = [
        t.test_id
        for t in load_suite(suite / "suite.json").tests
        if t.file in files
        and ROUND_TRIP in (suite / t.file).read_text().split(t.function, 1)[1].split("\ndef ", 1)[0]
    ]
    assert round_trips

    healthy = _outcomes(suite, round_trips, demo_app, tmp_path / "healthy")
    assert all(healthy[t] == TestOutcome.PASSED.value for t in round_trips), healthy
    # Run twice against the same server: the first run's product does not make the second pass
    # or fail by accident (each run types its own value).
    again = _outcomes(suite, round_trips, demo_app, tmp_path / "again")
    assert all(again[t] == TestOutcome.PASSED.value for t in round_trips), again

    broken = _outcomes(
        suite, round_trips, demo_app_with_bug("saved-name-truncated"), tmp_path / "bug"
    )
    assert all(broken[t] != TestOutcome.PASSED.value for t in round_trips), broken


def test_search_oracle_passes_on_the_healthy_shop_and_catches_an_ignored_query(
    suite: Path,
    demo_app: DemoApp,
    demo_app_with_bug: Callable[[str], DemoApp],
    demo_credentials: None,
    tmp_path: Path,
) -> None:
    tests = load_suite(suite / "suite.json").tests
    finds = [t.test_id for t in tests if "finds_a_listed_item" in t.function]
    nothing = [t.test_id for t in tests if "term_nothing_has" in t.function]
    # The catalogue lists its items: searching one's name finds it, a made-up term lists none.
    assert finds and nothing, sorted(t.function for t in tests)
    code = (suite / "test_catalogue.py").read_text()
    assert ".to_have_count(0)" in code and 'fill("qa-" + unique)' in code

    healthy = _outcomes(suite, finds + nothing, demo_app, tmp_path / "healthy")
    assert all(v == TestOutcome.PASSED.value for v in healthy.values()), healthy
    again = _outcomes(suite, finds + nothing, demo_app, tmp_path / "again")
    assert all(v == TestOutcome.PASSED.value for v in again.values()), again

    # The query is ignored: every item is listed whatever was searched for.
    broken = _outcomes(suite, nothing, demo_app_with_bug("search-ignored"), tmp_path / "bug")
    assert all(v != TestOutcome.PASSED.value for v in broken.values()), broken


COUNT_CHECK = "or more: data added since only raises the count."


def test_counts_oracle_passes_on_the_healthy_shop_and_catches_a_count_off_by_one(
    suite: Path,
    demo_app: DemoApp,
    demo_app_with_bug: Callable[[str], DemoApp],
    demo_credentials: None,
    tmp_path: Path,
) -> None:
    counted = _tests_containing(suite, COUNT_CHECK)
    # The admin's product list states how many products there are ("12 products").
    assert any("products" in t for t in counted), counted
    healthy = _outcomes(suite, counted, demo_app, tmp_path / "healthy")
    assert all(v == TestOutcome.PASSED.value for v in healthy.values()), healthy
    # Tests that add products raise the count; it stays at least what the crawl read.
    again = _outcomes(suite, counted, demo_app, tmp_path / "again")
    assert all(v == TestOutcome.PASSED.value for v in again.values()), again

    broken = _outcomes(suite, counted, demo_app_with_bug("product-count-off"), tmp_path / "bug")
    products = [t for t in counted if "products" in t]
    assert all(broken[t] != TestOutcome.PASSED.value for t in products), broken


def test_relations_oracle_passes_on_the_healthy_shop_and_catches_a_wrong_total(
    suite: Path,
    demo_app: DemoApp,
    demo_app_with_bug: Callable[[str], DemoApp],
    demo_credentials: None,
    tmp_path: Path,
) -> None:
    tests = load_suite(suite / "suite.json").tests

    # A test that puts an item in the cart and lands on it adds up the cart's lines.
    summed = _tests_containing(suite, "sum(amounts(page,")
    assert summed, sorted(t.function for t in tests)
    healthy = _outcomes(suite, summed, demo_app, tmp_path / "healthy")
    assert all(v == TestOutcome.PASSED.value for v in healthy.values()), healthy

    # The total leaves out the last line.
    broken = _outcomes(suite, summed, demo_app_with_bug("wrong-total"), tmp_path / "bug")
    assert all(v != TestOutcome.PASSED.value for v in broken.values()), broken


def test_filters_oracle_passes_on_the_healthy_shop_and_catches_an_ignored_filter(
    suite: Path,
    demo_app: DemoApp,
    demo_app_with_bug: Callable[[str], DemoApp],
    demo_credentials: None,
    tmp_path: Path,
) -> None:
    tests = load_suite(suite / "suite.json").tests

    # The admin's "In stock" and "Backorder" links list only the products they name.
    filtered = _tests_containing(suite, "has_not_text=")
    assert any("in_stock" in t for t in filtered), sorted(t.function for t in tests)
    healthy = _outcomes(suite, filtered, demo_app, tmp_path / "healthy")
    assert all(v == TestOutcome.PASSED.value for v in healthy.values()), healthy

    # The filter is ignored: every product shows, whatever its availability.
    broken = _outcomes(
        suite, filtered, demo_app_with_bug("product-filter-ignored"), tmp_path / "bug"
    )
    assert all(v != TestOutcome.PASSED.value for v in broken.values()), broken


RELATION_CHECK = "# The page states as many as it lists"


def test_a_stated_count_equals_the_rows_listed_even_after_tests_added_products(
    suite: Path,
    demo_app: DemoApp,
    demo_app_with_bug: Callable[[str], DemoApp],
    demo_credentials: None,
    tmp_path: Path,
) -> None:
    """The counts oracle's lower bound lets a count one short pass once a test has added a
    product; the relation between the count and the rows does not."""
    related = _tests_containing(suite, RELATION_CHECK)
    products = [t for t in related if "products" in t]
    assert products, related
    adders = [
        t.test_id
        for t in load_suite(suite / "suite.json").tests
        if t.changes_app and "admin" in t.test_id and t.test_id not in related
    ]
    assert adders
    for app, out in ((demo_app, tmp_path / "healthy"),
                     (demo_app_with_bug("product-count-off"), tmp_path / "bug")):
        _outcomes(suite, adders, app, out / "adders")
        seen = _outcomes(suite, products, app, out / "related")
        if out.name == "healthy":
            assert all(v == TestOutcome.PASSED.value for v in seen.values()), seen
        else:
            assert all(v != TestOutcome.PASSED.value for v in seen.values()), seen
