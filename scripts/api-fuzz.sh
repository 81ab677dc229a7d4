#!/usr/bin/env bash
# `make api-fuzz`: a bounded schemathesis run (`--checks all`) of the JSON API against its own
# OpenAPI document, on a throw-away seeded instance served by the development server.
# Exits non-zero on any failure. EXAMPLES (default 60) bounds the cases per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${VENV:-.venv}/bin

instance=$(mktemp -d -t clinicfinder-fuzz-XXXXXX)
port=$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export APP_ENV=development INSTANCE_DIR="$instance" REPORTS_DIR="$instance/reports" PORT="$port"
flask=("$bin/flask" --app wsgi)
"${flask[@]}" db upgrade >/dev/null 2>&1
"${flask[@]}" clinics seed >/dev/null

"${flask[@]}" run --host 127.0.0.1 --port "$port" >"$instance/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$instance"' EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/api/v1/openapi.json" >/dev/null 2>&1 && break
  sleep 0.2
done

# Run from the instance folder: schemathesis keeps its crash cache in ./.schemathesis.
config="$PWD/scripts/schemathesis.toml"
schemathesis="$PWD/$bin/schemathesis"
[[ "$bin" = /* ]] && schemathesis="$bin/schemathesis"
(cd "$instance" && "$schemathesis" --no-color --config-file "$config" run \
  "http://127.0.0.1:$port/api/v1/openapi.json" --checks all --max-examples "${EXAMPLES:-60}" \
  --seed "${SEED:-16}" --workers 1 --request-timeout 30 --generation-database none "$@")
