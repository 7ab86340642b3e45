#!/usr/bin/env bash
# The action's comment step: the run's summary on the pull request, one comment kept current.
set -euo pipefail
summary="${INPUT_OUT:-qaforge-out}/ci-summary.md"
if [ ! -f "$summary" ]; then
  echo "::warning title=qaforge::no $summary to comment (the run stopped before its report)"
  exit 0
fi
qaforge ci-comment "$summary"
