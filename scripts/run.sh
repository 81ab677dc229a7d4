#!/usr/bin/env bash
# `make run`: migrate, seed an empty directory, then run the web app, the job worker and
# (unless MAIL_SERVER is set) the local SMTP server together; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

flask=(.venv/bin/flask --app wsgi)
"${flask[@]}" db upgrade
"${flask[@]}" clinics seed

pids=()
stop_all() {
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

"${flask[@]}" mailsink & pids+=($!)
"${flask[@]}" worker & pids+=($!)
"${flask[@]}" run --host 127.0.0.1 --port "${PORT:-5000}" & pids+=($!)

echo "ClinicFinder: http://127.0.0.1:${PORT:-5000}  (Ctrl-C stops the web app, the worker and the mail server)"
# Stop everything as soon as the web app or the worker exits.
wait -n "${pids[1]}" "${pids[2]}"
