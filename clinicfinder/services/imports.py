"""Upload → preview → commit of clinics.csv, for site admins. No Flask.

The uploaded file stays on the server (under a random name, readable only by its
uploader, gone after an hour or after the commit) so the commit applies exactly the
bytes that were previewed. The commit is refused if the directory changed since the
preview, and is all-or-nothing (db/directory.py runs it in one transaction).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from clinicfinder.core.directory.csvfile import LineError, read_directory
from clinicfinder.db.directory import AnySession, ImportSummary, import_directory
from clinicfinder.db.models import DirectoryState, User

UPLOAD_LIFETIME_SECONDS = 3600
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


class StaleDirectory(RuntimeError):
    """The directory changed after the preview: the preview no longer says what a commit would do."""


@dataclass
class Preview:
    revision: int
    errors: list[LineError] = field(default_factory=list)
    added: list[tuple[str, str]] = field(default_factory=list)  # (clinic id, name)
    changed: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed)


def directory_revision(session: AnySession, *, lock: bool = False) -> int:
    query = select(DirectoryState.revision)
    if lock:
        query = query.with_for_update()  # PostgreSQL: edits wait until the import commits
    return session.scalar(query) or 0


def preview(session: AnySession, data: bytes) -> Preview:
    revision = directory_revision(session)
    parsed = read_directory(data)
    result = Preview(revision=revision, errors=parsed.errors)
    if not parsed.ok:
        return result
    summary = import_directory(session, parsed.records, actor_label="preview", dry_run=True)
    names = {record.clinic_id: record.name for record in parsed.records}
    result.added = [(clinic_id, names[clinic_id]) for clinic_id in summary.added]
    result.changed = summary.differences
    result.names = {clinic_id: names[clinic_id] for clinic_id in summary.changed}
    result.unchanged = summary.unchanged
    return result


def commit(session: AnySession, data: bytes, *, previewed_revision: int, actor: User) -> ImportSummary:
    if directory_revision(session, lock=True) != previewed_revision:
        session.rollback()
        raise StaleDirectory("The directory changed after this preview.")
    parsed = read_directory(data)
    if not parsed.ok:  # the stored bytes were previewed clean; this guards against a tampered file
        session.rollback()
        raise ValueError("The file no longer reads cleanly.")
    return import_directory(session, parsed.records, actor_label=actor.email, actor_id=actor.id)


# --- the uploaded file between preview and commit ---------------------------------------


@dataclass(frozen=True)
class Upload:
    upload_id: str
    data: bytes
    owner_id: int
    revision: int
    filename: str


class UploadStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _paths(self, upload_id: str) -> tuple[Path, Path]:
        return self.directory / f"{upload_id}.csv", self.directory / f"{upload_id}.json"

    def save(self, data: bytes, *, owner_id: int, revision: int, filename: str) -> str:
        self.purge()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        upload_id = secrets.token_urlsafe(24)
        data_path, meta_path = self._paths(upload_id)
        data_path.write_bytes(data)
        meta = {"owner_id": owner_id, "revision": revision, "filename": filename[:200]}
        meta_path.write_text(json.dumps(meta))
        return upload_id

    def load(self, upload_id: str, *, owner_id: int) -> Upload | None:
        if not _UPLOAD_ID.match(upload_id):
            return None
        data_path, meta_path = self._paths(upload_id)
        try:
            meta = json.loads(meta_path.read_text())
            if time.time() - meta_path.stat().st_mtime > UPLOAD_LIFETIME_SECONDS or meta["owner_id"] != owner_id:
                return None
            return Upload(upload_id, data_path.read_bytes(), meta["owner_id"], meta["revision"], meta["filename"])
        except (OSError, ValueError, KeyError):
            return None

    def delete(self, upload_id: str) -> None:
        if _UPLOAD_ID.match(upload_id):
            for path in self._paths(upload_id):
                path.unlink(missing_ok=True)

    def purge(self) -> None:
        """Drop uploads older than an hour (previewed and never committed)."""
        if not self.directory.is_dir():
            return
        cutoff = time.time() - UPLOAD_LIFETIME_SECONDS
        for path in self.directory.iterdir():
            if path.suffix in (".csv", ".json") and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
