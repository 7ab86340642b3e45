"""The risk scorer and the locator chooser on small hand-made models."""

from __future__ import annotations

from qaforge.generate.locators import LocatorChooser
from qaforge.generate.risk import apply_budget, score
from qaforge.generate.scenarios import area_of, template_regex
from qaforge.generate.strategy import StrategyRegistry, get_strategy
from qaforge.models import (
    AppModel,
    Element,
    Locator,
    LocatorStrategy,
    Scenario,
    ScenarioKind,
    State,
    Step,
    StepKind,
    Target,
)


class History:
    def template_rates(self, app: str, template: str) -> tuple[float, float] | None:
        return (0.5, 0.5) if template == "/flaky" else None


def sc(kind: ScenarioKind, title: str, template: str, transitions: list[str]) -> Scenario:
    return Scenario(
        id=title,
        kind=kind,
        title=title,
        given="g",
        when="w",
        then="t",
        template=template,
        source_transitions=transitions,
    )


def test_risk_features_order_and_history() -> None:
    model = AppModel(target=Target(url="http://h/"))
    scenarios = [
        sc(ScenarioKind.NAVIGATION, "about link", "/about", ["t1"]),
        sc(ScenarioKind.FORM_VALID, "checkout accepts", "/checkout", ["t2"]),
        sc(ScenarioKind.PAGE_LOADS, "admin loads", "/admin", []),
        sc(ScenarioKind.PAGE_LOADS, "flaky loads", "/flaky", []),
    ]
    ranked = score(scenarios, model, "app", History())
    assert ranked[0].title == "checkout accepts"
    assert [s.priority for s in ranked] == [1, 2, 3, 4]
    by = {s.title: s for s in ranked}
    assert by["admin loads"].risk > by["about link"].risk
    assert any("past failures" in r for r in by["flaky loads"].risk_reasons)
    assert by["flaky loads"].risk > score([scenarios[3]], model, "app")[0].risk
    kept, _dropped, notes = apply_budget(ranked, 2)
    assert [s.title for s in kept] == [s.title for s in ranked[:2]]
    assert any("t1" in n for n in notes)  # the only cover of t1 was dropped: said so


def test_chooser_follows_the_strategy_and_uses_only_unique_candidates() -> None:
    locs = [
        Locator(strategy=LocatorStrategy.ROLE, value="button", name="Add", count=1),
        Locator(strategy=LocatorStrategy.TEST_ID, value="add", count=1),
        Locator(strategy=LocatorStrategy.TEXT, value="Add", count=2),
    ]
    model = AppModel(
        target=Target(url="http://h/"),
        states=[
            State(
                id="s",
                url="http://h/",
                url_template="/",
                elements=[Element(id="e", role="button", name="Add", locators=locs)],
            )
        ],
    )
    step = Step(kind=StepKind.CLICK, element_id="e", locator=locs[0])
    balanced = LocatorChooser(model, [str(p) for p in get_strategy("balanced").locator_priority])
    resilient = LocatorChooser(model, [str(p) for p in get_strategy("resilient").locator_priority])
    assert balanced.choose(step).strategy == LocatorStrategy.ROLE
    assert resilient.choose(step).strategy == LocatorStrategy.TEST_ID
    text_first = LocatorChooser(model, ["text", "role"])
    assert text_first.choose(step).strategy == LocatorStrategy.ROLE  # text is not unique


def test_an_id_shared_by_two_controls_keeps_each_steps_own_control() -> None:
    # Ids leave numbers out, so "Details of row 10" on one state and "Details of row 20" on
    # another share one; a step on the second must not be given the first's locator.
    def button(name: str) -> Element:
        loc = Locator(strategy=LocatorStrategy.ROLE, value="button", name=name, count=1)
        return Element(id="same", role="button", name=name, locators=[loc])

    first, second = button("Details of row 10"), button("Details of row 20")
    model = AppModel(
        target=Target(url="http://x"),
        states=[
            State(id="a", url="http://x/t", url_template="/t", elements=[first]),
            State(id="b", url="http://x/t", url_template="/t", elements=[second]),
        ],
    )
    chooser = LocatorChooser(model, ["role"])
    step = Step(kind=StepKind.EXPECT_VISIBLE, element_id="same", locator=second.locators[0])
    assert chooser.choose(step) == second.locators[0]
    by_text = Step(kind=StepKind.EXPECT_VISIBLE, element_id="same", text="Details of row 20")
    assert chooser.choose(by_text) == second.locators[0]


def test_strategies_registry() -> None:
    reg = StrategyRegistry()
    assert {"balanced", "strict", "resilient"} <= set(reg.names())
    reg.register(get_strategy("strict").model_copy(update={"name": "mine"}))
    assert reg.get("mine").assertion_strictness == "strict"


def test_templates_to_regex_and_areas() -> None:
    import re

    assert re.search(template_regex("/items/{id}"), "http://h/items/42")
    assert not re.search(template_regex("/items/{id}"), "http://h/items/42/edit")
    assert re.search(template_regex("/c?page={page}&q={q}"), "http://h/c?q=x&page=2")
    assert area_of("/") == "home" and area_of("/admin/products") == "admin"


def test_areas_are_named_below_the_apps_base_path() -> None:
    # An app served under /admin/ (django-admin) or /demo/ (an issue tracker).
    assert area_of("/admin/catalog/book/", "/admin/") == "catalog"
    assert area_of("/admin/auth/user/{id}/change/", "/admin/") == "auth"
    assert area_of("/admin/", "/admin/") == area_of("/admin", "/admin/") == "home"
    assert area_of("/demo/issue?@filter={x}", "/demo/") == "issue"
    # A template outside the base keeps its own first segment.
    assert area_of("/static/help", "/admin/") == "static"
    assert area_of("/adminx/a", "/admin/") == "adminx"


def test_a_single_page_apps_hash_route_names_its_area() -> None:
    # MLflow: every page is `/#/...`; all 90 tests landed in test_home.py.
    assert area_of("/#/experiments/{id}/runs?workflowType={workflowType}") == "experiments"
    assert area_of("/#/settings?returnTo={returnTo}") == "settings"
    assert area_of("/#/") == area_of("/") == "home"
    assert area_of("/app/#!/models", "/app/") == "models"
