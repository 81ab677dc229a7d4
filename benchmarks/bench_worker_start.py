"""A gunicorn worker's first search at 100,000 clinics: index built in the master before fork, or not.

    python -m benchmarks.bench_worker_start --keep DIR [--runs 2] [--workers 2]

DIR is a directory `bench_search --keep DIR` wrote (its clinicfinder.db is copied, never changed).
Each run starts gunicorn twice on a copy of it, interleaved: with gunicorn.conf.py as it is (the
master builds the search index and loads the geocoder before it forks, `when_ready` and `pre_fork`),
and the baseline, the same file without those hooks (each worker builds its own index on its first search,
as before). It then sends one search to each worker at once (sync workers: two requests in flight
land on two workers), then ten more one after the other, and reads each worker's proportional set
size (PSS: shared pages split between the processes that share them) from /proc.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.load_test import PROJECT, free_port, start_gunicorn

SEARCH = "/api/v1/clinics/search?lat=41.88&lon=-87.63&radius_km=25&treatment=ivf"
# The baseline: the project's own configuration without the hook that builds the index before fork.
BASELINE = f"exec(open({str(PROJECT / 'gunicorn.conf.py')!r}).read())\ndel when_ready, pre_fork\n"


def timed_get(url: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - our own local server
        response.read()
    return time.monotonic() - started


def pss_mb(pid: int) -> float:
    with Path(f"/proc/{pid}/smaps_rollup").open() as rollup:
        return sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) / 1024


def one(config: Path, database: Path, workers: int) -> dict[str, object]:
    instance = Path(tempfile.mkdtemp(prefix="worker-start-"))
    shutil.copy(database, instance / "clinicfinder.db")
    port = free_port()
    env = {**os.environ, "INSTANCE_DIR": str(instance),
           "WEB_CONCURRENCY": str(workers), "GUNICORN_ACCESS_LOG": "/dev/null"}  # fmt: skip
    started = time.monotonic()
    server = start_gunicorn("wsgi:app", port, env, config=config)
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        while len(children.read_text().split()) < workers:  # every worker forked and listening
            if server.poll() is not None or time.monotonic() - started > 120:
                raise SystemExit(f"gunicorn ({config.name}) did not start its workers")
            time.sleep(0.05)
        booted = time.monotonic() - started
        time.sleep(3)  # let the workers finish booting: the first searches then measure the search alone
        url = f"http://127.0.0.1:{port}{SEARCH}"
        with ThreadPoolExecutor(workers) as pool:
            first = sorted(pool.map(timed_get, [url] * workers))
        then = [timed_get(url) for _ in range(10)]
        pids = [int(pid) for pid in children.read_text().split()]
        return {"booted": booted, "first": first, "then": statistics.median(then),
                "pss": [pss_mb(pid) for pid in pids], "master_pss": pss_mb(server.pid)}  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
        shutil.rmtree(instance, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, required=True, help="a directory bench_search --keep wrote")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    database = args.keep / "clinicfinder.db"
    if not database.exists():
        raise SystemExit(f"{database} is missing: run bench_search --keep {args.keep} first")
    with tempfile.NamedTemporaryFile("w", suffix=".conf.py", delete=False) as baseline:
        baseline.write(BASELINE)
    configs = {"index built in the master (gunicorn.conf.py)": PROJECT / "gunicorn.conf.py",
               "baseline: each worker builds its own": Path(baseline.name)}  # fmt: skip
    try:
        for run in range(1, args.runs + 1):
            print(f"run {run}, load average {os.getloadavg()[0]:.1f}")
            for name, config in configs.items():
                result = one(config, database, args.workers)
                first = ", ".join(f"{seconds * 1000:.0f}" for seconds in result["first"])  # type: ignore[attr-defined]
                pss = ", ".join(f"{mb:.0f}" for mb in result["pss"])  # type: ignore[attr-defined]
                print(f"  {name}: workers up {result['booted']:.2f} s after start; first search on each worker "
                      f"{first} ms; then median {result['then'] * 1000:.0f} ms; PSS workers {pss} MB, "  # type: ignore[operator]
                      f"master {result['master_pss']:.0f} MB")  # fmt: skip
    finally:
        Path(baseline.name).unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
