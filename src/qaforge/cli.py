"""`qaforge ...`: the command-line entry point. Each command group lives in `qaforge.commands`.

Exit codes (architecture.md §6): 0 ok, 1 a test failed or an app defect was found, 2 a usage or
environment error (one line: `error: ...`), 3 an internal error (one line on screen, the
traceback in `$QAFORGE_HOME/logs/`), 130 interrupted. A traceback never reaches the screen.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from qaforge.commands import register_all
from qaforge.commands.common import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    print_error,
    user_message,
    write_crash_log,
)
from qaforge.logs import configure_logging


class QaforgeGroup(TyperGroup):
    """Turns an error the user can act on into one line and exit 2, wherever the app runs
    (the console script or a test's `CliRunner`). Other errors go on to `main`'s handler."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt):
            raise
        except Exception as exc:
            message = user_message(exc)
            if message is None:
                raise
            print_error(message)
            raise typer.Exit(EXIT_USAGE) from None


app = typer.Typer(
    name="qaforge",
    help="Explore a web app in a real browser and write, run and heal Playwright tests for it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=QaforgeGroup,
)


@app.callback()
def _root(
    log_level: str = typer.Option(
        "WARNING",
        "--log-level",
        envvar="QAFORGE_LOG_LEVEL",
        help="DEBUG, INFO, WARNING or ERROR: what qaforge logs on stderr (with the run id)",
    ),
    log_format: str = typer.Option(
        "text",
        "--log-format",
        envvar="QAFORGE_LOG_FORMAT",
        help="text, or json: one JSON object per line with run id and trace id",
    ),
) -> None:
    """qaforge: explore a web app, write Playwright tests for it, run, heal and report them."""
    try:
        configure_logging(log_level, fmt=log_format)
    except ValueError as exc:
        hint = "--log-format" if "format" in str(exc) else "--log-level"
        raise typer.BadParameter(str(exc), param_hint=hint) from None


register_all(app)


def run_app(application: typer.Typer, args: list[str] | None = None) -> int:
    """Run `application` on `args` (default: sys.argv[1:]) and return the exit code.

    Every error ends as one line on stderr: a usage error keeps click's message and exit 2,
    a `UserError` or an unreachable database, bus or browser is `error: ...` and exit 2,
    anything else is a bug: `internal error: ...`, exit 3, the traceback in a log file.
    """
    argv = list(sys.argv[1:] if args is None else args)
    try:
        rv = application(args=argv, prog_name="qaforge", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.TyperException as exc:  # click's usage errors and friends
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print_error(str(exc))
        return int(getattr(exc, "exit_code", EXIT_USAGE))
    except typer.Abort:
        print_error("aborted")
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        message = user_message(exc)
        if message is not None:
            print_error(message)
            return EXIT_USAGE
        log = write_crash_log(exc, argv)
        print_error(f"{type(exc).__name__}: {exc} — details in {log}", prefix="internal error")
        return EXIT_INTERNAL
    return rv if isinstance(rv, int) and not isinstance(rv, bool) else 0


def main() -> None:
    """Console-script entry point."""
    raise SystemExit(run_app(app))


if __name__ == "__main__":
    main()
