"""What every command shares: the console, exit codes, settings and clear error messages."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from qaforge.config import ConfigError, Settings, load_settings

# DESIGN.md §7: 0 all kept tests passed, 1 a test failed or an app defect was found,
# 2 usage or environment error.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

console = Console(stderr=True)
stdout = Console()


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print a one-line error (no traceback) and exit."""
    # soft_wrap: one error is one line, whatever the terminal width (logs, CI, grep).
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_exit(config: Path | None = None, **overrides: Any) -> Settings:
    """Load settings, turning a malformed configuration into a clear error."""
    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        fail(str(exc))


def print_json(data: Any) -> None:
    """Machine output on stdout, nothing else there."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


ConfigOption = typer.Option(None, "--config", help="qaforge.toml to read", exists=False)
JsonOption = typer.Option(False, "--json", help="print a JSON result on stdout")
