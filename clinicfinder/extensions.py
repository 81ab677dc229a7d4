"""Every Flask extension, created unbound; `create_app` binds them with `init_app`."""

from __future__ import annotations

import sqlite3
from typing import Any

import click
from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from clinicfinder.jobs import JobQueue
from clinicfinder.mailer import SecureMail

# Named constraints keep Alembic migrations portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LazyMigrate:
    """Flask-Migrate, imported with Alembic only when a migration runs (`flask db ...`, `flask_migrate.upgrade()`).

    Alembic is a fifth of a web worker's cold start and no page uses it. Flask-Migrate's functions read
    `app.extensions["migrate"]`; until then it holds a stand-in that builds the real one when first read.
    """

    def init_app(self, app: Flask, db: SQLAlchemy, directory: str) -> None:
        app.extensions["migrate"] = _MigrateOnDemand(app, db, directory)
        app.cli.add_command(_MigrateCommands(name="db", help="Perform database migrations."))


class _MigrateOnDemand:
    def __init__(self, app: Flask, db: SQLAlchemy, directory: str) -> None:
        self._app, self._db, self._directory = app, db, directory

    def __getattr__(self, name: str) -> Any:
        from flask_migrate import Migrate

        Migrate(self._app, self._db, directory=self._directory)  # puts the real config in app.extensions
        return getattr(self._app.extensions["migrate"], name)


class _MigrateCommands(click.Group):
    """`flask db`: listed without importing Alembic, handed to Flask-Migrate's own group when run."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        from flask_migrate.cli import db as commands

        context: click.Context = commands.make_context(info_name, args, parent=parent, **extra)
        return context


# pool_pre_ping: after a database restart, pooled connections are dead; test each before use so the
# first requests after an outage succeed instead of failing on a stale connection.
db = SQLAlchemy(model_class=Base, engine_options={"pool_pre_ping": True})
migrate = LazyMigrate()
mail = SecureMail()  # Flask-Mail, with TLS verification and a timeout
csrf = CSRFProtect()
queue = JobQueue()
babel = Babel()
# Limits are declared per view; storage is RATELIMIT_STORAGE_URI (memory://, or redis:// when scaled out).
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
# Admin logins; configured (login view, session protection, user loader) in clinicfinder/web/auth.
login_manager = LoginManager()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, let the web server read while the worker writes, zero what is deleted."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Erased answers and addresses must not linger in freed pages (db/erasure.py, docs/privacy.md).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
