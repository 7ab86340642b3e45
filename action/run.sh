#!/usr/bin/env bash
# The action's `qaforge ci` step, from the INPUT_* variables action.yml sets. It always ends 0
# (the reports are uploaded and the comment is posted after it); the exit code goes to the
# step's outputs, and the action's last step fails with it.
set -uo pipefail
out="${INPUT_OUT:-qaforge-out}"
args=(ci --out "$out")
if [ -n "${INPUT_SUITE:-}" ]; then
  args+=(--suite "$INPUT_SUITE")
  [ -n "${INPUT_BASE_URL:-}" ] && args+=(--base-url "$INPUT_BASE_URL")
elif [ -n "${INPUT_URL:-}" ]; then
  args+=("$INPUT_URL")
  [ -n "${INPUT_LOGIN_URL:-}" ] && args+=(--login-url "$INPUT_LOGIN_URL")
  [ -n "${INPUT_TIME_BUDGET:-}" ] && args+=(--time-budget "$INPUT_TIME_BUDGET")
  [ -n "${INPUT_MAX_TESTS:-}" ] && args+=(--max-tests "$INPUT_MAX_TESTS")
  if [ -n "${INPUT_ARGS:-}" ]; then
    read -r -a extra <<< "$INPUT_ARGS"
    args+=("${extra[@]}")
  fi
else
  echo "::error title=qaforge::give the action a url or a suite"
  echo "exit-code=2" >> "${GITHUB_OUTPUT:-/dev/null}"
  exit 0
fi
qaforge "${args[@]}"
code=$?
# qaforge ci wrote its own outputs when it got as far as a report; the exit code always.
echo "exit-code=$code" >> "${GITHUB_OUTPUT:-/dev/null}"
exit 0
