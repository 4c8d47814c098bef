#!/usr/bin/env bash
# The whole test suite, against SQLite and a real PostgreSQL started here.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg.sh
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  echo "Installation de Mosquitto (apt)…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
fi
# The broker itself is started by the tests (tests/connectivity/conftest.py).
systemctl disable --now mosquitto >/dev/null 2>&1 || true
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
