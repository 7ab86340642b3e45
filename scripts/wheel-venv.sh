#!/usr/bin/env bash
# Build qaforge's wheel and install it WITHOUT the dev extra into a venv of its own, pinned by
# constraints.txt: what a user of `pip install qaforge` gets. Prints the venv's path last.
#
# The wheel is built from a clean copy of pyproject.toml, README.md and src/ (no stale build/,
# no egg-info) with the dev venv's pinned setuptools (--no-build-isolation: offline, fast).
# The venv is cached under $QAFORGE_WHEEL_CACHE (default .venv/wheel) as venv-<deps key>, the
# key a hash of constraints.txt, the wheel's Requires-Dist and the Python version: a rerun
# with the same dependencies only reinstalls the qaforge wheel itself (--no-deps), and not even
# that when the wheel's contents (its RECORD hashes) did not change. uv installs (its cache is
# used); the dev venv's pip builds the wheel and checks the result.
# `.venv/wheel/current` points at the venv in use; older venvs are removed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEVPY=$ROOT/.venv/bin/python
PYTHON=${PYTHON:-python3}
CACHE=${QAFORGE_WHEEL_CACHE:-$ROOT/.venv/wheel}
log() { echo "wheel-venv: $*" >&2; }
# pip, with this machine's notes about find-links/index paths that do not exist filtered out.
pip_() {
  "$DEVPY" -m pip "$@" 2>&1 | { grep -v "^WARNING: Location 'file://.*' is ignored" || true; } >&2
}

[ -x "$DEVPY" ] || { log "no dev venv at .venv: run make install first"; exit 2; }
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # one build/install at a time (two `make test` at once share the cache)

work=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/dist"
tar -C "$ROOT" --exclude=__pycache__ --exclude='*.pyc' --exclude='*.egg-info' \
  -cf - pyproject.toml README.md src | tar -C "$work/src" -xf -
pip_ wheel -q --no-deps --no-build-isolation -w "$work/dist" "$work/src"
whl=$(ls "$work"/dist/qaforge-*.whl)

read -r depkey wheelkey < <("$DEVPY" - "$whl" constraints.txt "$("$PYTHON" -c 'import sys; print(sys.version)')" <<'EOF'
import hashlib, sys, zipfile
whl, constraints, pyver = sys.argv[1:4]
with zipfile.ZipFile(whl) as z:
    names = z.namelist()
    meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    record = z.read(next(n for n in names if n.endswith(".dist-info/RECORD")))
requires = sorted(line for line in meta.splitlines() if line.startswith("Requires-Dist:"))
deps = hashlib.sha256()
for part in (open(constraints, "rb").read(), "\n".join(requires).encode(), pyver.encode()):
    deps.update(part + b"\0")
print(deps.hexdigest()[:16], hashlib.sha256(record).hexdigest()[:16])
EOF
)

venv=$CACHE/venv-$depkey
pyv=(--python "$venv/bin/python")
if [ ! -f "$venv/.deps-ok" ]; then
  log "creating $venv (qaforge wheel + runtime dependencies, pinned by constraints.txt)"
  rm -rf "$venv"
  "$PYTHON" -m venv --without-pip "$venv"
  "$ROOT/.venv/bin/uv" pip install -q --compile-bytecode "${pyv[@]}" -c constraints.txt "$whl"
  touch "$venv/.deps-ok"
  echo "$wheelkey" >"$venv/.wheel-key"
elif [ "$(cat "$venv/.wheel-key" 2>/dev/null)" != "$wheelkey" ]; then
  log "reinstalling the qaforge wheel in $venv (dependencies unchanged)"
  "$ROOT/.venv/bin/uv" pip install -q --compile-bytecode "${pyv[@]}" --no-deps --reinstall "$whl"
  echo "$wheelkey" >"$venv/.wheel-key"
fi
pip_ "${pyv[@]}" check || { log "pip check failed in $venv"; exit 1; }

rm -rf "$CACHE/dist" && mkdir -p "$CACHE/dist" && cp "$whl" "$CACHE/dist/"
ln -sfn "venv-$depkey" "$CACHE/current"
for old in "$CACHE"/venv-*; do
  [ "$old" = "$venv" ] || rm -rf "$old"
done
echo "$venv"
