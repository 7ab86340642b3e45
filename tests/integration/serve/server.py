"""`qaforge serve` as a real process, and the accounts its tests use (made in its database)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from qaforge.demoapp.launcher import free_port
from qaforge.serve.accounts import create_key, ensure_tenant
from qaforge.serve.security import Role
from qaforge.store.database import Database
from qaforge.store.migrate import ensure_schema

QAFORGE = str(Path(sys.executable).parent / "qaforge")
ROOT = Path(__file__).resolve().parents[3]


def server_env(home: Path, **extra: str) -> dict[str, str]:
    e = dict(os.environ)
    e.update({"QAFORGE_HOME": str(home), "PYTHONPATH": str(ROOT), "COLUMNS": "200"})
    # The server's runs log in with their projects' references, never with these.
    for name in ("QAFORGE_DATABASE_URL", "QAFORGE_USERNAME", "QAFORGE_PASSWORD"):
        e.pop(name, None)
    e.update(extra)
    return e


@dataclass
class Server:
    """One `qaforge serve` on a free port, its home and log."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / f"serve-{self.port}.log"

    def start(self, timeout_s: float = 60) -> Server:
        self.home.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [QAFORGE, "serve", "--port", str(self.port), "--drain", "3", *self.args],
            cwd=ROOT,
            env=server_env(self.home, **self.env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"qaforge serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"qaforge serve did not answer: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def kill(self) -> None:
        """kill -9: no drain, no shutdown."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def make_keys(home: Path, tenants: list[str]) -> dict[tuple[str, Role], str]:
    """A key per tenant and role, in the database of `home`."""
    home.mkdir(parents=True, exist_ok=True)
    return make_keys_in(f"sqlite:///{home / 'qaforge.db'}", tenants)


def wait_for(
    client: httpx.Client, run_id: str, done: Any, timeout_s: float = 300
) -> dict[str, Any]:
    """Poll a run until `done(run)` holds; the run's last state."""
    deadline = time.monotonic() + timeout_s
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = client.get(f"/api/v2/runs/{run_id}")
        r.raise_for_status()
        last = r.json()
        if done(last):
            return last
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not get there in {timeout_s}s: {last}")


def make_keys_in(url: str, tenants: list[str]) -> dict[tuple[str, Role], str]:
    """A key per tenant and role, in the database at `url` (PostgreSQL, say, for a server
    sharing its database with `qaforge worker` processes)."""

    async def go() -> dict[tuple[str, Role], str]:
        await asyncio.to_thread(ensure_schema, url)
        db = Database(url)
        try:
            keys: dict[tuple[str, Role], str] = {}
            for name in tenants:
                tenant = await ensure_tenant(db, name, actor="test")
                for role in Role:
                    _, token = await create_key(db, tenant, role, name=role.value, actor="test")
                    keys[(name, role)] = token
            return keys
        finally:
            await db.dispose()

    return asyncio.run(go())
