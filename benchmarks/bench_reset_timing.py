"""Password-reset timing: does the answer's time tell whether an address has an account?

    python -m benchmarks.bench_reset_timing [--probes 60] [--runs 2] [--write]

Each run sends `--probes` reset requests for an existing admin and as many for an unknown
address, interleaved in a shuffled order, through the whole Flask stack (test client, no
network), and reports the median time of each and their difference. The baseline, in the same
run and the same app, is the reset as it was before issue 16: the view looked the account up,
issued the token and composed the email on the request (the SMTP conversation itself went to a
background thread, which also runs here against a local SMTP server). The outside test measured
7.0 ms against 3.2 ms on that path. Now the view only queues a job, so both addresses do the
same work. A timing threshold that classifies about half the probes right is guessing.
Medians on a shared machine are noisy: read the difference against the baseline's.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
EXISTING = "owner@clinic.example"
UNKNOWN = "nobody@clinic.example"
PASSWORD = "a long benchmark password"  # noqa: S105 - a throwaway account in a temporary database


def best_threshold_accuracy(existing: list[float], unknown: list[float]) -> float:
    """The share of probes the best single time threshold sorts right (0.5 is a coin toss)."""
    total = len(existing) + len(unknown)
    best = 0.5
    for threshold in existing + unknown:
        # "slower than the threshold means the account exists", or the other way round
        right = sum(t > threshold for t in existing) + sum(t <= threshold for t in unknown)
        best = max(best, right / total, 1 - right / total)
    return best


def chance_accuracy(samples: list[float], shuffles: int = 25) -> float:
    """What the best threshold scores on the same times with the labels dealt at random: the bar for "no signal"."""
    scores = []
    for _ in range(shuffles):
        dealt = random.sample(samples, len(samples))
        half = len(dealt) // 2
        scores.append(best_threshold_accuracy(dealt[:half], dealt[half:]))
    return statistics.median(scores)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=60)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="record the table in benchmarks/RESULTS.md")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="bench-reset-"))
    os.environ.update({"APP_ENV": "development", "INSTANCE_DIR": str(instance), "MAIL_PORT": str(free_port())})
    import flask_migrate
    from flask import flash, redirect, request

    from clinicfinder import mailsink
    from clinicfinder.app import create_app
    from clinicfinder.core.domain import Role
    from clinicfinder.db.models import TokenPurpose, utcnow
    from clinicfinder.extensions import db
    from clinicfinder.services import account_emails, accounts

    app = create_app()
    app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, LOGIN_RATE_LIMIT="100000 per minute")

    @app.post("/bench/reset-before")
    def reset_before():  # type: ignore[no-untyped-def]  # the pre-issue-16 view, kept here as the baseline
        import threading

        issued = accounts.request_reset(db.session, request.form["email"], utcnow())
        if issued is not None:
            user, token = issued
            message = account_emails.link_message(user.email, TokenPurpose.PASSWORD_RESET, token)
            real_app = app

            def send() -> None:
                with real_app.app_context():
                    account_emails._send(message, TokenPurpose.PASSWORD_RESET)

            threading.Thread(target=send, daemon=True).start()
        flash("If that address has an account, we have sent it a link to choose a new password.", "info")
        return redirect("/account/login")

    with app.app_context():
        flask_migrate.upgrade()
        accounts.create_user(db.session, EXISTING, Role.SITE_ADMIN, password=PASSWORD)
        db.session.commit()
    sink = mailsink.start(instance / "maildir", port=int(os.environ["MAIL_PORT"]))
    client = app.test_client()

    def probe(path: str, email: str) -> float:
        start = time.perf_counter()
        response = client.post(path, data={"email": email})
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 302, response.status_code
        return elapsed

    rows = []
    try:
        for path in ["/bench/reset-before", "/account/reset"] * 2:  # warm both paths
            probe(path, EXISTING), probe(path, UNKNOWN)
        for run in range(1, args.runs + 1):
            for path, label in [("/bench/reset-before", "before: lookup + token on the request"),
                                ("/account/reset", "now: the job queued, nothing else")]:  # fmt: skip
                order = [EXISTING] * args.probes + [UNKNOWN] * args.probes
                random.shuffle(order)
                times: dict[str, list[float]] = {EXISTING: [], UNKNOWN: []}
                for email in order:
                    times[email].append(probe(path, email))
                existing, unknown = statistics.median(times[EXISTING]), statistics.median(times[UNKNOWN])
                accuracy = best_threshold_accuracy(times[EXISTING], times[UNKNOWN])
                chance = chance_accuracy(times[EXISTING] + times[UNKNOWN])
                rows.append((run, label, existing, unknown, existing - unknown, existing / unknown, accuracy, chance))
    finally:
        sink.stop()

    lines = [
        f"{args.probes} probes per address per run, shuffled; Flask test client, SQLite, local SMTP server.",
        "",
        "| run | path | existing p50 ms | unknown p50 ms | difference ms | ratio | best threshold sorts "
        "| same, labels random |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {run} | {label} | {e:.2f} | {u:.2f} | {d:+.2f} | {r:.2f} | {a:.0%} | {c:.0%} |"
        for run, label, e, u, d, r, a, c in rows
    ]
    lines += [
        "",
        '"Best threshold sorts": the share of probes one cut-off time labels right; "labels random" is the'
        " same statistic on the same times with the labels dealt at random, i.e. what noise alone scores.",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        from benchmarks.results import write_section

        command = f"python -m benchmarks.bench_reset_timing --probes {args.probes} --runs {args.runs} --write"
        write_section("Password-reset timing: existing against unknown address", command, table)


if __name__ == "__main__":
    main()
