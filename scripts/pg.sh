# Source me: starts a throw-away PostgreSQL on a loopback port, exports BEFFROI_TEST_PG_URL
# and stops it on exit. Installs the server with apt when it is missing.
# Its data go under $PG_PARENT (/tmp unless set): scripts/test.sh points it at memory, where
# the suite's thousand CREATE DATABASE (file copies of the template) cost no disk I/O.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "Installation de PostgreSQL (apt)…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
    || { echo "PostgreSQL introuvable et non installable" >&2; return 1; }
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
PG_DIR=$(mktemp -d "${PG_PARENT:-/tmp}/beffroi-pg.XXXXXX")
PG_PORT=${PG_PORT:-$(( 20000 + RANDOM % 20000 ))}
RUN_AS=()
if [ "$(id -u)" = "0" ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$PG_DIR"
  RUN_AS=(runuser -u postgres --)
fi
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 >/dev/null
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
stop_pg() { "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1; rm -rf "$PG_DIR"; }
export BEFFROI_TEST_PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
