"""A gunicorn worker's first search at 100,000 clinics: index built in the master before fork, or not.

    python -m benchmarks.bench_worker_start --keep DIR [--runs 2] [--workers 2] [--write]

DIR is a directory `bench_search --keep DIR` wrote (its clinicfinder.db is copied, never changed).
Each run starts gunicorn twice on a copy of it, interleaved: with gunicorn.conf.py as it is (the
master builds the search index and loads the geocoder before it forks, `when_ready` and `pre_fork`),
and the baseline, the same file without those hooks (each worker builds its own index on its first search,
as before). It then sends one search to each worker at once (sync workers: two requests in flight
land on two workers), then ten more one after the other, and reads each worker's proportional set
size (PSS: shared pages split between the processes that share them) from /proc. `--write` puts
the table in its own section of benchmarks/RESULTS.md.
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
from benchmarks.results import write_section

SEARCH = "/api/v1/clinics/search?lat=41.88&lon=-87.63&radius_km=25&treatment=ivf"
# The baseline: the project's own configuration without the hook that builds the index before fork.
BASELINE = f"exec(open({str(PROJECT / 'gunicorn.conf.py')!r}).read())\ndel when_ready, pre_fork\n"
TITLE = "A gunicorn worker's first search at 100,000 clinics"
ABOUT = """\
gunicorn with {workers} workers on a copy of the 100,000-clinic SQLite directory (`bench_search --keep`); the \
baseline is the same gunicorn.conf.py without its `when_ready` and `pre_fork` hooks: each worker builds its own \
index on its first search. With them, the master builds the index and loads the geocoder before it forks, imports \
the API's request modules, and before each later fork (a worker that replaces a recycled one) patches the index \
up to the directory's revision (a change too large to patch is left to the new worker's background rebuild), \
so no request builds an index and the workers share its arrays copy-on-write. One API search is sent to each \
worker at the same time (sync workers: two in flight land on two workers), then ten one after the other; PSS is \
the proportional set size from /proc (shared pages split between the processes that share them). Read timings \
between runs as ±30 %: two shared cores."""


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
    parser.add_argument("--write", action="store_true", help="rewrite this section of benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    database = args.keep / "clinicfinder.db"
    if not database.exists():
        raise SystemExit(f"{database} is missing: run bench_search --keep {args.keep} first")
    with tempfile.NamedTemporaryFile("w", suffix=".conf.py", delete=False) as baseline:
        baseline.write(BASELINE)
    configs = {"index built in the master (gunicorn.conf.py)": PROJECT / "gunicorn.conf.py",
               "baseline: each worker builds its own": Path(baseline.name)}  # fmt: skip
    rows = []
    loads = []
    try:
        for run in range(1, args.runs + 1):
            loads.append(os.getloadavg()[0])
            print(f"run {run}, load average {loads[-1]:.1f}")
            for name, config in configs.items():
                result = one(config, database, args.workers)
                first = " / ".join(f"{seconds * 1000:,.0f}" for seconds in result["first"])  # type: ignore[attr-defined]
                pss = " / ".join(f"{mb:.0f}" for mb in result["pss"])  # type: ignore[attr-defined]
                then = f"{result['then'] * 1000:.0f}"  # type: ignore[operator]
                master = f"{result['master_pss']:.0f}"
                print(f"  {name}: workers up {result['booted']:.2f} s after start; first search on each worker "
                      f"{first} ms; then median {then} ms; PSS workers {pss} MB, master {master} MB")  # fmt: skip
                rows.append(f"| {run} | {name} | {result['booted']:.2f} s | {first} ms | {then} ms | {pss} MB "
                            f"| {master} MB |")  # fmt: skip
    finally:
        Path(baseline.name).unlink()
    if args.write:
        command = "python -m benchmarks.bench_worker_start --keep DIR" + "".join(
            f" --{flag} {value}" for flag, value in (("runs", args.runs), ("workers", args.workers))
        )
        table = [
            "| run | configuration | workers up after start | first search on each worker | then (median of 10) "
            "| PSS a worker | PSS master |",
            "|---|---|---:|---:|---:|---:|---:|",
            *rows,
        ]
        load = ", ".join(f"{value:.1f}" for value in loads)
        body = (
            f"Load average at each run's start: {load}.\n\n"
            + "\n".join(table)
            + "\n\n"
            + ABOUT.format(workers=args.workers)
        )
        write_section(TITLE, command, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
