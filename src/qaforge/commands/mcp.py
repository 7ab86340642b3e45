"""`qaforge mcp`: qaforge as an MCP server for coding assistants (stdio, or streamable HTTP)."""

from __future__ import annotations

from pathlib import Path

import typer

from qaforge.commands.common import settings_or_exit


def mcp(
    http: bool = typer.Option(False, "--http", help="streamable HTTP instead of stdio"),
    host: str = typer.Option("127.0.0.1", "--host", help="with --http: address to listen on"),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="with --http"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Serve qaforge's tools (crawl, generate, run, test, heal, list_runs, run_summary) and a
    run's model, scenarios and report over the Model Context Protocol."""
    from qaforge.integrations.mcp_server import build_server

    server = build_server(settings_or_exit(config))
    if http:
        server.run("streamable-http", host=host, port=port)
    else:
        server.run("stdio")


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp)
