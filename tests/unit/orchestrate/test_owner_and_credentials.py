"""A run's owner is interrupted when its process is gone; a resume names missing credentials."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from qaforge.contracts.tasks import ObserveRequest
from qaforge.models import Auth, Target
from qaforge.orchestrate.orchestrator import missing_credentials
from qaforge.orchestrate.request import RunRequest
from qaforge.orchestrate.runs import owner_is_gone

HOST = socket.gethostname()


def test_an_owner_whose_process_was_killed_is_gone() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owner = f"{HOST}:{proc.pid}:abc"
    try:
        assert not owner_is_gone(owner)
    finally:
        proc.kill()
    proc.wait(10)
    assert owner_is_gone(owner)


def test_a_killed_owner_not_yet_reaped_is_gone() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    proc.kill()
    # Not waited for yet: a zombie until its parent reaps it.
    import time

    time.sleep(0.5)
    try:
        assert owner_is_gone(f"{HOST}:{proc.pid}:abc")
    finally:
        proc.wait(10)


def test_owners_that_cannot_be_checked_from_here_are_not_gone() -> None:
    assert not owner_is_gone(f"{HOST}:{os.getpid()}:me")
    assert not owner_is_gone(f"another-host-{HOST}:1:x")
    assert not owner_is_gone(None)
    assert not owner_is_gone("garbage")


def _request(auth: Auth) -> RunRequest:
    observe = ObserveRequest(target=Target(url="http://127.0.0.1:1/", auth=auth), out_dir="o")
    return RunRequest(observe=observe, out_dir="o", app="a")


def test_missing_credentials_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = Auth(
        login_url="/login",
        username_ref="env:QAFORGE_USERNAME",
        password_ref="env:QAFORGE_PASSWORD",
    )
    monkeypatch.delenv("QAFORGE_USERNAME", raising=False)
    monkeypatch.delenv("QAFORGE_PASSWORD", raising=False)
    assert missing_credentials(_request(auth)) == ["QAFORGE_USERNAME", "QAFORGE_PASSWORD"]
    monkeypatch.setenv("QAFORGE_USERNAME", "u")
    monkeypatch.setenv("QAFORGE_PASSWORD", "p")
    assert missing_credentials(_request(auth)) == []
    assert missing_credentials(_request(Auth())) == []
