"""A generated suite's conftest.py and pytest.ini: its fixtures, and what it was generated for.

By default the fixtures come from qaforge's pytest plugin (`qaforge.pytest_plugin`, which
loads `qaforge.pytest_fixtures`): the conftest is a few lines and a fix to the fixtures reaches
every suite already generated. `standalone` writes the fixtures into the conftest, for a suite
that needs nothing but pytest-playwright.
"""

from __future__ import annotations

import re
from pathlib import Path

from qaforge import pytest_fixtures
from qaforge.crawl.browser import VIEWPORT

CONFIG_MARKER = pytest_fixtures.CONFIG_MARKER

_PLUGIN_CONFTEST = '''"""This qaforge-generated suite's fixtures come from qaforge's pytest plugin.

The plugin is installed with qaforge (`pip install qaforge`); its settings are pytest.ini's
`qaforge_*` keys. A fix to the fixtures reaches this suite without regenerating it;
`qaforge generate --standalone` writes a suite that needs only pytest-playwright.
"""

import importlib.util

if importlib.util.find_spec("qaforge") is None:
    raise ImportError(
        "this suite's fixtures come from qaforge's pytest plugin: pip install qaforge "
        "(or regenerate the suite with `qaforge generate --standalone`)"
    )
'''

# Put after the fixtures' imports in a standalone conftest: with no plugin to declare the
# settings, the conftest declares them, with the values the suite was generated for.
_STANDALONE_SETTINGS = """

# What this suite was generated for (pytest.ini's qaforge_* keys, when set, win).
GENERATED_FOR = __GENERATED_FOR__


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, value in GENERATED_FOR.items():
        parser.addini(name, "qaforge: what the suite was generated for", default=value)
"""


def element_timeout_ms(ready_p90_s: float) -> int:
    """The suite's element timeout for an app whose pages took `ready_p90_s` to be usable in
    the crawl: three times that (tests load images and fonts the crawl skipped), 5-15 s, in
    whole seconds (small differences between two crawls rarely change it)."""
    return int(min(15, max(5, round(3 * ready_p90_s + 0.5)))) * 1000


def suite_settings(
    base_url: str, login_path: str | None, http_auth: bool, timeout_ms: int = 5000
) -> dict[str, str]:
    """The `qaforge_*` settings of a suite of the app at `base_url`."""
    for value in (base_url, login_path or ""):
        if re.search(r"[\r\n]", value):
            raise ValueError(f"a suite setting cannot hold a line break: {value!r}")
    return {
        "qaforge_base_url": base_url,
        "qaforge_login_path": login_path or "",
        "qaforge_http_auth": "true" if http_auth else "false",
        "qaforge_timeout_ms": str(int(timeout_ms)),
        "qaforge_viewport": f"{VIEWPORT['width']}x{VIEWPORT['height']}",
    }


def conftest_source(
    base_url: str,
    login_path: str | None,
    http_auth: bool,
    timeout_ms: int = 5000,
    *,
    standalone: bool,
) -> str:
    """conftest.py for a suite of the app at `base_url`: the plugin's few lines, or (standalone)
    the fixtures themselves with the settings declared."""
    if not standalone:
        return _PLUGIN_CONFTEST
    fixtures = Path(pytest_fixtures.__file__).read_text(encoding="utf-8")
    anchor = "from playwright.sync_api import"
    at = fixtures.index("\n", fixtures.index(anchor)) + 1
    settings = suite_settings(base_url, login_path, http_auth, timeout_ms)
    block = _STANDALONE_SETTINGS.replace("__GENERATED_FOR__", repr(settings))
    return fixtures[:at] + block + fixtures[at:]


def pytest_ini(
    base_url: str,
    login_path: str | None,
    http_auth: bool,
    timeout_ms: int = 5000,
    *,
    standalone: bool,
) -> str:
    """pytest.ini of a generated suite; with the plugin, it holds the suite's settings."""
    if standalone:
        lines = ["[pytest]", "addopts = -p no:cacheprovider", "qaforge_fixtures = standalone"]
    else:
        # Named, so that it loads where plugins are not autoloaded (PYTEST_DISABLE_PLUGIN_AUTOLOAD).
        lines = ["[pytest]", "addopts = -p no:cacheprovider -p qaforge.pytest_plugin"]
        lines.append(
            "# qaforge's pytest plugin gives this suite its fixtures, with these settings."
        )
        lines.append("qaforge_fixtures = plugin")
        settings = suite_settings(base_url, login_path, http_auth, timeout_ms)
        lines += [f"{k} = {v}" for k, v in settings.items()]
    return "\n".join(lines) + "\n"
