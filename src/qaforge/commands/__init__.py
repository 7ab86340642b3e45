"""Command modules; each exposes `register(app)` and owns its own commands."""

from __future__ import annotations

import importlib

import typer

# Modules are listed here rather than discovered so the CLI's shape is explicit.
_MODULES = [
    "qaforge.commands.demo_app",
    "qaforge.commands.crawl",
    "qaforge.commands.generate",
    "qaforge.commands.run",
    "qaforge.commands.runs",
    "qaforge.commands.worker",
    "qaforge.commands.db",
    "qaforge.commands.learning",
]


def register_all(app: typer.Typer) -> None:
    """Attach every available command module to `app`."""
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # not written yet
                continue
            raise
        module.register(app)
