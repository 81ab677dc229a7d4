"""Where a patient's words could survive on disk: every file of an instance, and PostgreSQL's pages.

The scan reads bytes, as someone with a copy of the disk would: a deleted row in a freed page or
an old copy of a page in SQLite's `-wal` file counts as much as a live row.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from tests.support.instances import POSTGRES


def files_holding(folder: Path, canaries: list[bytes]) -> dict[str, list[str]]:
    """Each canary → the files under `folder` (relative paths) that contain it anywhere."""
    found: dict[str, list[str]] = {canary.decode(): [] for canary in canaries}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes().lower()
            for canary in canaries:
                if canary.lower() in data:
                    found[canary.decode()].append(str(path.relative_to(folder)))
    return {canary: where for canary, where in found.items() if where}


def postgres_pages_holding(app: Flask, tables: tuple[str, ...], canaries: list[bytes]) -> dict[str, list[str]]:
    """PostgreSQL: each canary → the tables (or their TOAST tables) with a page that holds it, dead rows included.

    Reads the raw pages through the buffer cache (pageinspect), so what has not reached the files
    yet is seen too. The test user created the cluster, so it may.
    """
    if not POSTGRES:
        return {}
    from sqlalchemy import text

    from clinicfinder.extensions import db

    found: dict[str, list[str]] = {}
    with app.app_context():
        with db.engine.connect() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            connection.commit()
            for table in tables:
                toast = connection.execute(
                    text("SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                    {"t": table},
                ).scalar()
                for relation in (table, toast):
                    if not relation or relation == "-":
                        continue
                    blocks = connection.execute(
                        text("SELECT pg_relation_size(CAST(:r AS regclass)) / current_setting('block_size')::int"),
                        {"r": relation},
                    ).scalar_one()
                    data = b"".join(
                        bytes(
                            connection.execute(
                                text("SELECT get_raw_page(:r, :b)"), {"r": relation, "b": b}
                            ).scalar_one()
                        )
                        for b in range(blocks)
                    ).lower()
                    for canary in canaries:
                        if canary.lower() in data:
                            found.setdefault(canary.decode(), []).append(relation)
        db.engine.dispose()
    return found
