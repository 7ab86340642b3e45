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
    "qaforge.commands.llm",
    "qaforge.commands.serve",
    "qaforge.commands.ci",
    "qaforge.commands.mcp",
]


def register_all(app: typer.Typer) -> None:
    """Attach every command module to `app`; a listed module that is missing or has no
    `register` is a packaging bug and fails at once, never a command silently absent."""
    for name in _MODULES:
        module = importlib.import_module(name)
        register = getattr(module, "register", None)
        if not callable(register):
            raise ImportError(f"{name} has no register(app): every command module needs one")
        register(app)
