"""The app factory: pages through the real base template, health, headers, errors."""

from __future__ import annotations

import csv
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from clinicfinder import mailsink
from clinicfinder.app import create_app
from clinicfinder.web.health import forget_smtp_status
from tests.support.instances import free_port
from tests.support.paths import CLINICS_CSV


def test_landing_page_renders_through_the_base_template(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>Find a fertility clinic · ClinicFinder</title>" in page
    assert "Skip to content" in page  # from base.html
    assert "National ART Surveillance System" in page  # the data credit in the footer


def test_landing_page_counts_the_open_clinics_of_the_directory(seeded_app: Flask) -> None:
    with CLINICS_CSV.open(encoding="utf-8") as stream:
        open_in_file = sum(row["status"] == "open" for row in csv.DictReader(stream))
    page = seeded_app.test_client().get("/").get_data(as_text=True)
    assert open_in_file > 400
    assert f"<strong>{open_in_file}</strong> open US clinics" in page


def test_healthz_reports_database_queue_and_smtp_relay_ok(app: Flask, client: FlaskClient, tmp_path) -> None:
    relay = mailsink.start(tmp_path / "maildir", port=app.config["MAIL_PORT"])
    try:
        response = client.get("/healthz")
    finally:
        relay.stop()
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["queue"] == {"status": "ok", "pending": 0, "worker_seconds_since_heartbeat": None}
    assert body["checks"]["smtp"] == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_says_503_and_names_the_smtp_relay_when_it_does_not_answer(app: Flask, tmp_path) -> None:
    relay = mailsink.start(tmp_path / "maildir", port=app.config["MAIL_PORT"])
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    relay.stop()
    assert client.get("/healthz").status_code == 200  # remembered for a while: a poller can't hammer the relay
    forget_smtp_status(app)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["smtp"] == {"status": "unavailable", "error": "ConnectionRefusedError"}
    assert body["checks"]["database"]["status"] == "ok"


def unreachable_database_app(environment: dict[str, str]) -> Flask:
    # A PostgreSQL address where nothing listens: what a stopped or unreachable server looks like.
    return create_app({**environment, "DATABASE_URL": f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/gone"})


def test_a_page_says_503_briefly_unavailable_when_the_database_is_unreachable(environment: dict[str, str]) -> None:
    response = unreachable_database_app(environment).test_client().get("/")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "ClinicFinder is briefly unavailable. Nothing you entered is lost" in page
    assert "Traceback" not in page and "psycopg" not in page
    assert response.headers["Retry-After"] == "30"


def test_the_api_says_503_in_json_when_the_database_is_unreachable(environment: dict[str, str]) -> None:
    response = unreachable_database_app(environment).test_client().get("/api/v1/clinics/cf-0001")
    assert response.status_code == 503
    assert response.is_json
    assert response.get_json()["error"]["message"]


def test_healthz_says_503_and_which_part_fails_when_the_database_is_unreachable(
    environment: dict[str, str], tmp_path
) -> None:
    unreachable = tmp_path / "no-such-folder" / "clinicfinder.db"
    app = create_app({**environment, "DATABASE_URL": f"sqlite:///{unreachable}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "unavailable"
    assert body["checks"]["queue"]["status"] == "ok"
    assert body["checks"]["smtp"]["status"] == "unavailable"  # no relay runs in this test


def test_every_page_carries_security_headers(client: FlaskClient) -> None:
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_unknown_page_gets_the_friendly_404_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "We could not find that page." in response.get_data(as_text=True)


def test_extensions_are_bound_to_the_app(app: Flask) -> None:
    assert {"sqlalchemy", "migrate", "mail", "csrf", "queue", "settings"} <= set(app.extensions)


def test_access_log_lines_keep_the_path_but_never_the_query_string(app: Flask) -> None:
    import logging

    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '%s - - [%s] "%s" %s %s',
        ("127.0.0.1", "25/Nov/2026", "GET /api/v1/clinics/search?location=60611&treatment=tese HTTP/1.1", "200", "-"),
        None,
    )  # fmt: skip
    for log_filter in logging.getLogger("werkzeug").filters:
        log_filter.filter(record)  # type: ignore[union-attr]  # the app adds logging.Filter objects, not functions
    line = record.getMessage()
    assert "GET /api/v1/clinics/search?… HTTP/1.1" in line
    assert "tese" not in line and "60611" not in line


@pytest.mark.parametrize(
    "target",
    [
        '/api/v1/clinics/search?location=60611"&treatment=tese&budget=15000',  # a raw quote
        "/api/v1/clinics/search?location=%2260611&treatment=tese&budget=15000",  # a quote, percent-encoded
        "/api/v1/clinics/search?location=60611%20HTTP/1.1%20&treatment=tese&budget=15000",  # a fake version
        "/api/v1/clinics/search?location=60611 &treatment=tese&budget=15000",  # a bare space: a malformed line
    ],
    ids=["raw-quote", "encoded-quote", "fake-http-version", "space"],
)
def test_the_development_servers_log_never_shows_any_part_of_a_query_string(
    app: Flask, caplog: pytest.LogCaptureFixture, target: str
) -> None:
    import socket

    from tests.support.browser import serving

    caplog.set_level(logging.INFO, logger="werkzeug")
    with serving(app) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            while connection.recv(65536):
                pass
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "werkzeug")
    assert "?…" in logged  # the request was logged, its query string cut
    for secret in ("60611", "tese", "15000", "budget"):
        assert secret not in logged


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/api/v1/clinics/search", {"GET", "HEAD", "OPTIONS"}),
        ("DELETE", "/api/v1/openapi.json", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", "/healthz", {"GET", "HEAD", "OPTIONS"}),
        ("GET", "/account/logout", {"POST", "OPTIONS"}),
    ],
)
def test_a_method_not_allowed_answer_says_which_methods_are(
    client: FlaskClient, method: str, path: str, allowed: set[str]
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert {name.strip() for name in response.headers["Allow"].split(",")} == allowed
    if path.startswith("/api/"):
        assert response.is_json and response.get_json()["error"]["message"]
