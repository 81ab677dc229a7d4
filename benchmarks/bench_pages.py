"""Patient pages against a bare Flask page: the results page (20 clinics) and a step.

    python -m benchmarks.bench_pages [--repeats 30] [--gunicorn] [--write] [--breakdown N]

The real directory (clinics.csv) in a throwaway SQLite instance; each page requested through
the WSGI app (Flask's test client, no network, no gunicorn), interleaved with a one-route bare
Flask app so both see the same load. Also times the results page with Flask-Babel's own template
callables and no message translated when compiled (a catalogue lookup on every `_()`, as before)
and checks the HTML is the same; likewise the step rendered by its template on every request instead
of filled into its kept skeleton (web/patient/step_pages.py).
Medians; the ratio is what to read on a shared machine.

With --gunicorn, also requests per second under gunicorn (gunicorn.conf.py, its default workers) of
the same pages and of benchmarks/bare_app.py under the same configuration, on a seeded SQLite
instance: one patient's session (New York, 25 mi, IVF, $20,000), `--users` client threads on the
same machine for `--seconds` each, the three interleaved, `--runs` times. The clients share the two
cores with the servers, as the load test's do.

With --breakdown N, also where N results requests' CPU goes (session row, revision, search, map,
template, the rest of the view, Flask outside the view) and the function calls a request makes.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask_migrate
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import get_translations

from benchmarks.load_test import BIN, PROJECT, Browser, Stats, free_port, start_gunicorn, wait_for_port
from benchmarks.results import write_section
from clinicfinder.app import create_app
from clinicfinder.core.directory.csvfile import read_directory
from clinicfinder.core.paths import PROJECT_ROOT
from clinicfinder.db.directory import import_directory
from clinicfinder.extensions import db
from clinicfinder.web.patient import step_pages

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# What differs between two requests for the same answers: the CSRF token and the CSP nonce.
VOLATILE = re.compile(rb'(name="csrf_token"[^>]*value="|nonce=")[^"]*')


def post(client: FlaskClient, path: str, data: dict[str, str]) -> None:
    token = TOKEN.search(client.get(path).get_data(as_text=True))
    assert token is not None
    response = client.post(path, data={"csrf_token": token.group(1), **data})
    assert response.status_code == 302, path


def per_call_babel(app: Flask) -> None:
    """Flask-Babel's own callables: the catalogue looked up again on every `_()`, none translated when compiled."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=lambda s: get_translations().ugettext(s),
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
    )
    environments = app.extensions["page_templates"]
    for language in [key for key in environments if key is not None]:
        environments[language] = environments[None]  # the overlay that leaves every `_()` to render time


def step_rendered(client: FlaskClient) -> bytes:
    """The step as its template renders it on every request, not filled into its kept skeleton (before)."""
    fill = step_pages.can_fill
    step_pages.can_fill = lambda form: False
    try:
        return client.get("/find/treatment").get_data()
    finally:
        step_pages.can_fill = fill


def timed(get: Callable[[], bytes], repeats: int, seconds: list[float]) -> bytes:
    body = b""
    for _ in range(repeats):
        began = time.perf_counter()
        body = get()
        seconds.append(time.perf_counter() - began)
    return body


def patient_at_results(port: int, server: str = "") -> tuple[Browser, str]:
    """A patient who answered the bench's three steps (New York, 25 mi, IVF, $20,000) on the server at
    `port`, and the results page they got."""
    patient = Browser(port, Stats())
    patient.form("/find/where", "where", {"location": "New York, NY", "radius": "25", "unit": "mi"})
    patient.form("/find/treatment", "treatment", {"treatment": "ivf"})
    patient.form("/find/budget", "budget", {"budget": "20000", "currency": "USD", "include_unpriced": "y"})
    status, page = patient.request("GET", "/find/results", "results")
    if status != 200 or "clinic-card" not in page:
        raise SystemExit(f"{server + ': ' if server else ''}the results page answered {status}")
    return patient, page


def rate(port: int, path: str, cookies: dict[str, str], seconds: float, users: int) -> float:
    """Requests per second of GET `path` with `cookies` from `users` threads until the deadline."""
    counts, failures = [0] * users, []
    ready = threading.Event()

    def user(index: int) -> None:
        browser = Browser(port, Stats())
        browser.cookies = dict(cookies)
        ready.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            status, _ = browser.request("GET", path, "rate")
            counts[index] += 1
            if status != 200:
                failures.append(status)

    threads = [threading.Thread(target=user, args=(index,)) for index in range(users)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    ready.set()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{path}: {len(failures)} responses were not 200 ({sorted(set(failures))})")
    return sum(counts) / (time.monotonic() - started)


def gunicorn_rates(runs: int, seconds: float, users: int) -> str:
    instance = tempfile.mkdtemp(prefix="cf-pages-gunicorn-")
    # Development defaults (SQLite, the SQLite queue), the secret key kept in the instance.
    env = {**os.environ, "APP_ENV": "development", "INSTANCE_DIR": instance, "GUNICORN_ACCESS_LOG": "/dev/null"}
    for command in (["db", "upgrade"], ["clinics", "seed"]):
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", *command], cwd=PROJECT, env=env, check=True,  # noqa: S603
                       capture_output=True)  # fmt: skip
    app_port, bare_port = free_port(), free_port()
    servers = [
        start_gunicorn(target, port, env)
        for target, port in (("wsgi:app", app_port), ("benchmarks.bare_app:app", bare_port))
    ]
    try:
        wait_for_port(app_port, servers[0], "gunicorn (app)")
        wait_for_port(bare_port, servers[1], "gunicorn (bare page)")
        patient, page = patient_at_results(app_port)
        for port, path in ((bare_port, "/"), (app_port, "/find/results"), (app_port, "/find/treatment")):
            rate(port, path, patient.cookies, 1, users)  # warm every worker
        lines = [
            f"gunicorn (gunicorn.conf.py, {os.environ.get('WEB_CONCURRENCY', 'its default')} workers) on SQLite; "
            f"{users} client threads on the same 2 cores, {seconds:.0f} s per page per run, interleaved. "
            f"Step: the treatment question. Results page: {len(page.encode()) / 1024:.0f} KB.",
            "",
            "| run | load average | bare page, req/s | results page, req/s | vs bare | step, req/s | vs bare |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for run in range(1, runs + 1):
            load = os.getloadavg()[0]
            bare = rate(bare_port, "/", patient.cookies, seconds, users)
            results = rate(app_port, "/find/results", patient.cookies, seconds, users)
            step = rate(app_port, "/find/treatment", patient.cookies, seconds, users)
            lines.append(
                f"| {run} | {load:.1f} | {bare:.0f} | {results:.0f} | {results / bare:.1%} | {step:.0f} | "
                f"{step / bare:.1%} |"
            )
        return "\n".join(lines)
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            server.wait(timeout=60)
        for leftover in Path(instance).glob("*"):
            leftover.unlink()


def breakdown(app: Flask, client: FlaskClient, requests: int) -> str:
    """Where a results request's CPU goes: each part timed by wrapping it (thread CPU time, means so the
    parts add up), and the function calls a request makes (cProfile, counted apart from the timing)."""
    import cProfile
    import pstats

    from clinicfinder.db.repository import ClinicRepository
    from clinicfinder.services import journey
    from clinicfinder.web.patient import views

    spent: dict[str, float] = {}
    patched: list[tuple[object, str, object]] = []

    def wrap(owner: object, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed_call(*args: object, **kwargs: object) -> object:
            began = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.thread_time() - began

        patched.append((owner, name, original))
        setattr(owner, name, timed_call)

    parts = [
        (journey, "load", "the session's answers row (journey.load)"),
        (ClinicRepository, "revision", "the directory revision"),
        (views.services, "search_clinics", "search (index, memo, assessing 20)"),
        (views, "_results_map", "map drawing (core/map)"),
        (views, "render_page", "template rendering"),
    ]
    for owner, name, label in parts:
        wrap(owner, name, label)
    view = app.view_functions["patient.results"]
    began_view: list[float] = []

    def timed_view(*args: Any, **kwargs: Any) -> Any:
        began = time.thread_time()
        try:
            return view(*args, **kwargs)
        finally:
            began_view.append(time.thread_time() - began)

    app.view_functions["patient.results"] = timed_view
    try:
        total = 0.0
        for _ in range(requests):
            began = time.thread_time()
            client.get("/find/results").get_data()
            total += time.thread_time() - began
    finally:
        app.view_functions["patient.results"] = view
        for owner, name, original in patched:
            setattr(owner, name, original)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(30):
        client.get("/find/results").get_data()
    profile.disable()
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]  # set by Stats, not declared
    in_view = sum(began_view)
    rows = [(label, spent.get(label, 0.0)) for _, _, label in parts]
    rows.append(("the rest of the view (forms, labels, laws, coverage)", in_view - sum(value for _, value in rows)))
    rows.append(("Flask, Werkzeug and the test client outside the view", total - in_view))
    lines = [
        f"Where a results request's CPU goes ({requests} requests, thread CPU time, means; each part timed by "
        f"wrapping it): {total / requests * 1000:.2f} ms a request; {calls / 30:,.0f} function calls a request "
        f"(cProfile, 30 requests).",
        "",
        "| part | ms a request | share |",
        "|---|---:|---:|",
        *(f"| {label} | {value / requests * 1000:.2f} | {value / total:.0%} |" for label, value in rows),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--gunicorn", action="store_true", help="also req/s under gunicorn")
    parser.add_argument("--runs", type=int, default=2, help="gunicorn runs")
    parser.add_argument("--seconds", type=float, default=10, help="per page per gunicorn run")
    parser.add_argument("--users", type=int, default=8, help="gunicorn client threads")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--breakdown", type=int, default=0, metavar="N",
                        help="also time the parts of N results requests (not written to RESULTS.md)")  # fmt: skip
    args = parser.parse_args(argv)
    bare = Flask("bare")
    bare.get("/")(lambda: "ok")
    bare_client = bare.test_client()
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"APP_ENV": "testing", "INSTANCE_DIR": instance})
        before_app = create_app({"APP_ENV": "testing", "INSTANCE_DIR": instance})
        per_call_babel(before_app)
        with app.app_context():
            flask_migrate.upgrade()
            import_directory(
                db.session, read_directory((PROJECT_ROOT / "clinics.csv").read_bytes()).records, actor_label="benchmark"
            )
            db.session.commit()
        clients = {}
        for name, which in (("now", app), ("before", before_app)):
            client = which.test_client()
            post(client, "/find/where", {"location": "New York, NY", "radius": "25", "unit": "mi"})
            post(client, "/find/treatment", {"treatment": "ivf"})
            post(client, "/find/budget", {"budget": "20000", "currency": "USD", "include_unpriced": "y"})
            clients[name] = client
        load = os.getloadavg()[0]
        times: dict[str, list[float]] = {"results": [], "before": [], "step": [], "step_before": [], "bare": []}
        pages: dict[str, bytes] = {}
        for _ in range(3):  # interleaved rounds
            pages["results"] = timed(
                lambda: clients["now"].get("/find/results").get_data(), args.repeats, times["results"]
            )
            pages["before"] = timed(
                lambda: clients["before"].get("/find/results").get_data(), args.repeats, times["before"]
            )
            pages["step"] = timed(lambda: clients["now"].get("/find/treatment").get_data(), args.repeats, times["step"])
            pages["step_before"] = timed(lambda: step_rendered(clients["now"]), args.repeats, times["step_before"])
            timed(lambda: bare_client.get("/").get_data(), args.repeats, times["bare"])
        parts = breakdown(app, clients["now"], args.breakdown) if args.breakdown else ""
        for engine in (app, before_app):
            with engine.app_context():
                db.session.remove()
                db.engine.dispose()
    same = VOLATILE.sub(b"", pages["results"]) == VOLATILE.sub(b"", pages["before"])
    same_step = VOLATILE.sub(b"", pages["step"]) == VOLATILE.sub(b"", pages["step_before"])
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    text = "\n".join(
        [
            f"Load average at the start: {load:.1f} (2 shared cores). In-process WSGI (Flask test client), "
            f"{3 * args.repeats} requests each, interleaved; not gunicorn req/s.",
            "",
            "| page | median ms | vs bare page | size |",
            "|---|---:|---:|---:|",
            f"| bare Flask page (baseline) | {median['bare']:.2f} | 100 % | 2 B |",
            f"| questionnaire step (treatment) | {median['step']:.1f} | {median['bare'] / median['step']:.1%} | "
            f"{len(pages['step']) / 1024:.0f} KB |",
            f"| questionnaire step rendered by its template each time (before) | {median['step_before']:.1f} | "
            f"{median['bare'] / median['step_before']:.1%} | {len(pages['step_before']) / 1024:.0f} KB |",
            f"| results page, 20 clinics | {median['results']:.1f} | {median['bare'] / median['results']:.1%} | "
            f"{len(pages['results']) / 1024:.0f} KB |",
            f"| results page with Flask-Babel's per-call lookup (before) | {median['before']:.1f} | "
            f"{median['bare'] / median['before']:.1%} | {len(pages['before']) / 1024:.0f} KB |",
            "",
            f"Messages translated when compiled vs looked up per call: "
            f"{median['results'] / median['before'] - 1:+.0%} time; "
            f"same HTML (CSRF token and nonce aside): {'yes' if same else 'NO'}.",
            f"Step filled into its kept skeleton vs rendered by its template: "
            f"{median['step'] / median['step_before'] - 1:+.0%} time; same HTML: {'yes' if same_step else 'NO'}.",
        ]
    )
    command = "python -m benchmarks.bench_pages --write"
    if args.gunicorn:
        text += "\n\n" + gunicorn_rates(args.runs, args.seconds, args.users)
        command = "python -m benchmarks.bench_pages --gunicorn --write"
    print(text)
    if parts:
        print("\n" + parts)
    if args.write:
        write_section("Patient pages against a bare Flask page", command, text)
    return 0 if same and same_step else 1


if __name__ == "__main__":
    raise SystemExit(main())
