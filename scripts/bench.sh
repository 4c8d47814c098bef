#!/usr/bin/env bash
# The benchmarks of bench/: ingest, query and MQTT ingest (through a real Mosquitto) on
# SQLite and on a real PostgreSQL started here, then the idle memory of `beffroi serve`
# on the demo database. Each script prints one JSON line of figures on stdout (progress
# on stderr); they are also collected in test-output/bench.jsonl. Exits non-zero if any
# script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg.sh
source scripts/mosquitto.sh
trap stop_pg EXIT
PY=.venv/bin/python
mkdir -p var test-output
: > test-output/bench.jsonl
status=0

run() {
  local name=$1
  shift
  echo "== $name" >&2
  if ! "$@" | tee -a test-output/bench.jsonl; then
    echo "Benchmark $name en échec." >&2
    status=1
  fi
}

run ingest "$PY" bench/ingest.py --pg-url "$BEFFROI_TEST_PG_URL"
run query "$PY" bench/query.py --pg-url "$BEFFROI_TEST_PG_URL"
run mqtt "$PY" bench/mqtt.py --pg-url "$BEFFROI_TEST_PG_URL"
run ui "$PY" bench/ui.py
run lighting "$PY" bench/lighting.py
run leaks "$PY" bench/leaks.py
run overlapping_leaks "$PY" bench/overlapping_leaks.py
# The demo database (built once, then reused: `beffroi demo` is idempotent).
if .venv/bin/beffroi demo --no-serve --db var/bench-demo.db >&2; then
  run memory "$PY" bench/memory.py --db var/bench-demo.db
else
  echo "Construction de la base de démonstration en échec." >&2
  status=1
fi
exit "$status"
