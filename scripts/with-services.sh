#!/usr/bin/env bash
# Run a command against a throw-away PostgreSQL cluster and Redis server on loopback, then stop both.
#   scripts/with-services.sh .venv/bin/pytest -x
# The command sees CLINICFINDER_TEST_POSTGRES (a server URL, no database) and CLINICFINDER_TEST_REDIS;
# tests/support/instances.py then gives every test its own database and Redis database. Nothing is kept:
# fsync is off because the cluster lives in a temporary folder that is deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pg_bin" ] && command -v initdb >/dev/null; then pg_bin=$(dirname "$(command -v initdb)"); fi
[ -n "$pg_bin" ] || { echo "with-services.sh: PostgreSQL is not installed (make system-deps)" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "with-services.sh: redis-server is not installed (make system-deps)" >&2; exit 2; }

free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

workdir=$(mktemp -d /tmp/clinicfinder-services.XXXXXX)
pg_port=$(free_port)
redis_port=$(free_port)
# initdb refuses to run as root: the cluster belongs to an unprivileged user.
pg_user=postgres
id -u "$pg_user" >/dev/null 2>&1 || pg_user=nobody
as_pg=()
[ "$(id -u)" = 0 ] && as_pg=(runuser -u "$pg_user" --)
chown "$pg_user" "$workdir" 2>/dev/null || true
chmod 755 "$workdir"

redis_pid=""
stop_services() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$workdir/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  rm -rf "$workdir"
}
trap stop_services EXIT

"${as_pg[@]}" "$pg_bin/initdb" -D "$workdir/pg" -U clinicfinder --auth=trust -E UTF8 --locale=C.UTF-8 >"$workdir/initdb.log" 2>&1 \
  || { cat "$workdir/initdb.log" >&2; exit 2; }
# In the cluster's own configuration, so a fault test that stops and starts it gets the same server back.
cat >>"$workdir/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$workdir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
CONF
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$workdir/pg" -l "$workdir/pg.log" -w start >/dev/null \
  || { cat "$workdir/pg.log" >&2; exit 2; }
# Thousands of databases: every test gets its own, so nothing is flushed under a live worker.
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --databases 4096 \
  --dir "$workdir" --logfile "$workdir/redis.log" &
redis_pid=$!
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

export CLINICFINDER_TEST_POSTGRES="postgresql+psycopg://clinicfinder@127.0.0.1:$pg_port"
export CLINICFINDER_TEST_REDIS="redis://127.0.0.1:$redis_port"
export CLINICFINDER_TEST_PG_CTL="${as_pg[*]} $pg_bin/pg_ctl -D $workdir/pg -l $workdir/pg.log"
echo "with-services.sh: PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port" >&2
set +e
"$@"
status=$?
exit $status
