"""`qaforge worker --agent TYPE [--concurrency N] --bus redis://...`: serve one agent type."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import typer

from qaforge.commands.common import console, fail, note_endpoint, settings_or_exit
from qaforge.config import Settings


async def serve(
    settings: Settings,
    agent_type: str,
    bus_url: str,
    *,
    concurrency: int = 1,
    catalog: str | None = None,
    heartbeat_s: float = 5.0,
    reclaim_idle_s: float = 30.0,
    stale_after_s: float = 30.0,
    drain_timeout_s: float = 30.0,
) -> None:
    """Run one agent of `agent_type` until SIGTERM/SIGINT, then drain and deregister."""
    from qaforge.agents.catalog import Catalog
    from qaforge.agents.registry import AgentRegistry
    from qaforge.bus import open_bus
    from qaforge.store.database import Database
    from qaforge.store.migrate import ensure_schema
    from qaforge.store.tasks import TaskStore

    agent = Catalog.load(catalog).make(agent_type, settings)
    assert settings.database_url is not None
    await asyncio.to_thread(ensure_schema, settings.database_url)
    db = Database(settings.database_url)
    bus = open_bus(bus_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await agent.start(
            bus,
            AgentRegistry(db, stale_after_s=stale_after_s),
            results=TaskStore(db),
            concurrency=concurrency,
            heartbeat_s=heartbeat_s,
            reclaim_idle_s=reclaim_idle_s,
        )
        console.print(f"worker {agent.agent_id} ({agent_type}) ready on {bus_url}", highlight=False)
        await stop.wait()
        console.print("draining", highlight=False)
        await agent.stop(drain_timeout_s)
    finally:
        await bus.close()
        await db.dispose()


def worker(
    agent: str = typer.Option(..., "--agent", help="agent type: observation, requirements, ..."),
    concurrency: int = typer.Option(1, "--concurrency", min=1, max=64),
    bus: str | None = typer.Option(None, "--bus", help="bus URL (default: settings.bus_url)"),
    catalog: str | None = typer.Option(
        None, "--catalog", help="module:MAPPING of agent types (plugins, tests)"
    ),
    heartbeat: float = typer.Option(5.0, "--heartbeat", min=0.05),
    reclaim_idle: float = typer.Option(
        30.0, "--reclaim-idle", min=0.05, help="seconds before a pending task is reclaimed"
    ),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Serve tasks for one agent type from the bus."""
    from qaforge.agents.catalog import Catalog

    settings = settings_or_exit(config)
    bus_url = bus or settings.bus_url
    note_endpoint("bus", bus_url)
    # Checked before anything starts, cheapest first (each one line, exit 2): the agent type
    # is known, the bus is shared and answers, then the agent's class imports.
    known = Catalog.load(catalog)
    if agent not in known.types:
        fail(f"unknown agent type {agent!r}; known: {', '.join(known.types)}")
    if bus_url.startswith("memory:"):
        fail("a worker needs a shared bus: pass --bus redis://HOST:PORT/DB")
    asyncio.run(ping_bus(bus_url))
    known.agent_class(agent)
    asyncio.run(
        serve(
            settings,
            agent,
            bus_url,
            concurrency=concurrency,
            catalog=catalog,
            heartbeat_s=heartbeat,
            reclaim_idle_s=reclaim_idle,
            stale_after_s=max(30.0, heartbeat * 6),
        )
    )


async def ping_bus(bus_url: str) -> None:
    """Raise `BusError` (one line, exit 2) when the bus at `bus_url` does not answer."""
    from qaforge.bus import BusError, open_bus

    bus = open_bus(bus_url)
    try:
        await bus.ping()
    except BusError as exc:
        raise BusError(f"{exc} — check --bus or QAFORGE_BUS_URL and that Redis is running") from exc
    finally:
        await bus.close()


def register(app: typer.Typer) -> None:
    """Attach `worker`."""
    app.command("worker")(worker)
