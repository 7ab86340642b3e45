#!/usr/bin/env bash
# Install what is missing for qaforge on a Debian machine (idempotent; fast when all is there).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }

PYTHON=${PYTHON:-python3}
if ! have "$PYTHON"; then need_apt+=(python3 python3-venv python3-pip); fi
if have "$PYTHON" && ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then need_apt+=(python3-venv); fi
# A browser: QAFORGE_CHROMIUM, Debian's Chromium, or one Playwright installed itself.
if [ -z "${QAFORGE_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ] \
   && ! ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium-* >/dev/null 2>&1; then
  need_apt+=(chromium)
fi
if [ "${QAFORGE_NEED_NODE:-1}" = 1 ] && ! have npm; then need_apt+=(nodejs npm); fi
if ! have pdftoppm; then need_apt+=(poppler-utils); fi

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${need_apt[*]}"
  if [ "$(id -u)" != 0 ]; then echo "bootstrap: need root to apt-get install ${need_apt[*]}" >&2; exit 2; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
fi

stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then "$PYTHON" -m venv .venv; fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "bootstrap: installing Python dependencies (pinned by constraints.txt)"
  # (pip's notes about configured find-links/index paths that do not exist are filtered out)
  quiet() { "$@" 2>&1 >/dev/null | { grep -v "^WARNING: Location 'file://.*' is ignored" || true; } >&2; }
  # uv installs the pinned set in seconds where pip took two minutes (a fresh clone in CI);
  # pip itself stays in the venv for users and for `pip check`.
  quiet .venv/bin/python -m pip install -q -c constraints.txt uv
  # Bytecode compiled once here: uv leaves it out, and where PYTHONDONTWRITEBYTECODE is set
  # (CI images, containers) every qaforge, worker and pytest process compiled its imports
  # anew, about 5 s of CPU each.
  .venv/bin/uv pip install -q --compile-bytecode --python .venv/bin/python -c constraints.txt \
    -e '.[dev,postgres]'
  touch "$stamp"
fi
# qaforge's own source (an editable install): only what changed is compiled again.
.venv/bin/python -m compileall -q -j 0 src >/dev/null
