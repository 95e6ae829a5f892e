#!/usr/bin/env bash
# The test command: lint, format check, type check, then the whole pytest suite
# (unit, property-based, integration across real pcscd / Mosquitto / PostgreSQL / Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
. .venv/bin/activate

# A PostgreSQL server for the database tests: the local one if it answers, else our own.
if [ -z "${CLINICBOX_TEST_PG_URL:-}" ]; then
  CLINICBOX_TEST_PG_URL=$(python -m clinicbox.runtime.postgres ensure)
  export CLINICBOX_TEST_PG_URL
fi
echo "test: PostgreSQL at ${CLINICBOX_TEST_PG_URL}"

ruff check .
ruff format --check .
mypy clinicbox clinicbox_core edge_agent cloud_plane devsim nhi_sandbox bench
# Two workers by default: most tests wait on processes, brokers and browsers rather than compute.
# Each worker has its own private pcscd (tests/conftest.py); a test file stays on one worker.
pytest -q -p no:cacheprovider -n "${CLINICBOX_TEST_WORKERS:-2}" --dist loadfile "$@"
