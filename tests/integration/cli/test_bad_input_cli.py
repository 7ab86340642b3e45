"""Bad input and missing services: exit 2, one `error:` line, no traceback, nothing half-written.

Most of these run the real front door in this process (`run_app`); the ones about a whole
process (an unreachable app, Redis or database) start `python -m qaforge.cli`.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import typer

from qaforge.models import AppModel, Target
from tests.integration.cli.conftest import Run, one_error


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "m.json"
    AppModel(target=Target(url="http://127.0.0.1:9/")).save(path)
    return path


# ------------------------------------------------------------------ option validation


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--max-states", "-5"),
        ("--max-states", "0"),
        ("--contexts", "99"),
        ("--contexts", "0"),
        ("--time-budget", "0"),
        ("--time-budget", "-1"),
        ("--max-depth", "-1"),
    ],
)
@pytest.mark.parametrize("command", ["crawl", "run"])
def test_out_of_range_crawl_options_are_refused(
    cli: Run, tmp_path: Path, command: str, option: str, value: str
) -> None:
    out = tmp_path / "out"
    code, output = cli(command, "http://127.0.0.1:9/", "--out", str(out), option, value)
    assert code == 2
    assert option in one_error(output)
    assert not out.exists()


def test_include_exclude_and_deny_label_reach_the_request(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qaforge.commands.crawl as crawl_cmd
    import qaforge.commands.run as run_cmd

    seen: list[Any] = []
    real = crawl_cmd.build_request

    def recording(url: str, opts: Any, out_dir: Path, settings: Any) -> Any:
        req = real(url, opts, out_dir, settings)
        seen.append(req)
        raise typer.Exit(0)

    monkeypatch.setattr(crawl_cmd, "build_request", recording)
    monkeypatch.setattr(run_cmd, "build_request", recording)
    flags = [
        "--include", r"/shop/\d+",
        "--include", "/cart",
        "--exclude", "/admin",
        "--deny-label", "Delete account",
        "--deny-label", "Pay",
        "--max-states", "3",
        "--contexts", "8",
        "--time-budget", "0.5",
        "--max-depth", "0",
    ]  # fmt: skip
    for command in ("crawl", "run"):
        code, output = cli(command, "http://127.0.0.1:9/", "--out", str(tmp_path / "o"), *flags)
        assert code == 0, output
    assert len(seen) == 2
    for req in seen:
        assert req.target.include == [r"/shop/\d+", "/cart"]
        assert req.target.exclude == ["/admin"]
        assert req.limits.deny_labels == ["Delete account", "Pay"]
        assert (req.limits.max_states, req.limits.contexts) == (3, 8)
        assert (req.limits.time_budget_s, req.limits.max_depth) == (0.5, 0)
    # Without the options, the settings give the defaults (QAFORGE_BROWSER_CONTEXTS, ...).
    seen.clear()
    monkeypatch.setenv("QAFORGE_BROWSER_CONTEXTS", "1")
    monkeypatch.setenv("QAFORGE_ACTION_DELAY_MS", "25")
    for command in ("crawl", "run"):
        code, output = cli(command, "http://127.0.0.1:9/", "--out", str(tmp_path / "o"))
        assert code == 0, output
    assert [(r.limits.contexts, r.limits.action_delay_ms) for r in seen] == [(1, 25), (1, 25)]


def test_generate_bad_strategy_writes_nothing(cli: Run, model_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "gen"
    code, output = cli("generate", str(model_file), "--out", str(out), "--strategy", "nosuch")
    assert code == 2
    line = one_error(output)
    assert "unknown strategy 'nosuch'" in line and "balanced" in line and "auto" in line
    assert not out.exists() and not list(tmp_path.rglob("scenarios.json"))
    out.mkdir()
    code, output = cli("generate", str(model_file), "--out", str(out), "--strategy", "nosuch")
    assert code == 2 and not list(out.iterdir())


def test_bad_lang_is_refused_before_anything(cli: Run, model_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "gen"
    code, output = cli("generate", str(model_file), "--out", str(out), "--lang", "rust")
    assert code == 2 and "--lang must be one of python, ts" in one_error(output)
    code, output = cli("run", "http://127.0.0.1:9/", "--out", str(out), "--lang", "rust")
    assert code == 2 and "--lang" in one_error(output)
    code, output = cli("run", "http://127.0.0.1:9/", "--out", str(out), "--strategy", "nosuch")
    assert code == 2 and "unknown strategy 'nosuch'" in one_error(output)
    assert not out.exists()


@pytest.mark.parametrize("content", ["[]", '"model"', "{not json", '{"schema_version": 1}'])
def test_generate_on_a_corrupted_model_is_a_user_error(
    cli: Run, tmp_path: Path, content: str
) -> None:
    bad = tmp_path / "model.json"
    bad.write_text(content)
    code, output = cli("generate", str(bad), "--out", str(tmp_path / "gen"))
    assert code == 2 and "is not a qaforge model" in one_error(output)
    assert not (tmp_path / "gen").exists()


def test_worker_with_an_unknown_agent_type(cli: Run) -> None:
    code, output = cli("worker", "--agent", "nosuch", "--bus", "redis://127.0.0.1:1/0")
    line = one_error(output)
    assert code == 2 and "unknown agent type 'nosuch'" in line and "observation" in line


# ------------------------------------------------------------------ qaforge test DIR


def test_test_dir_without_model_json(cli: Run, tmp_path: Path) -> None:
    suite = tmp_path / "tests"
    suite.mkdir()
    (suite / "suite.json").write_text("{}")
    code, output = cli("test", str(suite), "--out", str(tmp_path / "run"))
    assert code == 2 and "has no model.json" in one_error(output)
    assert not (tmp_path / "run").exists()
    (suite / "model.json").write_text("[1, 2]")
    code, output = cli("test", str(suite), "--out", str(tmp_path / "run"))
    assert code == 2 and "is not a qaforge model" in one_error(output)


def test_summary_table_shows_the_strategy_and_n_a_for_empty_sets() -> None:
    from rich.console import Console

    from qaforge.commands.run import summary_table
    from qaforge.contracts.summary import (
        CoverageFigures,
        RunSummary,
        StrategyInfo,
        TestCounts,
    )

    base = RunSummary(
        target="http://x/",
        tests=TestCounts(generated=2, passed=1, failed=1),
        pass_rate=0.5,
        coverage=CoverageFigures(templates=0.5, transitions=0.25, forms=None),
    )
    console = Console(width=200, record=True)
    named = StrategyInfo(name="resilient")  # `qaforge test`: the suite's own name
    console.print(summary_table(base.model_copy(update={"strategy": named})))
    chosen = StrategyInfo(name="strict", chosen_by="bandit", variant_id=3)
    console.print(summary_table(base.model_copy(update={"strategy": chosen})))
    text = console.export_text()
    assert "resilient" in text and "strict (bandit)" in text
    assert "50%" in text and "25%" in text
    # An app without forms: nothing to cover is "n/a", not 100%.
    assert re.search(r"forms covered\s+│\s+n/a", text), text
    # A suite written but not run (TypeScript): no pass rate.
    console = Console(width=200, record=True)
    console.print(summary_table(RunSummary(target="http://x/", tests=TestCounts(generated=3))))
    text = console.export_text()
    assert re.search(r"pass rate\s+│\s+n/a", text) and "0%" not in text, text


# ------------------------------------------------------------------ whole processes


def test_run_on_an_unreachable_url_names_the_run_and_leaves_no_empty_out(
    qaforge: Callable[..., Any], cli: Run, home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "never-written"
    p = qaforge("run", f"http://127.0.0.1:{_free_port()}/", "--out", str(out), "--no-pdf")
    output = p.stdout + p.stderr
    assert p.returncode == 2, output
    assert "is unreachable" in one_error(output)
    assert "[qaforge] stage observe: exploring the app" in output
    resume = [line for line in output.splitlines() if "resume with: qaforge resume run-" in line]
    assert len(resume) == 1, output
    run_id = resume[0].rsplit(" ", 1)[1]
    assert not out.exists()
    code, listed = cli("runs", "--json")
    assert code == 0, listed
    rows = {r["id"]: r for r in json.loads(listed[listed.index("[") :])}
    assert rows[run_id]["state"] == "FAILED"


def test_worker_pings_the_bus_first(qaforge: Callable[..., Any], home: Path) -> None:
    p = qaforge("worker", "--bus", "redis://u:secret@127.0.0.1:1/0", "--agent", "observation")
    output = p.stdout + p.stderr
    assert p.returncode == 2, output
    line = one_error(output)
    assert "cannot reach Redis at redis://u:***@127.0.0.1:1/0" in line and "--bus" in line
    assert "secret" not in output
    assert not (home / "qaforge.db").exists()  # nothing set up before the bus answered


def test_runs_on_an_unreachable_database(qaforge: Callable[..., Any]) -> None:
    url = "postgresql://nobody:secret@127.0.0.1:1/x"
    p = qaforge("runs", QAFORGE_DATABASE_URL=url)
    output = p.stdout + p.stderr
    assert p.returncode == 2, output
    line = one_error(output)
    assert line == (
        "error: cannot reach the database postgresql://nobody:***@127.0.0.1:1/x: connection "
        "refused — check QAFORGE_DATABASE_URL and that the server is running"
    )


def test_crawl_with_a_missing_chromium(qaforge: Callable[..., Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    p = qaforge("crawl", "http://127.0.0.1:9/", "--out", str(out), QAFORGE_CHROMIUM="/nosuch")
    output = p.stdout + p.stderr
    assert p.returncode == 2, output
    line = one_error(output)
    assert "/nosuch" in line and "QAFORGE_CHROMIUM" in line
    assert not out.exists()


class _Page(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"<html><body><h1>Only page</h1><a href='/two'>two</a></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def page_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.mark.browser
def test_crawl_that_finds_no_state(
    qaforge: Callable[..., Any], page_server: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    p = qaforge("crawl", page_server, "--out", str(out), "--exclude", ".*", "--contexts", "1")
    output = p.stdout + p.stderr
    assert p.returncode == 2, output
    line = one_error(output)
    assert "found no states" in line and str(out / "model.json") in line
    assert "[qaforge] stage observe: exploring the app" in output
    assert "[qaforge] stage observe done in" in output
