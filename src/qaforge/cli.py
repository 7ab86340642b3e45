"""`qaforge ...`: the command-line entry point. Each command group lives in `qaforge.commands`."""

from __future__ import annotations

import sys

import typer

from qaforge.commands import register_all

app = typer.Typer(
    name="qaforge",
    help="Explore a web app in a real browser and write, run and heal Playwright tests for it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """qaforge: explore a web app, write Playwright tests for it, run, heal and report them."""


register_all(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
