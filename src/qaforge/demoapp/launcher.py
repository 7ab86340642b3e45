"""Start the demo shop as a real subprocess on a free port (for tests, benchmarks, `make demo`)."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from qaforge.demoapp.bugs import BugConfig


class DemoAppError(RuntimeError):
    """The demo app could not be started."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class DemoApp:
    """A running demo shop: `with DemoApp(bug=None) as app: app.url`."""

    def __init__(
        self,
        bug: str | None = None,
        port: int | None = None,
        host: str = "127.0.0.1",
        log_dir: Path | None = None,
        startup_timeout_s: float = 20.0,
    ) -> None:
        BugConfig(bug)  # validates the name before any process starts
        self.bug = bug
        self.host = host
        self.port = port or free_port(host)
        self.startup_timeout_s = startup_timeout_s
        self.log_path = (log_dir or Path(tempfile.gettempdir())) / f"qaforge-demo-{self.port}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> DemoApp:
        """Start the server and wait until `/` answers."""
        cmd = [sys.executable, "-m", "qaforge.demoapp", "--port", str(self.port)]
        cmd += ["--host", self.host]
        if self.bug:
            cmd += ["--bug", self.bug]
        log = self.log_path.open("wb")
        self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise DemoAppError(
                    f"demo app exited with {self._proc.returncode}; see {self.log_path}"
                )
            try:
                if httpx.get(self.url + "/api/products", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise DemoAppError(
            f"demo app did not answer on {self.url} within {self.startup_timeout_s}s"
        )

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def __enter__(self) -> DemoApp:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> DemoApp:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
