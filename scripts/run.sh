#!/usr/bin/env bash
# `make run`: migrate, seed an empty directory, then run the web app, the job worker and
# (unless MAIL_SERVER is set) the local SMTP server together; Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

# The app's own settings (environment over .env) decide the port and the mail server;
# a bad setting stops here with one line saying which.
settings=$(.venv/bin/python -c 'from clinicfinder.config import main; raise SystemExit(main())') || exit 2
port=$(sed -n 's/^PORT=//p' <<<"$settings")
local_mail=$(sed -n 's/^LOCAL_MAIL=//p' <<<"$settings")
mail_port=$(sed -n 's/^MAIL_PORT=//p' <<<"$settings")

flask=(.venv/bin/flask --app wsgi)
"${flask[@]}" db upgrade
"${flask[@]}" clinics seed

pids=()
stop_all() {
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  exit 0
}
trap stop_all INT TERM
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

if [ "$local_mail" = 1 ]; then
  "${flask[@]}" mailsink & pids+=($!)
  # The web app's first /healthz would otherwise find no relay yet: wait (at most 30 s) until it listens.
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$mail_port") 2>/dev/null && break
    kill -0 "${pids[0]}" 2>/dev/null || { echo "run.sh: the local mail server did not start." >&2; exit 1; }
    sleep 0.1
  done
fi
"${flask[@]}" worker & pids+=($!)
"${flask[@]}" run --host 127.0.0.1 --port "$port" & pids+=($!)

echo "ClinicFinder: http://127.0.0.1:$port  (Ctrl-C stops everything)"
# If any of them stops (a port already taken, a crash), stop the rest and say so.
set +e
wait -n "${pids[@]}"
status=$?
echo "run.sh: a process stopped (exit $status); stopping the others." >&2
kill "${pids[@]}" 2>/dev/null
wait 2>/dev/null
exit "$status"
