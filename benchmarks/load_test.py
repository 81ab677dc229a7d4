"""Load test: simulated patients against the scaled-out deployment, all on loopback.

    make load-test        (= scripts/with-services.sh .venv/bin/python -m benchmarks.load_test)

Needs CLINICFINDER_TEST_POSTGRES and CLINICFINDER_TEST_REDIS (scripts/with-services.sh starts
throw-away servers). Starts gunicorn (gunicorn.conf.py, WEB_CONCURRENCY web processes), `--job-workers`
`flask worker` processes and the local SMTP server, then:

1. Baseline: `--users` threads request a bare Flask page (benchmarks/bare_app.py, the same gunicorn
   configuration) for `--rate-seconds`; then the questionnaire pages (where, treatment, budget, each
   with the patient's answers in the server-side session) for as long. Requests per second of each.
2. Journeys: `--users` simulated patients for `--seconds`, each walking the whole journey again and
   again (landing, the three steps with their CSRF tokens, results) and asking for its report by
   email once (single opt-in, as after the address is confirmed). Every 5xx is counted; p50/p95 per page.
3. Drain: waits (at most `--drain-timeout`) until every report is in the Maildir, and counts them
   per recipient: none lost, none twice. Rendering a PDF costs about a second of CPU, so the drain
   time is most of the run, and is reported as measured.

Bounded in count and time: the request loops stop at their deadlines, and every process is stopped.
"""

from __future__ import annotations

import argparse
import http.client
import mailbox
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.results import write_section

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
COOKIE = re.compile(r"^([^=;]+)=([^;]*)")
NOT_MET = (
    "The target is not met. A questionnaire page renders the full base template with translated text and reads "
    "the patient's answers from PostgreSQL (one query); the bare page does neither. Under load, latency is mostly "
    "waiting for one of the gunicorn workers: 50 patients share 4 processes on 2 cores."
)
PLACES = ["60611", "19104", "02115", "94110", "77002", "98101", "80202", "30303"]  # unambiguous: no "which one?" step
TREATMENTS = ["ivf", "icsi", "micro_tese", "donor_sperm"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, page: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies[page].append(seconds)
            self.statuses[status] += 1


class Browser:
    """One patient's connection and cookies: just enough of a browser for forms with CSRF tokens."""

    def __init__(self, port: int, stats: Stats) -> None:
        self.port, self.stats = port, stats
        self.cookies: dict[str, str] = {}
        self.trail: list[str] = []
        self.location = ""  # of the last response: where a form sent the patient next

    def request(self, method: str, path: str, page: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except OSError as error:
            self.stats.errors.append(f"{method} {path}: {type(error).__name__}")
            self.stats.record(page, 599, time.perf_counter() - started)
            return 599, ""
        finally:
            connection.close()
        self.stats.record(page, response.status, time.perf_counter() - started)
        self.location = response.headers.get("Location", "")
        for header in response.headers.get_all("Set-Cookie") or []:
            found = COOKIE.match(header)
            if found:
                self.cookies[found.group(1)] = found.group(2)
        if response.status >= 500:
            self.stats.errors.append(f"{method} {path}: {response.status}")
        return response.status, text

    def form(self, path: str, page: str, answers: dict[str, str]) -> int:
        status, html = self.request("GET", path, page)
        token = TOKEN.search(html)
        if status != 200 or not token:
            return status
        status, _ = self.request("POST", path, page + " (post)", {"csrf_token": token.group(1), **answers})
        self.trail.append(f"{path} {answers} → {status} {self.location}")
        return status


def journey(browser: Browser, number: int, address: str | None) -> bool:
    """The whole journey; True when it ended on the results page (every answer accepted)."""
    browser.trail = []
    browser.request("GET", "/", "landing")
    browser.form("/find/where", "where", {"location": PLACES[number % len(PLACES)], "radius": "100", "unit": "mi"})
    browser.form("/find/treatment", "treatment", {"treatment": TREATMENTS[number % len(TREATMENTS)]})
    browser.form("/find/budget", "budget", {"budget": "20000", "currency": "USD", "include_unpriced": "y"})
    status, html = browser.request("GET", "/find/results", "results")
    token = TOKEN.search(html)
    if address and token:
        browser.request("POST", "/report/email", "report request",
                        {"csrf_token": token.group(1), "email": address, "website": ""})  # fmt: skip
        browser.request("GET", "/report/progress", "report progress")
    if status != 200 or token is None:
        browser.stats.errors.append(f"journey {number} ended at {status} {browser.location or ''}: {browser.trail}")
        return False
    return True


def hammer(port: int, paths: list[str], seconds: float, users: int, setup: bool) -> float:
    """Requests per second of `paths`, round-robin, from `users` threads until the deadline."""
    stats = Stats()
    counts = [0] * users

    def user(index: int) -> None:
        browser = Browser(port, Stats())
        if setup and not journey(browser, index, None):  # the steps show a returning patient's answers
            raise SystemExit("rate phase: a journey did not reach the results page")
        browser.stats = stats
        ready.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            browser.request("GET", paths[counts[index] % len(paths)], "rate")
            counts[index] += 1

    ready = threading.Event()
    threads = [threading.Thread(target=user, args=(index,)) for index in range(users)]
    for thread in threads:
        thread.start()
    time.sleep(1 if not setup else 5)
    started = time.monotonic()
    ready.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    bad = sum(n for status, n in stats.statuses.items() if status != 200)
    if bad:
        raise SystemExit(f"rate phase: {bad} responses were not 200: {stats.statuses}")
    return sum(counts) / elapsed


def start_gunicorn(
    target: str, port: int, env: Mapping[str, str], cwd: Path = PROJECT, config: str | Path = "gunicorn.conf.py"
) -> subprocess.Popen[bytes]:
    """gunicorn serving `target` (e.g. "wsgi:app") on `port`, output discarded, in a process group of its
    own (stop it with os.killpg). Our own gunicorn, configuration and apps, never input from outside."""
    return subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "-c", str(config), target],
        cwd=cwd,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not listen on {port}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate-seconds", type=float, default=15)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--job-workers", type=int, default=2)
    parser.add_argument("--drain-timeout", type=float, default=900)
    parser.add_argument("--no-write", action="store_true", help="print the results without updating RESULTS.md")
    args = parser.parse_args()
    postgres, redis_url = os.environ.get("CLINICFINDER_TEST_POSTGRES"), os.environ.get("CLINICFINDER_TEST_REDIS")
    if not postgres or not redis_url:
        raise SystemExit("run through scripts/with-services.sh (make load-test): it starts PostgreSQL and Redis")

    import sqlalchemy as sa

    admin = sa.create_engine(f"{postgres}/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql("DROP DATABASE IF EXISTS loadtest WITH (FORCE)")
        connection.exec_driver_sql("CREATE DATABASE loadtest")
    admin.dispose()

    work = Path(tempfile.mkdtemp(prefix="clinicfinder-load-"))
    mail_port, web_port, bare_port = free_port(), free_port(), free_port()
    environment = {
        **os.environ,
        "APP_ENV": "development",
        "SECRET_KEY": secrets.token_hex(32),
        "INSTANCE_DIR": str(work / "instance"),
        "REPORTS_DIR": str(work / "reports"),
        "DATABASE_URL": f"{postgres}/loadtest",
        "QUEUE_URL": f"{redis_url}/0",
        "RATELIMIT_STORAGE_URI": f"{redis_url}/1",
        "MAIL_PORT": str(mail_port),
        "REPORT_DOUBLE_OPT_IN": "false",
        "REPORT_LIMIT_PER_IP": "100000 per hour",  # every simulated patient shares 127.0.0.1
        "WEB_CONCURRENCY": str(args.web_workers),
        "GUNICORN_ACCESS_LOG": str(work / "access.log"),
    }
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["clinics", "seed"]):
        # The app's own flask commands from this virtualenv, never input from outside.
        subprocess.run([*flask, *command], cwd=PROJECT, env=environment, check=True, capture_output=True)  # noqa: S603

    processes: list[subprocess.Popen[bytes]] = []

    def start(command: list[str], extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (work / f"process-{len(processes)}.log").open("wb")
        # The app's own commands (gunicorn, flask, the SMTP server), never input from outside.
        process = subprocess.Popen(command, cwd=PROJECT, env={**environment, **(extra or {})},  # noqa: S603
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        processes.append(process)
        return process

    maildir = work / "maildir"
    try:
        mail = start(
            [sys.executable, "-m", "clinicfinder.mailsink", "--port", str(mail_port), "--maildir", str(maildir)]
        )
        wait_for_port(mail_port, mail, "the SMTP server")
        gunicorn = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
        web = start([*gunicorn, "wsgi:app"], {"GUNICORN_BIND": f"127.0.0.1:{web_port}"})
        bare = start([*gunicorn, "benchmarks.bare_app:app"], {"GUNICORN_BIND": f"127.0.0.1:{bare_port}"})
        wait_for_port(web_port, web, "gunicorn (app)")
        wait_for_port(bare_port, bare, "gunicorn (bare page)")

        # 1. Requests per second, one server at a time so neither steals the other's cores.
        os.killpg(web.pid, signal.SIGSTOP)
        bare_rate = hammer(bare_port, ["/"], args.rate_seconds, args.users, setup=False)
        os.killpg(web.pid, signal.SIGCONT)
        os.killpg(bare.pid, signal.SIGSTOP)
        steps = ["/find/where", "/find/treatment", "/find/budget"]
        step_rate = hammer(web_port, steps, args.rate_seconds, args.users, setup=True)

        # 2. Journeys, with the job workers making reports at the same time.
        for _ in range(args.job_workers):
            start([*flask, "worker", "--workers", "1"])
        stats = Stats()
        asked: list[str] = []
        asked_lock = threading.Lock()
        completed = Counter[bool]()

        def patient(index: int) -> None:
            browser = Browser(web_port, stats)
            deadline = time.monotonic() + args.seconds
            journeys = 0
            while time.monotonic() < deadline:
                address = None
                if journeys == 0:
                    address = f"patient{index:03}@example.org"
                    with asked_lock:
                        asked.append(address)
                finished = journey(browser, index + journeys, address)
                with asked_lock:
                    completed[finished] += 1
                journeys += 1

        started = time.monotonic()
        threads = [threading.Thread(target=patient, args=(index,)) for index in range(args.users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        load_seconds = time.monotonic() - started

        # 3. Drain: every report in the Maildir, once.
        drain_deadline = time.monotonic() + args.drain_timeout
        delivered: Counter[str] = Counter()
        while time.monotonic() < drain_deadline:
            delivered = Counter(str(m["To"]) for m in mailbox.Maildir(maildir, create=False))
            if sum(delivered.values()) >= len(asked):
                break
            time.sleep(1)
        drain_seconds = time.monotonic() - started - load_seconds
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGCONT)
                os.killpg(process.pid, signal.SIGTERM if "gunicorn" in str(process.args) else signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()

    server_errors = sum(n for status, n in stats.statuses.items() if status >= 500)
    requests = sum(stats.statuses.values())
    pages = sorted(stats.latencies)
    all_latencies = [value for values in stats.latencies.values() for value in values]
    lost = sorted(set(asked) - set(delivered))
    twice = sorted(address for address, n in delivered.items() if n > 1)
    rows = "\n".join(
        f"| {page} | {len(stats.latencies[page])} | {statistics.median(stats.latencies[page]) * 1000:.0f} ms "
        f"| {percentile(stats.latencies[page], 0.95) * 1000:.0f} ms |"
        for page in pages
    )
    ratio = step_rate / bare_rate
    body = f"""Setup: gunicorn (gunicorn.conf.py, {args.web_workers} sync workers) + {args.job_workers} `flask worker` \
processes (1 thread each) + the local SMTP server, on PostgreSQL 15 and Redis, all on loopback, 2 cores shared \
with the load generator (Python threads).

**Journeys**: {args.users} simulated patients for {args.seconds:.0f} s ({load_seconds:.0f} s measured), each walking \
the whole journey again and again and asking for its report by email once.

- journeys: {completed[True]} reached the results page, {completed[False]} did not
- requests: {requests}; **server errors (5xx): {server_errors}**; connection errors: {stats.statuses[599]}
- all pages: median {statistics.median(all_latencies) * 1000:.0f} ms, \
**p95 {percentile(all_latencies, 0.95) * 1000:.0f} ms**
- reports asked for: {len(asked)}; **delivered: {sum(delivered.values())}** to {len(delivered)} recipients; \
lost: {len(lost)}; delivered twice: {len(twice)}
- drain: the last report arrived {drain_seconds:.0f} s after the load stopped (rendering a PDF costs about a second \
of CPU, and the workers shared the cores with {args.users} patients until then)

| page | requests | median | p95 |
|---|---|---|---|
{rows}

**Requests per second** ({args.users} concurrent clients, {args.rate_seconds:.0f} s each, one server running at a time):

| | req/s |
|---|---|
| bare Flask page (benchmarks/bare_app.py, same gunicorn configuration) | {bare_rate:.0f} |
| questionnaire pages (where, treatment, budget; answers in the session) | {step_rate:.0f} |
| **ratio** | **{ratio:.0%}** (target ≥ 50%) |
"""
    if ratio < 0.5:
        body += f"\n{NOT_MET}\n"
    print(body)
    if stats.errors:
        print("errors (first 10):", *stats.errors[:10], sep="\n  ", file=sys.stderr)
    if not args.no_write:
        write_section("Load: 50 patients on gunicorn + PostgreSQL + Redis", "make load-test", body)
    return 0 if server_errors == 0 and not lost and not twice and not completed[False] else 1


if __name__ == "__main__":
    raise SystemExit(main())
