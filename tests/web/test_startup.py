"""Start-up (issue 15): a web process imports what serving pages needs, and the rest on first use.

Each check runs `import wsgi` in a fresh interpreter, as gunicorn does, because a module that any
earlier test imported would already sit in this process's `sys.modules`.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.paths import PROJECT_ROOT as ROOT

# Imported only by what uses them: the PDF engine and the report it lays out (a report), the migration
# tool (`flask db`), the job queue's backends (a queued job, the worker), the API's schemas (an API
# request), the password hasher (a login), the CSV import and export (the CLI and an admin's directory
# pages), the Markdown of clinic descriptions (a page that shows one), the guide's YAML (a report), the
# email address checker (the results page's report form, when an address is sent), the admin forms with
# the directory's field rules (an admin's page).
NOT_AT_START = (
    "email_validator",
    "clinicfinder.web.admin.forms",
    "clinicfinder.core.directory.records",
    "weasyprint",
    "alembic",
    "flask_migrate",
    "huey",
    "redis",
    "psycopg",
    "pydantic",
    "argon2",
    "aiosmtpd",
    "markdown_it",
    "yaml",
    "clinicfinder.pdf.renderer",
    "clinicfinder.core.report.builder",
    "clinicfinder.db.directory",
    "clinicfinder.core.directory.csvfile",
    "clinicfinder.services.imports",
)


def _run(code: str, environment: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout


def _backend_drivers(environment: dict[str, str]) -> set[str]:
    """The drivers the configured backends need to serve a page: on the scaled configuration (PostgreSQL
    and Redis, as `make test-scaled` runs this suite) the web process opens both, so it imports them."""
    drivers = set()
    if environment.get("DATABASE_URL", "").startswith("postgresql"):
        drivers.add("psycopg")
    if environment.get("QUEUE_URL", "").startswith("redis"):
        drivers.add("redis")
    return drivers


def test_import_wsgi_loads_none_of_what_only_reports_the_cli_or_the_worker_use(environment: dict[str, str]) -> None:
    expected_absent = [module for module in NOT_AT_START if module not in _backend_drivers(environment)]
    code = f"import json, sys, wsgi; print(json.dumps([m for m in {expected_absent!r} if m in sys.modules]))"
    assert json.loads(_run(code, {**environment, "PYTHONPATH": str(ROOT)})) == []


def test_the_commands_are_all_listed_though_their_code_is_imported_when_they_run(environment: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "--help"],
        cwd=ROOT, env={**environment, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    listed = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert {"clinics", "db", "journeys", "reports", "worker", "users", "mailsink"} <= listed


def test_a_report_made_in_the_process_still_finds_its_renderer(app: object) -> None:
    # The renderer is configured on first use now, not by create_app: the setting must still reach it.
    from flask import Flask

    from clinicfinder.pdf import renderer as module
    from clinicfinder.services import delivery

    assert isinstance(app, Flask)
    before = module.renderer.processes, module.renderer.tasks_per_child
    app.config["RENDER_PROCESSES"] = 0  # in this process: no child to start
    answers = {"treatment": "ivf", "currency": "USD", "place": {"latitude": 40.7, "longitude": -74.0, "country": "US"}}
    try:
        with app.app_context():
            pdf, name = delivery.download_report(answers, "en", "New York, NY")
        assert module.renderer.processes == 0
    finally:
        module.renderer.configure(*before)  # the renderer is one per process: leave it as found
    assert pdf.startswith(b"%PDF") and name.endswith(".pdf")
