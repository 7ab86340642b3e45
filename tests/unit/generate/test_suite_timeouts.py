"""The generated suite waits for elements as long as the crawled app needs, within limits."""

from __future__ import annotations

import pytest

from qaforge.crawl.explorer import _p90
from qaforge.generate.conftest_py import conftest_source, element_timeout_ms, pytest_ini
from qaforge.generate.emit_typescript import ts_config_sources


@pytest.mark.parametrize(
    ("ready_p90_s", "expected_ms"),
    [(0.0, 5000), (0.4, 5000), (1.7, 6000), (3.0, 10000), (9.0, 15000)],
)
def test_element_timeout_follows_the_apps_speed_within_5_to_15_s(
    ready_p90_s: float, expected_ms: int
) -> None:
    assert element_timeout_ms(ready_p90_s) == expected_ms


def test_p90_of_page_ready_times() -> None:
    assert _p90([]) == 0.0
    assert _p90([0.2] * 9 + [4.0]) == 4.0
    assert _p90([float(i) for i in range(1, 21)]) == 19.0


def test_both_languages_default_to_the_timeout_and_let_the_environment_override_it() -> None:
    # Python: pytest.ini (the plugin's suites) or the standalone conftest holds the timeout;
    # the fixtures read QAFORGE_TIMEOUT_MS first (tests/integration/test_pytest_plugin.py).
    assert (
        "qaforge_timeout_ms = 8000"
        in pytest_ini("http://x", None, False, 8000, standalone=False).splitlines()
    )
    conftest = conftest_source("http://x", None, False, 8000, standalone=True)
    assert "'qaforge_timeout_ms': '8000'" in conftest
    config = ts_config_sources("http://x", None, False, 8000)["playwright.config.ts"]
    assert "expect: { timeout: Number(process.env.QAFORGE_TIMEOUT_MS || 8000) }" in config
