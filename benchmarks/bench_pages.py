"""Patient pages against a bare Flask page, in one process: the results page (20 clinics) and a step.

    python -m benchmarks.bench_pages [--repeats 30] [--write]

The real directory (clinics.csv) in a throwaway SQLite instance; each page requested through
the WSGI app (Flask's test client, no network, no gunicorn), interleaved with a one-route bare
Flask app so both see the same load. Also times the results page with Flask-Babel's own template
callables (a catalogue lookup on every `_()`, as before) and checks the HTML is the same.
Medians; the ratio is what to read on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable

import flask_migrate
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import get_translations

from benchmarks.results import write_section
from clinicfinder.app import create_app
from clinicfinder.core.directory.csvfile import read_directory
from clinicfinder.core.paths import PROJECT_ROOT
from clinicfinder.db.directory import import_directory
from clinicfinder.extensions import db

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# What differs between two requests for the same answers: the CSRF token and the CSP nonce.
VOLATILE = re.compile(rb'(name="csrf_token"[^>]*value="|nonce=")[^"]*')


def post(client: FlaskClient, path: str, data: dict[str, str]) -> None:
    token = TOKEN.search(client.get(path).get_data(as_text=True))
    assert token is not None
    response = client.post(path, data={"csrf_token": token.group(1), **data})
    assert response.status_code == 302, path


def per_call_babel(app: Flask) -> None:
    """Flask-Babel's own callables: the catalogue looked up again on every `_()`."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=lambda s: get_translations().ugettext(s),
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
    )


def timed(get: Callable[[], bytes], repeats: int, seconds: list[float]) -> bytes:
    body = b""
    for _ in range(repeats):
        began = time.perf_counter()
        body = get()
        seconds.append(time.perf_counter() - began)
    return body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
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
        times: dict[str, list[float]] = {"results": [], "before": [], "step": [], "bare": []}
        pages: dict[str, bytes] = {}
        for _ in range(3):  # interleaved rounds
            pages["results"] = timed(
                lambda: clients["now"].get("/find/results").get_data(), args.repeats, times["results"]
            )
            pages["before"] = timed(
                lambda: clients["before"].get("/find/results").get_data(), args.repeats, times["before"]
            )
            pages["step"] = timed(lambda: clients["now"].get("/find/treatment").get_data(), args.repeats, times["step"])
            timed(lambda: bare_client.get("/").get_data(), args.repeats, times["bare"])
        for engine in (app, before_app):
            with engine.app_context():
                db.session.remove()
                db.engine.dispose()
    same = VOLATILE.sub(b"", pages["results"]) == VOLATILE.sub(b"", pages["before"])
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
            f"| results page, 20 clinics | {median['results']:.1f} | {median['bare'] / median['results']:.1%} | "
            f"{len(pages['results']) / 1024:.0f} KB |",
            f"| results page with Flask-Babel's per-call lookup (before) | {median['before']:.1f} | "
            f"{median['bare'] / median['before']:.1%} | {len(pages['before']) / 1024:.0f} KB |",
            "",
            f"Catalogue once per request vs per call: {median['results'] / median['before'] - 1:+.0%} time; "
            f"same HTML (CSRF token and nonce aside): {'yes' if same else 'NO'}.",
        ]
    )
    print(text)
    if args.write:
        write_section("Patient pages against a bare Flask page", "python -m benchmarks.bench_pages --write", text)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
