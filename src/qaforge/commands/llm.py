"""`qaforge llm check` (does the endpoint answer, which models it lists) and `qaforge llm
prompts` (the prompts in use, built-in or overridden, each checked)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from qaforge.commands.common import EXIT_USAGE, console, fail, print_json, settings_or_exit

llm_app = typer.Typer(help="The language model qaforge may use (any OpenAI-compatible endpoint).")


@llm_app.command("check")
def check(
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Say whether the configured endpoint answers and lists the configured models."""
    from qaforge.llm.client import EndpointCheck, LLMClient
    from qaforge.llm.endpoint import LLMEndpoint, LLMNotConfigured

    settings = settings_or_exit(config)
    try:
        endpoint = LLMEndpoint.required(settings, "`qaforge llm check`")
    except LLMNotConfigured as exc:
        fail(str(exc))

    async def go() -> EndpointCheck:
        client = LLMClient(endpoint)
        try:
            return await client.check()
        finally:
            await client.close()

    found = asyncio.run(go())
    if json_out:
        print_json({**asdict(found), "ok": found.ok})
    else:
        table = Table(title=f"language model at {found.url}", show_header=False)
        table.add_row("answers", f"yes, in {found.seconds:.2f} s" if found.reachable else "no")
        if found.error:
            table.add_row("error", found.error)
        for model, listed in sorted(found.wanted.items()):
            table.add_row(f"model {model}", "listed" if listed else "NOT listed")
        if found.reachable:
            shown = ", ".join(found.models[:12]) + (" ..." if len(found.models) > 12 else "")
            table.add_row("models listed", shown or "none")
        console.print(table)
    if not found.ok:
        raise typer.Exit(EXIT_USAGE)


@llm_app.command("prompts")
def prompts(
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """List the prompts in use (a file in QAFORGE_PROMPTS_DIR overrides a built-in one)."""
    from qaforge.contracts.answers import ANSWERS
    from qaforge.llm.prompts import PromptError, PromptLibrary

    settings = settings_or_exit(config)
    library = PromptLibrary(ANSWERS, settings.prompts_dir)
    try:
        found = library.all()
    except PromptError as exc:
        fail(str(exc))
    if json_out:
        print_json(
            [
                {
                    "name": p.name,
                    "variant": p.variant,
                    "tier": p.tier.value,
                    "answer": p.answer.__name__,
                    "path": str(p.path),
                }
                for p in found
            ]
        )
        return
    table = Table(title="prompts")
    for col in ("name", "variant", "tier", "answer", "file"):
        table.add_column(col)
    for p in found:
        table.add_row(p.name, p.variant, p.tier.value, p.answer.__name__, str(p.path))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Attach the `llm` group."""
    app.add_typer(llm_app, name="llm")
