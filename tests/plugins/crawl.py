"""Fixtures: the demo shop's target and its crawled model (with its login)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaforge.models import AppModel, Auth, Target
from qaforge.orchestrate.request import RunOutcome


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
def demo_model_path(demo_run: RunOutcome) -> Path:
    """model.json of a crawl of the healthy demo shop: the one `demo_run` made.

    The pipeline's crawl is `Explorer(settings, demo_target(url), CrawlLimits())`, the crawl
    these tests read; taking it from the run saves a second crawl of the shop per session."""
    path = Path(demo_run.summary.artifacts.summary).parent / "model.json"
    assert path.is_file(), f"the demo run wrote no model.json: {demo_run.summary.artifacts}"
    return path


@pytest.fixture(scope="session")
def demo_model(demo_model_path: Path) -> AppModel:
    """The crawled model of the healthy demo shop."""
    return AppModel.load(demo_model_path)
