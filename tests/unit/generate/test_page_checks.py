"""Page checks from the HTTP walk: which pages, what each checks, one parametrised test."""

from __future__ import annotations

import ast
from pathlib import Path

from qaforge import pytest_fixtures
from qaforge.execute import runner
from qaforge.generate.conftest_py import conftest_source
from qaforge.generate.scenarios import MAX_PAGE_CHECKS, derive_scenarios
from qaforge.generate.strategy import get_strategy
from qaforge.generate.suite import write_suite
from qaforge.models import AppModel, Auth, HttpPage, ScenarioKind, Target

BASE = "http://app.test"


def page(
    path: str, template: str, status: int | None = 200, title: str = "T", **kw: object
) -> HttpPage:
    return HttpPage(
        url=BASE + path,
        template=template,
        status=status,
        final_url=BASE + str(kw.pop("final", path)),
        content_type="text/html",
        title=title,
        **kw,  # type: ignore[arg-type]
    )


def model(pages: list[HttpPage], login: bool = False) -> AppModel:
    auth = Auth(login_url="/login", username_ref="env:U", password_ref="env:P") if login else Auth()
    return AppModel(target=Target(url=BASE + "/", auth=auth), pages=pages)


def checks(m: AppModel) -> dict[str, list[tuple[str, str | None, str | None]]]:
    out: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for sc in derive_scenarios(m):
        if sc.kind == ScenarioKind.PAGE_ANSWERS:
            # Every scenario opens its page first (here, by the request itself).
            assert sc.steps[0].kind.value == "goto" and sc.steps[0].url == sc.steps[1].url
            out[sc.title] = [(s.kind.value, s.value, s.text) for s in sc.steps[1:]]
    return out


def test_two_instances_per_kind_of_page_and_only_pages_that_answered() -> None:
    m = model(
        [
            page("/", "/", title="Home"),
            *[page(f"/items/{i}", "/items/{id}", title=f"Item {i}") for i in range(1, 6)],
            page("/gone", "/gone", status=404),
            page("/boom", "/boom", status=500),
            page("/private", "/private", status=None, to_login=True),
            page("/export.csv", "/export.csv", complete=False),
            page("/old", "/old", final="/new"),
        ]
    )
    got = checks(m)
    assert set(got) == {"/ answers", "/items/1 answers", "/items/2 answers", "/old answers"}
    # Where a page ends up is checked when it stayed where it was asked; a redirect may
    # follow data other tests change (an empty cart's checkout), so its target is not.
    assert got["/old answers"] == [("expect_status", "200", None)]
    # Each item had its own title (data): no title is asserted; one instance proves nothing.
    assert got["/items/1 answers"] == [("expect_status", "200", "/items/1")]
    assert got["/ answers"] == [("expect_status", "200", "/")]


def test_a_title_every_instance_shared_is_asserted_unless_it_changes_with_time() -> None:
    m = model(
        [
            page("/users/1", "/users/{id}", title="Change user | Admin"),
            page("/users/2", "/users/{id}", title="Change user | Admin"),
            page("/log/1", "/log/{id}", title="Updated 5 minutes ago"),
            page("/log/2", "/log/{id}", title="Updated 5 minutes ago"),
        ]
    )
    got = checks(m)
    assert ("expect_title", None, "Change user | Admin") in got["/users/1 answers"]
    assert not [s for s in got["/log/1 answers"] if s[0] == "expect_title"]


def test_the_checks_are_capped() -> None:
    m = model([page(f"/p{i}", f"/p{i}") for i in range(MAX_PAGE_CHECKS + 40)])
    assert len(checks(m)) == MAX_PAGE_CHECKS


def test_one_parametrised_test_with_an_id_per_page(tmp_path: Path) -> None:
    m = model(
        [
            page("/", "/"),
            page("/a/b?o=1", "/a/b?o={o}"),
            page("/a/b", "/a/b"),
            page("/a-b", "/a-b"),
            page("/chromium", "/chromium"),
        ],
        login=True,
    )
    scenarios = derive_scenarios(m)
    suite = write_suite(m, scenarios, tmp_path, get_strategy("balanced"))
    ids = sorted(t.test_id for t in suite.tests if t.kind == ScenarioKind.PAGE_ANSWERS)
    # Two pages with the same slug get distinct ids; a page named like a browser is not
    # mistaken for pytest-playwright's browser parameter.
    assert ids == [
        "test_page_checks.py::test_page_answers[a-b-2]",
        "test_page_checks.py::test_page_answers[a-b-o-1]",
        "test_page_checks.py::test_page_answers[a-b]",
        "test_page_checks.py::test_page_answers[chromium-2]",
        "test_page_checks.py::test_page_answers[root]",
    ]
    source = (tmp_path / "test_page_checks.py").read_text()
    tree = ast.parse(source)
    functions = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert functions == ["test_page_answers"]
    assert "http: APIRequestContext" in source
    # Read-only: the second pass samples them like other tests that only read.
    assert not any(t.changes_app for t in suite.tests)
    # The suite's login is shared with the page checks (no browser page per check): the
    # plugin's `http` fixture, which the suite's pytest.ini asks for (the page checks run on
    # the demo shop in tests/integration/generate/test_page_checks_demo.py).
    assert "qaforge_fixtures = plugin" in (tmp_path / "pytest.ini").read_text()


def test_results_map_back_to_each_page_and_drop_only_the_browser() -> None:
    assert runner.test_id_of("test_page_checks", "test_page_answers[admin-x]") == (
        "test_page_checks.py::test_page_answers[admin-x]"
    )
    assert (
        runner.test_id_of("test_shop", "test_cart_loads[chromium]")
        == "test_shop.py::test_cart_loads"
    )
    assert runner._nodeid_to_id("tests/test_page_checks.py::test_page_answers[root]") == (
        "test_page_checks.py::test_page_answers[root]"
    )
    assert runner._nodeid_to_id("tests/test_shop.py::test_x[firefox]") == "test_shop.py::test_x"


def test_the_conftest_marks_a_quarantined_page_check_alone() -> None:
    # The plugin's fixtures, and the standalone conftest that carries them, name it alike.
    namespace: dict[str, object] = {"__file__": "conftest.py"}
    exec(
        compile(conftest_source(BASE, None, False, standalone=True), "conftest.py", "exec"),
        namespace,
    )
    assert namespace["qaforge_id"].__code__.co_code == pytest_fixtures.qaforge_id.__code__.co_code  # type: ignore[attr-defined]
    qid = pytest_fixtures.qaforge_id
    assert qid("s/test_p.py::test_page_answers[a-b]") == "test_p.py::test_page_answers[a-b]"
    assert qid("s/test_shop.py::test_cart[chromium]") == "test_shop.py::test_cart"


def test_a_later_pass_names_one_page_check_not_the_whole_parametrised_test() -> None:
    from qaforge.execute.engine import node_id
    from qaforge.models import GeneratedTest

    page_check = GeneratedTest(
        test_id="test_page_checks.py::test_page_answers[admin]",
        scenario_id="s",
        file="test_page_checks.py",
        function="test_page_answers",
        kind=ScenarioKind.PAGE_ANSWERS,
    )
    browser = GeneratedTest(
        test_id="test_shop.py::test_cart_loads",
        scenario_id="t",
        file="test_shop.py",
        function="test_cart_loads",
        kind=ScenarioKind.PAGE_LOADS,
    )
    assert node_id(page_check) == "test_page_checks.py::test_page_answers[admin]"
    assert node_id(browser) == "test_shop.py::test_cart_loads"  # every browser's case


def test_one_check_per_query_parameter_not_per_combination() -> None:
    m = model(
        [
            page("/list/", "/list/"),
            page("/list/?o=1", "/list/?o={o}"),
            page("/list/?a=1", "/list/?a={a}"),
            page("/list/?a=1&o=1", "/list/?a={a}&o={o}"),
            page("/list/?a=2&o=-1", "/list/?a={a}&o={o}"),
            page("/list/?a=2&b=x", "/list/?a={a}&b={b}"),
        ]
    )
    # Filters and sort orders combine into thousands of addresses; each parameter once.
    assert set(checks(m)) == {
        "/list/ answers",
        "/list/?o=1 answers",
        "/list/?a=1 answers",
        "/list/?a=2&b=x answers",
    }


def test_the_suites_browser_flags_are_qaforges() -> None:
    """pytest_fixtures cannot import qaforge.config (a standalone suite carries it): the two
    lists are kept equal by this test."""
    from qaforge.config import CHROMIUM_ARGS

    assert pytest_fixtures.CHROMIUM_FLAGS == CHROMIUM_ARGS
