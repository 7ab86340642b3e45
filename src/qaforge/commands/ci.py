"""`qaforge ci`: one command for pipelines.

`qaforge ci URL [options of qaforge run]` explores a deployment and runs what it generates;
`qaforge ci --suite DIR [--base-url URL]` runs a committed suite (on a copy: heals become
`report.patch`, never edits of the committed files). Either way it writes the reports, JUnit,
`ci-summary.md` (a pull-request comment), and in GitHub Actions the step summary, annotations
and step outputs. Exit codes are `qaforge run`'s.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import typer

from qaforge.commands.common import EXIT_USAGE, console, fail

CI_SUMMARY = "ci-summary.md"
PATCH = "report.patch"


def _invoke(args: list[str]) -> int:
    """Run `qaforge ARGS` (`run` or `test`) in this process; its exit code (usage errors
    propagate to the front door)."""
    from qaforge.commands import run as run_commands

    inner = typer.Typer(add_completion=False)
    run_commands.register(inner)
    command = typer.main.get_command(inner)
    result = command.main(args, prog_name="qaforge", standalone_mode=False)
    return int(result or 0)


def ci(
    ctx: typer.Context,
    url: str | None = typer.Argument(None, help="the deployment to explore (or use --suite)"),
    suite: Path | None = typer.Option(
        None, "--suite", help="a committed suite to run instead (its tests directory)"
    ),
    base_url: str | None = typer.Option(None, "--base-url", help="with --suite: the app's URL"),
    out: Path = typer.Option(Path("qaforge-out"), "--out", help="reports and summary go here"),
    github: bool | None = typer.Option(
        None,
        "--github/--no-github",
        help="write GitHub Actions' step summary, annotations and outputs (default: when "
        "GITHUB_ACTIONS=true)",
    ),
) -> None:
    """Explore URL and run what is generated, or run a committed suite; then the CI outputs.
    Options after URL are `qaforge run`'s (--login-url, --time-budget, --max-tests, ...)."""
    if (url is None) == (suite is None):
        fail("give a URL to explore, or --suite DIR to run a committed suite (one of the two)")
    extra = list(ctx.args)
    out.mkdir(parents=True, exist_ok=True)
    patch = ""
    if suite is not None:
        if extra:
            fail(f"with --suite only --base-url and --out apply, not {' '.join(extra)}")
        work = _copy_suite(suite, out)
        args = ["test", str(work), "--out", str(out)]
        if base_url:
            args += ["--base-url", base_url]
        code = _invoke(args)
        patch = _write_patch(suite, work, out)
    else:
        assert url is not None
        code = _invoke(["run", url, "--out", str(out), *extra])
    _outputs(out, code, patch, suite, github)
    raise typer.Exit(code)


def _copy_suite(suite: Path, out: Path) -> Path:
    """The committed suite copied into the run directory (heals edit the copy)."""
    if not (suite / "suite.json").is_file():
        fail(f"{suite} has no suite.json: point --suite at the tests directory qaforge wrote")
    work = out / "suite"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(
        suite, work, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"), symlinks=True
    )
    return work


def _write_patch(suite: Path, work: Path, out: Path) -> str:
    from qaforge.integrations.ci_summary import heal_patch

    label = os.path.relpath(suite.resolve(), Path.cwd().resolve())
    text = heal_patch(suite, work, label if not label.startswith("..") else suite.name)
    path = out / PATCH
    if text:
        path.write_text(text, encoding="utf-8")
        return PATCH
    path.unlink(missing_ok=True)
    return ""


def _outputs(out: Path, code: int, patch: str, suite: Path | None, github: bool | None) -> None:
    """ci-summary.md, and GitHub Actions' files and annotations."""
    from qaforge.contracts.summary import RunSummary
    from qaforge.integrations.ci_summary import markdown, workflow_commands
    from qaforge.models import RunResults

    summary_path = out / "summary.json"
    if not summary_path.is_file():
        # The run stopped before its report (a usage error said why): nothing to summarise.
        if code != EXIT_USAGE:
            console.print(f"no summary.json in {out}: the run ended before its report")
        return
    summary = RunSummary.load(summary_path)
    results_path = out / "results.json"
    results = (
        RunResults.model_validate_json(results_path.read_text(encoding="utf-8"))
        if results_path.is_file()
        else None
    )
    text = markdown(summary, results, patch)
    (out / CI_SUMMARY).write_text(text, encoding="utf-8")
    console.print(f"pull-request summary: {out / CI_SUMMARY}", highlight=False)
    if github is None:
        github = os.environ.get("GITHUB_ACTIONS") == "true"
    if not github:
        return
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(text + "\n")
    suite_label = str(suite) if suite is not None else str(out / "tests")
    for line in workflow_commands(summary, results, suite_label):
        print(line, flush=True)
    outputs = os.environ.get("GITHUB_OUTPUT")
    if outputs:
        rate = "" if summary.pass_rate is None else f"{summary.pass_rate:.4f}"
        with open(outputs, "a", encoding="utf-8") as f:
            f.write(f"exit-code={code}\n")
            f.write(f"pass-rate={rate}\n")
            f.write(f"report={summary.artifacts.report_html}\n")
            f.write(f"summary-md={out / CI_SUMMARY}\n")
            f.write(f"patch={out / patch if patch else ''}\n")


def ci_comment(
    summary: Path = typer.Argument(..., help="the ci-summary.md `qaforge ci` wrote"),
    pr: int | None = typer.Option(
        None, "--pr", help="pull request number (default: from GITHUB_EVENT_PATH)"
    ),
    repo: str | None = typer.Option(None, "--repo", help="owner/name (default GITHUB_REPOSITORY)"),
    token_env: str = typer.Option(
        "GITHUB_TOKEN", "--token-env", help="environment variable holding the token"
    ),
) -> None:
    """Post (or update) the run's summary as a comment on the pull request."""
    import asyncio

    from qaforge.integrations.github import API, GitHub, pull_request_number

    if not summary.is_file():
        fail(f"{summary} does not exist: run `qaforge ci` first")
    number = pr or pull_request_number(os.environ.get("GITHUB_EVENT_PATH"))
    if number is None:
        fail("no pull request: give --pr N (or run on a pull_request event)")
    repository = repo or os.environ.get("GITHUB_REPOSITORY")
    if not repository or "/" not in repository:
        fail("no repository: give --repo OWNER/NAME (or set GITHUB_REPOSITORY)")
    token = os.environ.get(token_env)
    if not token:
        fail(f"{token_env} is not set: the comment needs a token with pull-requests: write")
    gh = GitHub(repository, token, os.environ.get("GITHUB_API_URL") or API)
    url = asyncio.run(gh.upsert_comment(number, summary.read_text(encoding="utf-8")))
    console.print(f"commented on {repository}#{number}: {url}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command(
        "ci",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(ci)
    app.command("ci-comment")(ci_comment)
