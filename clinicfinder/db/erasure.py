"""Erased means erased on disk, not only gone from the table (see docs/privacy.md).

A DELETE or an UPDATE to NULL leaves the old bytes behind: SQLite keeps them in freed space
and, in WAL mode, in every earlier copy of the page in the `-wal` file; PostgreSQL keeps the
old row version as a dead tuple, and plain VACUUM frees its space without overwriting it.

- SQLite: every connection runs `PRAGMA secure_delete=ON` (extensions.py), so freed space is
  zeroed in the new copy of the page; `checkpoint` then copies the WAL into the database and
  truncates it to nothing, taking the old copies with it.
- PostgreSQL: `scrub` rewrites the tables that held answers (VACUUM FULL) after a purge, so
  no page keeps a dead row; the old files go back to the filesystem.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

if TYPE_CHECKING:  # a type only: db.directory (the CSV records) is not needed at run time
    from clinicfinder.db.directory import AnySession


log = logging.getLogger(__name__)

# The tables that ever hold a patient's answers or address.
PATIENT_TABLES = ("report_requests", "journey_answers")
# VACUUM FULL locks its table: wait this long at most, and leave it to the next purge if busy.
PG_LOCK_TIMEOUT = "2s"


def _engine(session: AnySession) -> Engine:
    # The session's own open transaction (a SELECT after the erasing commit) would hold an old
    # snapshot and a share lock: the checkpoint or VACUUM would wait for it forever. End it first.
    session.commit()
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def checkpoint(session: AnySession) -> bool:
    """SQLite: fold the WAL into the database and truncate it; True when nothing was left behind.

    Commits `session` first. On other databases it does nothing (True).
    """
    engine = _engine(session)
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as connection:
        # (busy, frames in the log, frames copied): busy means a reader held an old snapshot past
        # busy_timeout; the WAL then stays until the next checkpoint, which the next purge makes.
        busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:
        log.warning("erasure: the WAL checkpoint was busy; the next purge truncates it")
    return not busy


def scrub(session: AnySession, tables: tuple[str, ...] = PATIENT_TABLES) -> bool:
    """After a purge: no copy of an erased row left in the database's files; True when done. Commits `session` first."""
    engine = _engine(session)
    if engine.dialect.name == "sqlite":
        return checkpoint(session)
    if engine.dialect.name != "postgresql":
        return True
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"SET lock_timeout = '{PG_LOCK_TIMEOUT}'")
            try:
                for table in tables:  # one at a time: each lock is held only for its own table
                    connection.exec_driver_sql(f'VACUUM (FULL) "{table}"')
            finally:  # the connection goes back to the pool: no lock_timeout for its next user
                connection.exec_driver_sql("RESET lock_timeout")
    except Exception as error:  # a lock not granted in time: the next purge (a minute later) tries again
        log.warning("erasure: VACUUM FULL did not run (%s); the next purge tries again", type(error).__name__)
        return False
    return True
