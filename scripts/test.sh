#!/usr/bin/env bash
# The whole test suite, against SQLite and a real PostgreSQL started here.
set -euo pipefail
cd "$(dirname "$0")/.."
# Scratch files in memory when the machine has room for them (a tmpfs /dev/shm with 2 GB
# free): the suite makes about a thousand PostgreSQL databases (file copies of a template)
# and as many SQLite files, and on a disk shared with other jobs each costs from a few
# milliseconds to a second of I/O. BEFFROI_TEST_TMP=/some/dir chooses the place instead.
scratch_parent() {
  if [ -n "${BEFFROI_TEST_TMP:-}" ]; then echo "$BEFFROI_TEST_TMP"; return; fi
  local free_kb
  free_kb=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')
  if [ -w /dev/shm ] && [ "${free_kb:-0}" -ge $((2 * 1024 * 1024)) ]; then
    echo /dev/shm
  else
    echo "${TMPDIR:-/tmp}"
  fi
}
PG_PARENT=$(scratch_parent)
# The tests' temporary files (pytest's tmp_path, Chromium's profiles…) go there too: those
# of a passed test as soon as it ends (tmp_path_retention_policy), all when the suite ends.
SCRATCH=$(mktemp -d "$PG_PARENT/beffroi-tests.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
source scripts/pg.sh
source scripts/mosquitto.sh
source scripts/nginx.sh
# Browser tests drive Debian's Chromium through Playwright (never `playwright install`).
if ! command -v chromium >/dev/null 2>&1; then
  echo "Installation de Chromium (apt)…" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
fi
# The waste collection example is part of the suite (its tests are in testpaths): a venv
# made before it existed gets it here, as `make install` does.
if ! .venv/bin/python -c "import beffroi_dechets" 2>/dev/null; then
  echo "Installation de l'exemple examples/beffroi-dechets…" >&2
  .venv/bin/python -m pip install --quiet --no-deps -e examples/beffroi-dechets
fi
export BEFFROI_REQUIRE_BROWSER=1
export BEFFROI_REQUIRE_MQTT=1
export BEFFROI_REQUIRE_NGINX=1
trap 'stop_pg; rm -rf "$SCRATCH"' EXIT
export TMPDIR=$SCRATCH
export BEFFROI_REQUIRE_PG=1
# Each pytest process (one per worker) rewrites the asserts of the test modules and compiles
# them: ~6 s of CPU each at every run when bytecode is never written (PYTHONDONTWRITEBYTECODE).
# Then the suite keeps it in a cache of its own, out of the source tree and the venv.
if [ -n "${PYTHONDONTWRITEBYTECODE:-}" ]; then
  export PYTHONPYCACHEPREFIX=${PYTHONPYCACHEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/beffroi/pycache}
  unset PYTHONDONTWRITEBYTECODE
fi
mkdir -p test-output
# In parallel (pytest-xdist): one process per CPU plus two, since many tests wait on a
# browser, a broker or a server rather than compute (on 2 CPUs, 4 workers: 12 min 24 s
# against 12 min 49 s with 3, December 2026). A file's tests stay on one worker
# (--dist loadfile) so that the expensive module fixtures (demo builds) are built once.
WORKERS=${BEFFROI_TEST_WORKERS:-$(( $(nproc) + 2 ))}
set +e
.venv/bin/python -m pytest -p no:cacheprovider -o tmp_path_retention_policy=failed \
  -n "$WORKERS" --dist loadfile "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "Aucun test exécuté : échec." >&2
  exit 1
fi
exit "$status"
