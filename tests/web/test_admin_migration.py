"""The admin migration (d2bd7eb2aa6b) downgrades and upgrades again, keeping the directory intact."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa
from flask import Flask

from clinicfinder.extensions import db
from tests.support.admin import seed_directory

ADMIN_REVISION = "d2bd7eb2aa6b"
INITIAL_REVISION = "8a09893906c3"


def columns(table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(db.engine).get_columns(table)}


def test_the_admin_migration_downgrades_and_upgrades_without_losing_clinics(app: Flask) -> None:
    seed_directory(app)
    with app.app_context():
        assert {"verified_at", "verified_by"} <= columns("treatment_offers")
        assert "session_nonce_hash" in columns("users")
        assert "login_throttles" in sa.inspect(db.engine).get_table_names()

        flask_migrate.downgrade(revision=INITIAL_REVISION)
        db.engine.dispose()
        assert "user_tokens" not in sa.inspect(db.engine).get_table_names()
        assert "verified_at" not in columns("accreditations")
        assert "session_nonce_hash" not in columns("users")
        assert "login_throttles" not in sa.inspect(db.engine).get_table_names()

        flask_migrate.upgrade(revision=ADMIN_REVISION)
        db.engine.dispose()
        assert "user_tokens" in sa.inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM clinics")).scalar() == 3
