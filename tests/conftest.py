"""Shared fixtures; each plugin module is owned by the area that needs it."""

pytest_plugins = [
    "tests.plugins.demo",
    "tests.plugins.crawl",
    "tests.plugins.run",
    "tests.plugins.services",
]

