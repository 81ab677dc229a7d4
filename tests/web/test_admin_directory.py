"""Site admins import and export clinics.csv: preview with line numbers, all-or-nothing commit, safe export."""

from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from clinicfinder.core.domain import Role
from clinicfinder.db import directory as store
from clinicfinder.db.models import AuditEntry, Clinic
from clinicfinder.extensions import db
from clinicfinder.services import accounts
from tests.support.admin import PASSWORD, Admins, csrf_token, first_rows, logged_in, text
from tests.support.paths import CLINICS_CSV


def export(client: FlaskClient) -> list[dict[str, str]]:
    response = client.get("/admin/directory/export")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def to_csv(rows: list[dict[str, str]]) -> bytes:
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\r\n")  # as a spreadsheet saves it
    writer.writeheader()
    writer.writerows(rows)
    return stream.getvalue().encode("utf-8-sig")


def upload(client: FlaskClient, data: bytes, name: str = "clinics.csv") -> tuple[str, str]:
    """Upload and follow to the preview; returns (preview path, preview page)."""
    response = client.post(
        "/admin/directory/import",
        data={"csrf_token": csrf_token(client, "/admin/directory/import"), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, text(response)
    path = response.headers["Location"]
    return path, text(client.get(path))


def commit(client: FlaskClient, preview_path: str) -> str:
    response = client.post(preview_path, data={"csrf_token": csrf_token(client, preview_path)}, follow_redirects=True)
    return text(response)


def phone(app: Flask, clinic_id: str) -> str | None:
    with app.app_context():
        clinic = db.session.get(Clinic, clinic_id)
        return None if clinic is None else clinic.phone


def fourth_clinic_row() -> dict[str, str]:
    return list(csv.DictReader(io.StringIO(CLINICS_CSV.read_text(encoding="utf-8"))))[3]


def spreadsheet_edit(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """What a site admin does in a spreadsheet: change a phone, add a clinic, keep the rest."""
    rows[1]["phone"] = "(610) 555-0123"
    return [*rows, fourth_clinic_row()]


def test_an_exported_file_edited_in_a_spreadsheet_previews_exactly_what_changes_then_imports_it(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    rows = export(site)
    assert [row["clinic_id"] for row in rows] == ["us-cdc-1", "us-cdc-2", "us-cdc-3"]
    old_phone = rows[1]["phone"]

    preview_path, page = upload(site, to_csv(spreadsheet_edit(rows)))
    assert "<strong>1 added</strong>, <strong>1 changed</strong>, <strong>2 unchanged</strong>, 0 errors" in page
    assert "us-cdc-4: " in page
    changed = page.split("us-cdc-2: Shady Grove Fertility-Pennsylvania", 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">phone</th>' in changed and old_phone in changed and "(610) 555-0123" in changed
    assert changed.count('scope="row"') == 1  # exactly one cell changes
    assert phone(app, "us-cdc-2") == old_phone  # a preview writes nothing
    assert 'type="hidden" name="file' not in page and "(610) 555-0123" not in page.split("<form")[-1]

    assert "Imported: 1 added, 1 changed, 2 unchanged" in commit(site, preview_path)
    assert phone(app, "us-cdc-2") == "(610) 555-0123"
    assert phone(app, "us-cdc-4") is not None
    with app.app_context():
        audit = db.session.scalars(db.select(AuditEntry).where(AuditEntry.actor_label == admins.site)).all()
        assert {(entry.action, entry.clinic_id, entry.field) for entry in audit} == {
            ("clinic.create", "us-cdc-4", None),
            ("clinic.update", "us-cdc-2", "phone"),
        }
    assert list(Path(app.config["ADMIN_UPLOADS_DIR"]).iterdir()) == []  # the file is gone after the commit
    assert "has expired or was already imported" in text(site.get(preview_path, follow_redirects=True))


def test_a_file_with_errors_lists_them_by_line_and_column_and_cannot_be_imported(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    rows = export(site)
    rows[0]["country"] = "USA"
    rows[2]["ivf_price"] = "lots"
    preview_path, page = upload(site, to_csv(rows))
    assert "The file can't be imported: 2 problem(s)" in page
    assert "Line 2, column country: is longer than 2 characters" in page
    assert "Line 4, column ivf_price: must be an amount like 12500" in page
    assert "Import these changes" not in page
    assert "nothing was changed" in commit(site, preview_path)
    with app.app_context():
        # us-cdc-1 is seeded and the refused import changed nothing
        assert db.session.get(Clinic, "us-cdc-1").country == "US"  # type: ignore[union-attr]


def test_an_upload_with_nul_and_del_characters_is_refused_naming_line_and_column(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    rows = export(site)
    rows[0]["name"] += "\x7f"
    rows[1]["website"] = "https://clinic.example/\x00"
    _, page = upload(site, to_csv(rows))
    assert "The file can't be imported: 2 problem(s)" in page
    assert "Line 2, column name: character" in page and "(U+007F)" in page
    assert "Line 3, column website: character 24 is an invisible control character (U+0000)" in page
    assert "Import these changes" not in page
    with app.app_context():
        assert "\x7f" not in (db.session.get(Clinic, "us-cdc-1").name)  # type: ignore[union-attr]


def test_a_commit_that_fails_half_way_leaves_the_directory_as_it_was(
    admins_app: tuple[Flask, Admins], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    rows = export(site)
    old_phone = rows[1]["phone"]
    preview_path, _ = upload(site, to_csv(spreadsheet_edit(rows)))

    real_apply = store.apply_record
    applied: list[str] = []

    def apply_then_fail(clinic: Clinic, record: store.ClinicRecord) -> None:
        real_apply(clinic, record)
        applied.append(record.clinic_id)
        if len(applied) == 2:  # the phone change is applied, then the new clinic fails
            raise IntegrityError("INSERT INTO clinics", {}, Exception("disk full"))

    monkeypatch.setattr(store, "apply_record", apply_then_fail)
    assert "The import failed and nothing was changed" in commit(site, preview_path)
    assert applied == ["us-cdc-2", "us-cdc-4"]
    assert phone(app, "us-cdc-2") == old_phone
    assert phone(app, "us-cdc-4") is None
    monkeypatch.undo()
    assert "Imported: 1 added, 1 changed" in commit(site, preview_path)  # the upload is kept for a retry


def test_a_commit_is_refused_when_the_directory_changed_after_the_preview(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    preview_path, _ = upload(site, to_csv(spreadsheet_edit(export(site))))
    with app.app_context():  # meanwhile, a clinic admin saves an edit
        clinic = db.session.get(Clinic, "us-cdc-3")
        assert clinic is not None
        clinic.phone = "(713) 555-0000"
        db.session.commit()
    assert "The directory changed since this preview, so nothing was imported" in commit(site, preview_path)
    assert phone(app, "us-cdc-4") is None


def test_an_upload_over_the_size_limit_is_refused(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = site.post(
        "/admin/directory/import",
        data={
            "csrf_token": csrf_token(site, "/admin/directory/import"),
            "file": (io.BytesIO(first_rows(30)), "big.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert 'id="file-error">The file is larger than the limit of 4096 bytes.' in text(response)
    assert list(Path(app.config["ADMIN_UPLOADS_DIR"]).glob("*.csv")) == []


def test_an_upload_is_only_for_the_admin_who_sent_it_and_expires_after_an_hour(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    preview_path, _ = upload(site, to_csv(spreadsheet_edit(export(site))))
    with app.app_context():
        accounts.create_user(db.session, "second@clinicfinder.example", Role.SITE_ADMIN, password=PASSWORD)
        db.session.commit()
    colleague = logged_in(app, "second@clinicfinder.example")
    assert "has expired or was already imported" in text(colleague.get(preview_path, follow_redirects=True))
    an_hour_ago = time.time() - 3601
    for path in Path(app.config["ADMIN_UPLOADS_DIR"]).iterdir():
        os.utime(path, (an_hour_ago, an_hour_ago))
    assert "has expired or was already imported" in text(site.get(preview_path, follow_redirects=True))


@pytest.mark.parametrize(
    "formula", ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)"]
)
def test_the_export_neutralises_spreadsheet_formulas_and_imports_back_unchanged(
    admins_app: tuple[Flask, Admins], formula: str
) -> None:
    app, admins = admins_app
    with app.app_context():
        clinic = db.session.get(Clinic, "us-cdc-1")
        assert clinic is not None
        clinic.name = formula
        clinic.description = formula
        db.session.commit()
    site = logged_in(app, admins.site)
    exported = site.get("/admin/directory/export").get_data()
    row = next(row for row in csv.DictReader(io.StringIO(exported.decode())) if row["clinic_id"] == "us-cdc-1")
    assert row["name"] == "'" + formula and row["description"] == "'" + formula
    _, page = upload(site, exported)
    assert "<strong>0 added</strong>, <strong>0 changed</strong>, <strong>3 unchanged</strong>" in page
    assert "nothing to import" in page


def test_what_a_clinic_admin_saved_exports_and_imports_back_unchanged(admins_app: tuple[Flask, Admins]) -> None:
    from tests.support.admin import form_values

    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    editor = "/admin/clinics/us-cdc-1"
    owner.post(
        editor,
        data={**form_values(owner, editor), "ivf_price": "12500", "ivf_currency": "USD", "tese_offered": "yes",
              "mf_micro_tese": "yes", "languages": "en, es", "description": "**Since 1990.**\n\n- TESE\n- ICSI",
              "website": "https://ihr.example"},
    )  # fmt: skip
    site = logged_in(app, admins.site)
    rows = export(site)
    ihr = rows[0]
    assert ihr["ivf_source"].startswith("Clinic-reported price; offered per CDC")
    assert ihr["male_factor_source"] == "Clinic-reported" and ihr["mf_micro_tese"] == "yes"
    _, page = upload(site, to_csv(rows))
    assert "<strong>0 added</strong>, <strong>0 changed</strong>, <strong>3 unchanged</strong>, 0 errors" in page
