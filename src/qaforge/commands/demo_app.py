"""`qaforge demo-app`: serve the bundled demo shop, optionally with one seeded fault."""

from __future__ import annotations

import typer

from qaforge.commands.common import console, fail, stdout


def demo_app(
    port: int = typer.Option(8000, "--port", help="port to listen on"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind"),
    bug: str | None = typer.Option(None, "--bug", help="switch one seeded fault on"),
    list_bugs: bool = typer.Option(False, "--list-bugs", help="list the seeded faults and exit"),
) -> None:
    """Serve the demo shop (login demo/demo) until interrupted."""
    import uvicorn

    from qaforge.demoapp.app import create_app
    from qaforge.demoapp.bugs import BUGS, BugConfig

    if list_bugs:
        for name, effect in sorted(BUGS.items()):
            stdout.print(f"[bold]{name}[/]  {effect}", highlight=False)
        return
    if bug is not None and bug not in BUGS:
        fail(f"unknown bug {bug!r}; choose one of: {', '.join(sorted(BUGS))}")
    app = create_app(BugConfig(bug))
    suffix = f" with bug [bold]{bug}[/]" if bug else ""
    console.print(f"Demo Shop on [link]http://{host}:{port}[/link]{suffix} (login demo/demo)")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    """Attach `demo-app`."""
    app.command("demo-app")(demo_app)
