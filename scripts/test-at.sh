#!/usr/bin/env bash
# The whole test suite with the clock shifted by libfaketime (built by its PyPI package):
#   bash scripts/test-at.sh "2027-03-28 00:55:00" [pytest arguments…]
# The instant is in UTC and the clock keeps running from it, the same for every process the
# suite starts (Python, PostgreSQL, Mosquitto). Monotonic clocks stay real, so timeouts
# and waits behave as usual. Tests must pass at any instant: see the README (developers).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
  echo "usage : scripts/test-at.sh 'AAAA-MM-JJ hh:mm:ss' (UTC) [arguments de pytest…]" >&2
  exit 2
fi
instant=$1
shift
# libfaketime as built by its PyPI package (Debian's 0.9.10 makes Python's time.sleep fail
# with EINVAL when monotonic clocks are left real).
lib=$(.venv/bin/python -c 'import pathlib, libfaketime; print(next(pathlib.Path(libfaketime.__file__).parent.rglob("libfaketime.so.1")))' 2>/dev/null) || {
  echo "Installation de libfaketime (pip)…" >&2
  .venv/bin/python -m pip install --quiet -e '.[test,clock]'
  lib=$(.venv/bin/python -c 'import pathlib, libfaketime; print(next(pathlib.Path(libfaketime.__file__).parent.rglob("libfaketime.so.1")))')
}
paris=$(.venv/bin/python -c 'import sys, datetime, zoneinfo; t = datetime.datetime.fromisoformat(sys.argv[1]).replace(tzinfo=datetime.timezone.utc); print(t.astimezone(zoneinfo.ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y %H:%M:%S %Z"))' "$instant")
echo "Horloge décalée : $instant UTC, soit $paris à Paris." >&2
# An offset from the real clock, the same for every process: with "@instant" each process
# would start its own clock at the instant when it starts, and a server started ten minutes
# into the suite would run ten minutes behind the tests that talk to it.
offset=$(.venv/bin/python -c 'import sys, time, datetime; t = datetime.datetime.fromisoformat(sys.argv[1]).replace(tzinfo=datetime.timezone.utc); print(f"{round(t.timestamp() - time.time()):+d}")' "$instant")
export TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME="$offset" LD_PRELOAD="$lib"
exec bash scripts/test.sh "$@"
