#!/usr/bin/env bash
# Pre-install the toolchain generated TypeScript suites use (@playwright/test, typescript).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -c 'from pathlib import Path; from qaforge.generate.ts_toolchain import ensure_toolchain; print(ensure_toolchain(Path.home() / ".cache" / "qaforge"))'
