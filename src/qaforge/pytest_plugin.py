"""qaforge's pytest plugin (entry point `pytest11`): the fixtures generated suites use.

Installed with qaforge, loaded by every pytest of the environment, and idle there: it only
declares its options. A suite whose pytest.ini says `qaforge_fixtures = plugin` (what
`qaforge generate` writes) gets the fixtures of `qaforge.pytest_fixtures`, so a fix to them
reaches every suite already generated, without regenerating it.
"""

from __future__ import annotations

import pytest

# The pytest.ini keys of a generated suite: what it was generated for.
INI_KEYS: dict[str, str] = {
    "qaforge_fixtures": "plugin: qaforge's pytest plugin provides the suite's fixtures",
    "qaforge_base_url": "the app the suite was generated for (--base-url and QAFORGE_BASE_URL win)",
    "qaforge_login_path": "the app's login form, logged into once per session",
    "qaforge_http_auth": "true: the app asks for HTTP basic credentials",
    "qaforge_timeout_ms": "how long a test waits for an element (QAFORGE_TIMEOUT_MS wins)",
    "qaforge_viewport": "the browser window qaforge explored the app in, WIDTHxHEIGHT",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, help_text in INI_KEYS.items():
        parser.addini(name, help_text, default="")
    group = parser.getgroup("qaforge", "qaforge-generated suites")
    group.addoption(
        "--qaforge-timeout-ms",
        type=int,
        default=None,
        help="how long a test waits for an element, in ms (beats pytest.ini and the environment)",
    )
    group.addoption(
        "--qaforge-events",
        default=None,
        help="file to record server errors (5xx) per test in, for qaforge's classification "
        "(default: QAFORGE_EVENTS)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Provide the fixtures to a suite generated for the plugin, and only to one."""
    if str(config.getini("qaforge_fixtures")).strip() != "plugin":
        return
    from qaforge import pytest_fixtures

    if not config.pluginmanager.is_registered(pytest_fixtures):
        config.pluginmanager.register(pytest_fixtures, "qaforge-fixtures")
