#!/usr/bin/env bash
# The action's first step: qaforge from this action's own checkout, and a Chromium.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v qaforge >/dev/null 2>&1; then
  python3 -m pip install --quiet "$here"
fi
# Debian/Ubuntu's Chromium when there is one (QAFORGE_CHROMIUM names another); else
# Playwright's own, with the system libraries it needs.
if [ -z "${QAFORGE_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 \
    && ! ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium* >/dev/null 2>&1; then
  python3 -m playwright install --with-deps chromium
fi
qaforge --help >/dev/null
