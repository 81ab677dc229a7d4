"""`flask --app wsgi users create`: the first site admin, made on the server itself."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from clinicfinder.core.domain import Role
from clinicfinder.extensions import db
from clinicfinder.services import accounts

users_cli = click.Group("users", help="Admin accounts.")


@users_cli.command("create")
@click.option("--email", prompt=True, help="The admin's email address (the login name).")
@click.option(
    "--role", type=click.Choice([role.value for role in Role]), default=Role.SITE_ADMIN.value, show_default=True
)
@click.option("--clinic", "clinics", multiple=True, help="A clinic id a clinic admin manages (repeatable).")
@click.password_option(help="At least 12 characters; prompted (and not echoed) when not given.")
@with_appcontext
def create_command(email: str, role: str, clinics: tuple[str, ...], password: str) -> None:
    """Create an admin who can log in at once."""
    try:
        user = accounts.create_user(db.session, email, Role(role), password=password, clinic_ids=clinics)
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}.")
