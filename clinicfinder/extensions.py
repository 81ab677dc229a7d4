"""Every Flask extension, created unbound; `create_app` binds them with `init_app`."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
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


# pool_pre_ping: after a database restart, pooled connections are dead; test each before use so the
# first requests after an outage succeed instead of failing on a stale connection.
db = SQLAlchemy(model_class=Base, engine_options={"pool_pre_ping": True})
migrate = Migrate()
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
