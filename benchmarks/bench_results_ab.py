"""The results page under gunicorn, this tree against another (an export of main), served at once.

    python -m benchmarks.bench_results_ab OTHER_TREE [--windows 6] [--seconds 3] [--users 8]

bench_pages --gunicorn times one tree; run twice, once per tree, a busy shared machine moves the
bare page's req/s by 2x between the runs, more than any change to the page. Here the other tree's
app, this tree's app and benchmarks/bare_app.py run side by side (gunicorn.conf.py each, seeded
SQLite instances, the same patient's answers as bench_pages), and short windows of each are taken
in turn, the order reversed every other window, so drift in the load falls on all three alike.
Prints req/s per window, each app's share of the bare page's and this tree's over the other's.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import tempfile
from pathlib import Path

from benchmarks.bench_pages import patient_at_results, rate
from benchmarks.load_test import BIN, PROJECT, free_port, start_gunicorn, wait_for_port


def serve(tree: Path, target: str) -> tuple[int, subprocess.Popen[bytes]]:
    instance = tempfile.mkdtemp(prefix="cf-ab-")
    env = {**os.environ, "APP_ENV": "development", "INSTANCE_DIR": instance, "GUNICORN_ACCESS_LOG": "/dev/null"}
    for command in (["db", "upgrade"], ["clinics", "seed"]):
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", *command], cwd=tree, env=env, check=True,  # noqa: S603
                       capture_output=True)  # fmt: skip
    port = free_port()
    server = start_gunicorn(target, port, env, cwd=tree)
    wait_for_port(port, server, f"gunicorn ({tree}, {target})")
    return port, server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("other", type=Path, help="the tree to compare with (e.g. git archive of main, extracted)")
    parser.add_argument("--windows", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--users", type=int, default=8)
    args = parser.parse_args(argv)
    servers = {
        "other": serve(args.other.resolve(), "wsgi:app"),
        "this": serve(PROJECT, "wsgi:app"),
        "bare": serve(PROJECT, "benchmarks.bare_app:app"),
    }
    try:
        cookies: dict[str, dict[str, str]] = {"bare": {}}
        for name in ("other", "this"):
            patient, page = patient_at_results(servers[name][0], name)
            print(f"{name}: results page {len(page.encode()):,} bytes")
            cookies[name] = patient.cookies
        paths = {"bare": "/", "other": "/find/results", "this": "/find/results"}
        for name in servers:
            rate(servers[name][0], paths[name], cookies[name], 1, args.users)  # warm every worker
        got: dict[str, list[float]] = {name: [] for name in servers}
        loads = []
        for window in range(args.windows):
            loads.append(os.getloadavg()[0])
            order = ("bare", "other", "this") if window % 2 == 0 else ("this", "other", "bare")
            for name in order:
                got[name].append(rate(servers[name][0], paths[name], cookies[name], args.seconds, args.users))
        for name, values in got.items():
            listed = " ".join(f"{value:.0f}" for value in values)
            print(f"{name:5s} req/s per window: {listed}; median {statistics.median(values):.0f}")
        for name in ("other", "this"):
            shares = [value / bare for value, bare in zip(got[name], got["bare"], strict=True)]
            listed = " ".join(f"{share:.1%}" for share in shares)
            print(f"{name:5s} vs bare per window: {listed}; median {statistics.median(shares):.1%}")
        ratios = [this / other for this, other in zip(got["this"], got["other"], strict=True)]
        print(
            f"this / other per window: {' '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}"
        )
        print(f"load average at each window: {' '.join(f'{load:.1f}' for load in loads)}")
    finally:
        for _, server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
        for _, server in servers.values():
            server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
