#!/usr/bin/env bash
# Runs the test suite; a run that collects no test at all is a failure, not a pass.
set -uo pipefail
python=${1:-python3}
"$python" -m pytest "${@:2}"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$status"
