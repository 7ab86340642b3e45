"""What the server's routes share: settings, database, orchestrator, runs, metrics."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from qaforge.config import Settings
from qaforge.orchestrate.orchestrator import Orchestrator
from qaforge.serve.accounts import VerifiedKeys
from qaforge.serve.metrics import Metrics
from qaforge.serve.runs import RunManager
from qaforge.serve.security import Passwords
from qaforge.store.database import Database


@dataclass(frozen=True)
class ServeOptions:
    """How the server behaves (the CLI's `qaforge serve` options)."""

    # /metrics without a key (for a scraper on a private network).
    metrics_open: bool = False
    # How long shutdown waits for runs in flight before stopping them (they stay resumable).
    drain_s: float = 10.0
    # Take up the API's runs an earlier server left behind.
    recover: bool = True
    # The session cookie is sent over HTTPS only (behind a TLS proxy).
    secure_cookies: bool = False
    # Requests a minute per client address on login and key endpoints.
    auth_rate_per_minute: int = 20


@dataclass
class ServiceContext:
    settings: Settings
    options: ServeOptions
    orch: Orchestrator
    runs: RunManager
    passwords: Passwords
    metrics: Metrics = field(default_factory=Metrics)
    # The guard's memory of verified keys (a revoke through the API clears its entry).
    keys: VerifiedKeys = field(default_factory=VerifiedKeys)

    @property
    def db(self) -> Database:
        return self.orch.db


def session_secret(settings: Settings) -> str:
    """The key signing session cookies: `$QAFORGE_HOME/session.key`, made once (0600), so that
    sessions survive a restart and never sit in a configuration file."""
    path: Path = settings.home / "session.key"
    if path.is_file():
        text = path.read_text().strip()
        if len(text) >= 32:
            return text
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(secret)
    return secret
