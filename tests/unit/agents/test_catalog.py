"""The catalog maps agent types to classes, lazily, and loads other catalogs by name."""

from __future__ import annotations

import pytest

from qaforge.agents.catalog import DEFAULT, TASK_AGENT, Catalog, CatalogError
from qaforge.config import Settings
from qaforge.contracts.generation import NoopRecorder
from qaforge.contracts.tasks import ANALYZE, EVOLVE, EXECUTE, HEAL, OBSERVE, REPORT, REQUIRE


def test_every_task_type_has_an_agent_type() -> None:
    for t in (OBSERVE, REQUIRE, ANALYZE, EVOLVE, EXECUTE, HEAL, REPORT):
        assert TASK_AGENT[t] in DEFAULT


def test_builtin_agents_import_and_declare_their_capabilities(tmp_path) -> None:
    catalog = Catalog()
    for agent_type in catalog.types:
        agent = catalog.make(agent_type, Settings(home=tmp_path, disable_learning=True))
        assert agent.agent_type == agent_type
        assert {t for t, a in TASK_AGENT.items() if a == agent_type} <= agent.capabilities
        assert isinstance(agent.recorder, NoopRecorder)


def test_a_catalog_loaded_by_name(tmp_path) -> None:
    catalog = Catalog.load("tests.system.fakes:CATALOG")
    assert catalog.spec == "tests.system.fakes:CATALOG"
    assert catalog.make("analysis", Settings(home=tmp_path)).__class__.__name__ == "FakeAnalysis"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "package.module:Name"),
        ("no.such.module:X", "cannot import"),
        ("qaforge.contracts.tasks:OBSERVE", "not a mapping"),
    ],
)
def test_bad_catalogs_are_clear_errors(spec: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        Catalog.load(spec)


def test_unknown_agent_type(tmp_path) -> None:
    with pytest.raises(CatalogError, match="unknown agent type 'crawler'; known: analysis"):
        Catalog().agent_class("crawler")
