"""Instance folders for tests: each test's own database, job queue, reports folder and mail port.

On the default pass the database is a SQLite file built by the real Alembic migrations. On the
scaled pass (`make test-scaled` sets CLINICFINDER_TEST_POSTGRES and CLINICFINDER_TEST_REDIS) each
instance gets its own PostgreSQL database, copied from a migrated (or seeded) template, and its
own Redis database for the job queue and the rate limits.

The app is imported inside the functions that build one: tests/conftest.py imports this module,
and a unit test run should not pay for importing the whole app.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from flask import Flask

# Set by scripts/with-services.sh: a PostgreSQL server URL (no database) and a Redis server URL.
POSTGRES = os.environ.get("CLINICFINDER_TEST_POSTGRES", "")
REDIS = os.environ.get("CLINICFINDER_TEST_REDIS", "")
MIGRATED_TEMPLATE = "migrated_template"
SEEDED_TEMPLATE = "seeded_template"
_redis_databases = itertools.count(1)

# For the few tests about SQLite itself; they still run on every default pass.
sqlite_only = pytest.mark.skipif(bool(POSTGRES), reason="checks SQLite itself; this pass runs on PostgreSQL")


def _postgres_admin(*statements: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def _database_for(instance: Path) -> str:
    return "t_" + hashlib.sha256(str(instance).encode()).hexdigest()[:20]


def _copy_database(name: str, template: str) -> None:
    # FILE_COPY: a plain copy of the template's files, much faster than the WAL-logged default here.
    _postgres_admin(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY',
    )


def _fresh_redis_url() -> str:
    import redis

    url = f"{REDIS}/{next(_redis_databases) % 4095 + 1}"
    redis.Redis.from_url(url).flushdb()
    return url


def copy_seeded(seeded_database: Path, instance: Path) -> None:
    """Give `instance` the migrated and seeded directory (a file copy; on PostgreSQL a database copy)."""
    instance.mkdir(parents=True, exist_ok=True)
    if POSTGRES:
        _copy_database(_database_for(instance), SEEDED_TEMPLATE)
        (instance / ".database").write_text(_database_for(instance))
    else:
        shutil.copyfile(seeded_database, instance / "clinicfinder.db")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_environment(instance: Path) -> dict[str, str]:
    environment = {
        "APP_ENV": "testing",
        "INSTANCE_DIR": str(instance),
        "REPORTS_DIR": str(instance / "reports"),
        "MAIL_PORT": str(free_port()),
    }
    if POSTGRES:
        name = _database_for(instance)
        if not (instance / ".database").exists():  # copy_seeded may already have made it
            _copy_database(name, MIGRATED_TEMPLATE)
            instance.mkdir(parents=True, exist_ok=True)
            (instance / ".database").write_text(name)
        redis_url = _fresh_redis_url()
        environment |= {
            "DATABASE_URL": f"{POSTGRES}/{name}",
            "QUEUE_URL": redis_url,
            "RATELIMIT_STORAGE_URI": redis_url,
        }
    return environment


def migrated_app(environment: dict[str, str]) -> Flask:
    import flask_migrate

    from clinicfinder.app import create_app

    app = create_app(environment)
    with app.app_context():
        flask_migrate.upgrade()
    return app


@contextmanager
def seeded_app(seeded_database: Path, instance: Path) -> Iterator[Flask]:
    """An app on a copy of the seeded directory in `instance`, its connections closed afterwards."""
    from clinicfinder.app import create_app

    copy_seeded(seeded_database, instance)
    app = create_app(make_environment(instance))
    try:
        yield app
    finally:
        dispose(app)


def dispose(app: Flask) -> None:
    """Close the app's database connections (SQLite files and PostgreSQL databases are dropped or copied next)."""
    from clinicfinder.extensions import db

    with app.app_context():
        db.engine.dispose()


def build_migrated_template() -> None:
    """PostgreSQL only: the empty migrated template database that every test's database is copied from."""
    _postgres_admin(f'DROP DATABASE IF EXISTS "{MIGRATED_TEMPLATE}"', f'CREATE DATABASE "{MIGRATED_TEMPLATE}"')
    app = migrated_app({"APP_ENV": "testing", "DATABASE_URL": f"{POSTGRES}/{MIGRATED_TEMPLATE}", "QUEUE_URL": REDIS})
    dispose(app)


def build_seeded_database(instance: Path) -> Path:
    """Migrate and import clinics.csv once into `instance`; on PostgreSQL it becomes the seeded template."""
    app = migrated_app(make_environment(instance))
    result = app.test_cli_runner().invoke(args=["clinics", "seed"])
    assert result.exit_code == 0, result.output
    dispose(app)
    if POSTGRES:
        _copy_database(SEEDED_TEMPLATE, _database_for(instance))
    return instance / "clinicfinder.db"
