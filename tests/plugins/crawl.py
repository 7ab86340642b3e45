"""Fixtures: the demo shop crawled once per test session (with its login)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.agents.tasks import CrawlLimits
from qaforge.config import Settings
from qaforge.crawl.explorer import Explorer
from qaforge.demoapp.launcher import DemoApp
from qaforge.models import AppModel, Auth, Target


def demo_target(url: str) -> Target:
    """The demo shop as a target, logging in with demo/demo through references only."""
    return Target(
        url=url,
        app="demo-shop",
        auth=Auth(
            login_url="/login",
            username_ref="env:QAFORGE_USERNAME",
            password_ref="env:QAFORGE_PASSWORD",
        ),
    )


@pytest.fixture(scope="session")
def demo_credentials() -> None:
    """The demo shop's account in the environment, as users provide it."""
    mp = pytest.MonkeyPatch()
    mp.setenv("QAFORGE_USERNAME", "demo")
    mp.setenv("QAFORGE_PASSWORD", "demo")


@pytest.fixture(scope="session")
def demo_model_path(
    demo_app: DemoApp, demo_credentials: None, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """model.json of a crawl of the healthy demo shop (made once per session)."""
    out = tmp_path_factory.mktemp("demo-crawl")
    explorer = Explorer(Settings(home=out / "home"), demo_target(demo_app.url), CrawlLimits())
    model = asyncio.run(explorer.run())
    path = out / "model.json"
    model.save(path)
    return path


@pytest.fixture(scope="session")
def demo_model(demo_model_path: Path) -> AppModel:
    """The crawled model of the healthy demo shop."""
    return AppModel.load(demo_model_path)
