#!/usr/bin/env bash
# `make demo`: start the demo shop on a free port, run the whole pipeline against it with its
# login, print the summary and where the report is, stop the shop. The shop has deliberate
# defects, so the run is expected to exit 1; 2 (usage/environment) or a missing report fails.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-$PWD/demo-out}
PY=.venv/bin/python
PORT=$($PY -c 'from qaforge.demoapp.launcher import free_port; print(free_port())')
LOG=$(mktemp -t qaforge-demo-app.XXXXXX.log)
$PY -m qaforge.demoapp --port "$PORT" >"$LOG" 2>&1 &
APP_PID=$!
trap 'kill $APP_PID 2>/dev/null; wait $APP_PID 2>/dev/null' EXIT
for _ in $(seq 1 50); do
  $PY -c "import httpx,sys; sys.exit(httpx.get('http://127.0.0.1:$PORT/').status_code != 200)" 2>/dev/null && break
  sleep 0.2
done
echo "demo shop on http://127.0.0.1:$PORT (log: $LOG)"
export QAFORGE_USERNAME=demo QAFORGE_PASSWORD=demo
.venv/bin/qaforge run "http://127.0.0.1:$PORT" --out "$OUT" --login-url /login --app demo-shop
code=$?
if [ "$code" = 2 ] || [ ! -s "$OUT/report.html" ] || [ ! -s "$OUT/summary.json" ]; then
  echo "make demo: the run failed (exit $code) or left no report" >&2
  exit 1
fi
echo
echo "report: $OUT/report.html  (also report.pdf, report.md, junit.xml, summary.json)"
if [ "$code" = 1 ]; then
  echo "exit code 1 is expected: the demo shop has deliberate defects, reported as findings."
fi
exit 0
