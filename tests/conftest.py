"""Fixtures every folder that runs the app shares, in the flaskr order: environment → app.

Every test gets its own instance folder (tests/support/instances.py): its own database built by
the real Alembic migrations, its own job queue and its own reports folder. The app is imported
only when a fixture builds one, so tests/unit/ does not load it through here; Playwright is
imported only under tests/browser/. The client, runner and admin fixtures live in
tests/web/conftest.py, the SMTP server in tests/worker/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.instances import (
    POSTGRES,
    build_migrated_template,
    build_seeded_database,
    copy_seeded,
    dispose,
    make_environment,
    migrated_app,
)

if TYPE_CHECKING:
    from flask import Flask


@pytest.fixture(scope="session")
def postgres_templates() -> None:
    """PostgreSQL only: an empty migrated template database that every test's database is copied from."""
    if POSTGRES:
        build_migrated_template()


@pytest.fixture(autouse=True, scope="session")
def _scaled_pass_ready(postgres_templates: None) -> None:
    """Every test may call make_environment directly, so the templates exist before the first one."""


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory, postgres_templates: None) -> Path:
    """Migrate and import clinics.csv once; tests that need the directory copy it with `copy_seeded`."""
    return build_seeded_database(tmp_path_factory.mktemp("seeded"))


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return make_environment(tmp_path / "instance")


@pytest.fixture
def app(environment: dict[str, str]) -> Iterator[Flask]:
    app = migrated_app(environment)
    yield app
    dispose(app)


@pytest.fixture
def seeded_app(environment: dict[str, str], seeded_database: Path) -> Iterator[Flask]:
    from clinicfinder.app import create_app

    copy_seeded(seeded_database, Path(environment["INSTANCE_DIR"]))
    app = create_app(environment)
    yield app
    dispose(app)
