"""The Node toolchain a TypeScript suite needs (@playwright/test, typescript), installed once."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from qaforge.errors import UserError

RUNTIME = Path(__file__).parent / "ts_runtime"


class ToolchainError(UserError):
    """npm is missing or the install failed: the user's machine lacks something (exit 2)."""


def default_cache_root() -> Path:
    """Where the toolchain is kept between runs: the user's cache, shared by every run and
    every `QAFORGE_HOME` (one install of the pinned lock serves them all)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qaforge"


def ensure_toolchain(cache_root: Path) -> Path:
    """`node_modules` for generated TS suites, from the pinned lock file (cached by its hash)."""
    lock = (RUNTIME / "package-lock.json").read_bytes()
    key = hashlib.sha256(lock).hexdigest()[:12]
    target = cache_root / f"ts-runtime-{key}"
    if (target / "node_modules" / ".bin" / "playwright").exists():
        return target / "node_modules"
    npm = shutil.which("npm")
    if npm is None:
        raise ToolchainError(
            "running a TypeScript suite needs Node.js and npm, and npm is not installed "
            "(Debian: apt-get install nodejs npm)"
        )
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(RUNTIME / name, target / name)
    env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
    proc = subprocess.run(
        # --prefer-offline: what the npm cache holds is installed without the network.
        [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise ToolchainError("npm ci failed: " + proc.stderr.strip()[-500:])
    return target / "node_modules"


def link_toolchain(suite_dir: Path, node_modules: Path) -> None:
    """Make the suite directory see the toolchain (a symlink, nothing copied)."""
    link = suite_dir / "node_modules"
    if link.is_symlink() or link.exists():
        return
    link.symlink_to(node_modules, target_is_directory=True)
