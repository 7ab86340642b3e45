"""`cli.run_app`, the handler behind `qaforge`: every error is one line and a known exit code.

A tiny Typer app registered here only stands in for a command with a genuine bug (exit 3):
the shipped commands have none we could provoke on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from qaforge.cli import run_app
from qaforge.errors import UserError
from tests.integration.cli.conftest import one_error


def _app(fn: object) -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("boom")(fn)  # type: ignore[arg-type]

    @app.command("other")
    def other() -> None:
        """A second command, so `boom` is a subcommand as in qaforge."""

    return app


def _run(app: typer.Typer, capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = run_app(app, ["boom", *args])
    out, err = capfd.readouterr()
    return code, out + err


def test_internal_error_is_one_line_and_a_log(
    home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    def boom() -> None:
        raise RuntimeError("the frobnicator broke at postgresql://u:hunter2@db/x")

    code, out = _run(_app(boom), capfd)
    assert code == 3
    line = one_error(out)
    assert line.startswith("internal error: RuntimeError: the frobnicator broke")
    assert "hunter2" not in out
    logs = list((home / "logs").glob("qaforge-*.log"))
    assert len(logs) == 1 and str(logs[0]) in line
    text = logs[0].read_text()
    assert "Traceback" in text and "RuntimeError" in text and "in boom" in text
    assert "hunter2" not in text


def test_internal_error_log_when_settings_cannot_load(
    home: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QAFORGE_BROWSER_CONTEXTS", "99")  # invalid: Settings will not load

    def boom() -> None:
        raise KeyError("x")

    code, out = _run(_app(boom), capfd)
    assert code == 3 and "KeyError" in one_error(out)
    assert list((home / "logs").glob("qaforge-*.log"))


def test_user_error_is_exit_2_with_the_password_masked(
    home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    def boom() -> None:
        raise UserError("cannot log in to https://admin:s3cret@example.test/login")

    code, out = _run(_app(boom), capfd)
    assert code == 2
    assert one_error(out) == "error: cannot log in to https://admin:***@example.test/login"
    assert not (home / "logs").exists()


def test_exit_codes_and_usage_errors_pass_through(
    home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    def boom(n: int = typer.Option(0, "--n", min=0)) -> None:
        if n == 7:
            raise KeyboardInterrupt
        raise typer.Exit(n)

    assert _run(_app(boom), capfd, "--n", "5")[0] == 5
    assert _run(_app(boom), capfd, "--n", "0")[0] == 0
    assert _run(_app(boom), capfd, "--n", "7")[0] == 130
    code, out = _run(_app(boom), capfd, "--n", "-1")
    assert code == 2 and "--n" in one_error(out)
    code, out = _run(_app(boom), capfd, "--nope")
    assert code == 2 and "No such option" in one_error(out)


def test_unreachable_database_is_a_user_error(
    home: Path, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import sqlalchemy

    from qaforge.commands.common import note_endpoint

    url = f"sqlite:///{tmp_path}/no/such/dir/x.db"

    def boom() -> None:
        note_endpoint("database", url)
        with sqlalchemy.create_engine(url).connect():
            pass

    code, out = _run(_app(boom), capfd)
    line = one_error(out)
    assert code == 2 and line.startswith(f"error: cannot reach the database {url}")
    assert "QAFORGE_DATABASE_URL" in line


def test_unreachable_redis_and_browser_are_user_errors(
    home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import redis.exceptions
    from playwright._impl._errors import Error as PlaywrightError

    from qaforge.commands.common import note_endpoint

    def redis_down() -> None:
        note_endpoint("bus", "redis://u:pw@127.0.0.1:1/0")
        try:
            raise OSError("Connect call failed ('127.0.0.1', 1)")
        except OSError as exc:
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1") from exc

    code, out = _run(_app(redis_down), capfd)
    line = one_error(out)
    assert code == 2 and "cannot reach the bus redis://u:***@127.0.0.1:1/0" in line
    assert "pw@" not in out

    def no_browser() -> None:
        raise PlaywrightError("BrowserType.launch: Executable doesn't exist at /nosuch\n=====")

    code, out = _run(_app(no_browser), capfd)
    line = one_error(out)
    assert code == 2 and "cannot start the browser" in line and "QAFORGE_CHROMIUM" in line
