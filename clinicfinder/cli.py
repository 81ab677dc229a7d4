"""Commands under `flask --app wsgi …`: the directory file, and the job worker."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import with_appcontext

from clinicfinder.core.paths import PROJECT_ROOT
from clinicfinder.extensions import db, queue

if TYPE_CHECKING:
    from clinicfinder.pdf.renderer import Renderer

log = logging.getLogger(__name__)

# The directory's CSV code, its import/export and the services each command needs are imported inside
# the command: a web process registers these commands but never runs them, and `import wsgi` should not
# pay for them (issue 15: start-up).

clinics_cli = click.Group("clinics", help="Import and export the clinic directory (clinics.csv).")


def _import(path: Path, *, dry_run: bool) -> None:
    from clinicfinder.core.directory.csvfile import read_directory
    from clinicfinder.db.directory import import_directory

    data = path.read_bytes()
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if len(data) > limit:
        raise click.ClickException(f"{path} is {len(data)} bytes; the limit is {limit} (MAX_IMPORT_BYTES).")
    parsed = read_directory(data)
    if not parsed.ok:
        for error in parsed.errors:
            click.echo(f"{path}: {error}", err=True)
        raise click.ClickException(f"{path} was rejected: {len(parsed.errors)} problem(s); nothing was changed.")
    summary = import_directory(db.session, parsed.records, actor_label="cli", dry_run=dry_run)
    click.echo(f"{path}: {summary.describe()}")
    for clinic_id, columns in sorted(summary.changed.items()):
        click.echo(f"  changed {clinic_id}: {', '.join(columns)}")


@clinics_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change, without saving.")
@with_appcontext
def import_command(path: Path, dry_run: bool) -> None:
    """Add or update the clinics in PATH (all or nothing)."""
    _import(path, dry_run=dry_run)


@clinics_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_command(path: Path) -> None:
    """Write every clinic to PATH in the clinics.csv format."""
    from clinicfinder.core.directory.csvfile import write_directory
    from clinicfinder.db.directory import export_directory

    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as stream:
        count = write_directory(export_directory(db.session), stream)
    partial.replace(path)  # a reader never sees a half-written file
    click.echo(f"{path}: {count} clinics written")


@clinics_cli.command("seed")
@click.option(
    "--path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=PROJECT_ROOT / "clinics.csv",
    show_default=True,
)
@with_appcontext
def seed_command(path: Path) -> None:
    """Import PATH if the directory is empty; otherwise do nothing."""
    from sqlalchemy import func, select

    from clinicfinder.db.models import Clinic

    if db.session.scalar(select(func.count()).select_from(Clinic)):
        click.echo("The directory already has clinics; not seeding.")
        return
    _import(path, dry_run=False)


journeys_cli = click.Group("journeys", help="Patients' answers held between the steps.")


@journeys_cli.command("purge")
@with_appcontext
def purge_journeys_command() -> None:
    """Delete every answer set idle for more than an hour (the worker also does this every 10 minutes)."""
    from clinicfinder.services import journey

    click.echo(f"{journey.purge_expired()} expired answer set(s) deleted")


reports_cli = click.Group("reports", help="Emailed reports: their job records and PDFs.")


@reports_cli.command("purge")
@with_appcontext
def purge_reports_command() -> None:
    """Delete unconfirmed requests' answers, requests older than REPORT_RETENTION_DAYS, and stray PDFs.

    The worker does the same every minute; this is for a machine where no worker runs.
    """
    from clinicfinder.services import report_retention

    counts = report_retention.purge()
    click.echo(
        f"{counts['expired']} unconfirmed request(s) expired, {counts['deleted']} old request(s) deleted, "
        f"{counts['files']} PDF file(s) removed"
    )


@click.command("mailsink")
@with_appcontext
def mailsink_command() -> None:
    """Run the local SMTP server that keeps mail in MAILDIR (only when MAIL_SERVER is not set)."""
    from clinicfinder import mailsink  # aiosmtpd: only this command serves mail

    settings = current_app.extensions["settings"]
    if not settings.local_mail_server:
        click.echo(f"MAIL_SERVER is set ({settings.mail_server}); not starting the local SMTP server.", err=True)
        return
    mailsink.main(["--port", str(settings.mail_port), "--maildir", str(settings.maildir)])


def _warm_up(renderer: Renderer) -> None:
    try:
        renderer.warm_up()
    except Exception:  # the first report then starts the children as it always could
        log.exception("worker: the render children could not be started ahead of the first report")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs processed at once (threads).")
@with_appcontext
def worker_command(workers: int) -> None:
    """Run the job worker until interrupted."""
    from clinicfinder.pdf.renderer import renderer

    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    queue.start_tickers()
    # The render children started while the consumer starts, not by the first report: configured as each
    # report configures it (services/delivery.py), here in the app context, and warmed up outside it.
    renderer.configure_from(current_app.config)
    threading.Thread(target=_warm_up, args=(renderer,), name="render-warm-up", daemon=True).start()
    click.echo(f"worker: {workers} thread(s) on {current_app.config['QUEUE_URL'].split('://')[0]}", err=True)
    consumer.run()
    sys.exit(0)
