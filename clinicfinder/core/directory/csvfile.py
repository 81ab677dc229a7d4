"""Reading and writing whole `clinics.csv` files, with line numbers for every problem.

A file is accepted whole or not at all: `read_directory` returns either every record or
every error it found, never a mixture for the caller to half-apply.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from clinicfinder.core.directory.columns import COLUMNS, TEXT_COLUMNS
from clinicfinder.core.directory.records import ClinicRecord, RowInvalid, parse_row, to_row
from clinicfinder.core.directory.text import MULTILINE_COLUMNS, find_control_character

# Enough for any real directory; a larger file is much more likely a mistake or an attack.
MAX_ROWS = 200_000


@dataclass(frozen=True)
class LineError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ParsedDirectory:
    records: list[ClinicRecord] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_directory(data: bytes) -> ParsedDirectory:
    """Parse a whole file's bytes. UTF-8, with or without the BOM spreadsheets add."""
    result = ParsedDirectory()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        result.errors.append(LineError(line, None, "is not valid UTF-8 text; save the file as CSV UTF-8"))
        return result

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        result.errors.append(LineError(1, None, f"the header cannot be read as CSV: {error}"))
        return result
    if header is None:
        result.errors.append(LineError(1, None, "the file is empty; expected a header row"))
        return result
    header_errors = _check_header([name.strip() for name in header])
    if header_errors:
        result.errors.extend(header_errors)
        return result

    names = [name.strip() for name in header]
    first_line_of: dict[str, int] = {}
    next_start = reader.line_num + 1
    while True:
        start = next_start
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            result.errors.append(LineError(start, None, f"cannot be read as CSV: {error}"))
            break
        next_start = reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, common at the end of hand-edited files
        if len(cells) != len(names):
            result.errors.append(
                LineError(start, None, f"has {len(cells)} cells but the header has {len(names)} columns")
            )
            continue
        if len(first_line_of) >= MAX_ROWS:
            result.errors.append(LineError(start, None, f"the file has more than {MAX_ROWS} clinics"))
            break
        refused = _control_characters(start, names, cells)
        if refused:
            result.errors.extend(refused)
            continue
        try:
            record = parse_row({name: _restored(name, cell) for name, cell in zip(names, cells, strict=True)})
        except RowInvalid as invalid:
            result.errors.extend(LineError(start, error.column, error.message) for error in invalid.errors)
            continue
        if record.clinic_id in first_line_of:
            result.errors.append(
                LineError(
                    start, "clinic_id", f"{record.clinic_id} is already on line {first_line_of[record.clinic_id]}"
                )
            )
            continue
        first_line_of[record.clinic_id] = start
        result.records.append(record)
    if result.errors:
        result.records = []
    return result


def _control_characters(line: int, names: list[str], cells: list[str]) -> list[LineError]:
    errors = []
    for name, cell in zip(names, cells, strict=True):
        found = find_control_character(cell, multiline=name in MULTILINE_COLUMNS)
        if found is not None:
            # Line breaks inside quoted cells put the character on a later line of the file.
            errors.append(LineError(line + cell.count("\n", 0, found.position - 1), name, str(found)))
        line += cell.count("\n")
    return errors


def _check_header(names: list[str]) -> list[LineError]:
    errors = []
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        errors.append(LineError(1, None, f"missing columns: {', '.join(missing)}"))
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        errors.append(LineError(1, None, f"unknown columns: {', '.join(unknown)} (check the spelling)"))
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        errors.append(LineError(1, None, f"columns given twice: {', '.join(duplicated)}"))
    return errors


def write_directory(records: Iterable[ClinicRecord], stream: IO[str]) -> int:
    """Write the canonical file; returns the number of clinics written."""
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow({column: _defused(column, value) for column, value in to_row(record).items()})
        count += 1
    return count


# OWASP's "CSV injection" starters; the quote makes a spreadsheet show the text, not run it.
FORMULA_STARTERS = ("=", "+", "-", "@", "\t", "\r")


def _defused(column: str, value: str) -> str:
    return "'" + value if column in TEXT_COLUMNS and value.startswith(FORMULA_STARTERS) else value


def _restored(column: str, value: str) -> str:
    """Undo `_defused`, so an exported file imports back unchanged."""
    if column in TEXT_COLUMNS and value.startswith("'") and value[1:].startswith(FORMULA_STARTERS):
        return value[1:]
    return value
