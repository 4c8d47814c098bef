#!/usr/bin/env bash
# The whole test suite, against SQLite and a real PostgreSQL started here.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg.sh
source scripts/mosquitto.sh
export BEFFROI_REQUIRE_MQTT=1
trap stop_pg EXIT
export BEFFROI_REQUIRE_PG=1
mkdir -p test-output
set +e
.venv/bin/python -m pytest -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "Aucun test exécuté : échec." >&2
  exit 1
fi
exit "$status"
