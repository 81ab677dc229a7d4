"""Turn CDC's clinic outcome tables into the project's data files.

Reads (all under data/raw/, copied byte for byte, see PROVENANCE.md):
  cdc_art_clinic_tables_2018.xlsx            every reporting clinic, 2018, no ClinicId
  cdc_2022_clinic_summaries/*_Summary.json   59 clinics, 2022, named by ClinicId
  cdc_art_services_profiles_{2020,2021,2022}.csv   ClinicIds, names, status, volume
  data/cdc_2018_aliases.csv                  reviewed 2018 → ClinicId decisions
  data/cdc_2018_match_review.csv             verdicts on the seeded review sample

Writes:
  data/cdc_outcomes.csv          one row per clinic × year × cohort × age band × measure
  data/cdc_history.csv           status, volume and address per ClinicId and year (2020–2022)
  data/cdc_2018_match_report.md  how the 2018 clinics were matched, and the review

Rebuild (from the project root):
  python -m tools.cdc_outcomes
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from clinicfinder.core.outcomes import NumeratorBasis
from tools.cdc_cells import Cell, CellKind, numerators_for, parse_cell
from tools.cdc_match_2018 import (
    Alias,
    MatchResult,
    Method,
    clinics_from_records,
    director_key,
    match_all,
    read_aliases,
)
from tools.cdc_profiles import HISTORY_COLUMNS, Profile, history_rows, load_profiles

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKBOOK_2018 = "cdc_art_clinic_tables_2018.xlsx"
SUMMARIES_2022 = "cdc_2022_clinic_summaries"
SOURCE_2018 = "CDC NASS 2018 ART clinic tables"
SOURCE_2022 = "CDC NASS 2022 ART clinic data summary"
NATIONAL = "national"
REVIEW_SEED = 2018
REVIEW_SAMPLE = 40

OUTCOME_COLUMNS = (
    "clinic_id",
    "cdc_2018_order_id",
    "year",
    "egg_source",
    "patients",
    "cycle_type",
    "age_band",
    "measure",
    "unit",
    "published",
    "numerator",
    "denominator",
    "value",
    "suppressed",
    "numerator_basis",
    "source",
    "source_year",
)

# ---------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class Cohort:
    egg_source: str  # own / donor / donated_embryo / all (cycle characteristics cover every cycle)
    patients: str  # all / new
    cycle_type: str  # donor cycles only: fresh_embryos_fresh_eggs, frozen_embryos, …
    age_band: str  # CDC's label; "all" where CDC gives one figure for every age


@dataclass
class Quirks:
    """Things in the raw data worth knowing; counted, listed in the report, never "fixed"."""

    notes: Counter[str] = field(default_factory=Counter)

    def add(self, note: str) -> None:
        self.notes[note] += 1


def figure(
    cohort: Cohort,
    measure: str,
    unit: str,
    cell: Cell,
    denominator_cell: Cell | None,
    quirks: Quirks,
    where: str,
) -> dict[str, str] | None:
    """One output row for a printed cell; None for an empty cell (CDC printed nothing)."""
    if cell.kind is CellKind.EMPTY:
        return None
    numerator: int | None = None
    denominator: int | None = None
    value = ""
    basis: NumeratorBasis | None = None
    known_denominator = (
        int(denominator_cell.number)
        if denominator_cell is not None
        and denominator_cell.kind is CellKind.COUNT
        and denominator_cell.number is not None
        else None
    )
    if cell.kind is CellKind.FRACTION:
        numerator, denominator = cell.numerator, cell.denominator
        if numerator is not None:
            basis = NumeratorBasis.PUBLISHED
        if known_denominator is not None and denominator is not None and denominator != known_denominator:
            quirks.add(f"fraction denominator differs from the published count ({where})")
        if denominator is None and known_denominator is not None:
            denominator = known_denominator
    elif cell.kind is CellKind.PERCENT:
        assert cell.number is not None
        value = cell.raw.rstrip("%").strip()
        denominator = known_denominator
        if denominator == 0:
            quirks.add("a percentage printed over a denominator of 0 (kept as printed, no numerator)")
        elif denominator is not None:
            fits = numerators_for(cell.number, cell.decimals, denominator)
            if len(fits) == 1:
                numerator, basis = fits[0], NumeratorBasis.RECONSTRUCTED
            elif fits:
                numerator, basis = round(cell.number * denominator / 100), NumeratorBasis.ROUNDED
            else:
                quirks.add(f"no whole numerator fits the percentage and its denominator ({where})")
    elif cell.kind is CellKind.COUNT:
        assert cell.number is not None
        value = str(int(cell.number))
    elif cell.kind is CellKind.YES_NO:
        value = cell.text
    elif cell.kind is CellKind.BELOW:
        quirks.add("percentages printed as '<1%' (kept in `published`, no value)")
    elif cell.kind is CellKind.DECIMAL:
        raise ValueError(f"{where}: a decimal {cell.raw!r} where a {unit} was expected")
    return {
        "egg_source": cohort.egg_source,
        "patients": cohort.patients,
        "cycle_type": cohort.cycle_type,
        "age_band": cohort.age_band,
        "measure": measure,
        "unit": unit,
        "published": cell.raw,
        "numerator": "" if numerator is None else str(numerator),
        "denominator": "" if denominator is None else str(denominator),
        "value": value,
        "suppressed": "true" if cell.suppressed else "false",
        "numerator_basis": basis.value if basis else "",
    }


# ---------------------------------------------------------------- 2018

BANDS_2018 = ("<35", "35-37", "38-40", "41-42", "≥43")  # the dictionary's labels for suffixes 1–5
DONOR_2018 = (
    ("donor", "fresh_embryos_fresh_eggs"),
    ("donor", "fresh_embryos_frozen_eggs"),
    ("donor", "frozen_embryos"),
    ("donated_embryo", "donated_embryos"),
)
# (column prefix, patients, measure, unit, column prefix of the denominator count or None)
OWN_2018: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("ND_NumIntentRet", "all", "intended_retrievals", "count", None),
    ("ND_IntentRetLB", "all", "live_births_per_intended_retrieval", "percent", "ND_NumIntentRet"),
    ("ND_IntentRetSingleLB", "all", "singleton_live_births_per_intended_retrieval", "percent", "ND_NumIntentRet"),
    ("ND_NumTrans", "all", "transfers", "count", None),
    ("ND_TransLB", "all", "live_births_per_transfer", "percent", "ND_NumTrans"),
    ("ND_TransSingleLB", "all", "singleton_live_births_per_transfer", "percent", "ND_NumTrans"),
    # New patients' cumulative rates: CDC prints no count of new patients, so only fractions carry one.
    ("NewND_1IntentRetLB", "new", "live_births_after_1_intended_retrieval", "percent", None),
    ("NewND_2IntentRetLB", "new", "live_births_after_1_or_2_intended_retrievals", "percent", None),
    ("NewND_AllIntentRetLB", "new", "live_births_after_all_intended_retrievals", "percent", None),
)
DONOR_MEASURES_2018 = (
    ("Donor_NumTrans", "transfers", "count", None),
    ("Donor_TransLB", "live_births_per_transfer", "percent", "Donor_NumTrans"),
    ("Donor_TranSingleLB", "singleton_live_births_per_transfer", "percent", "Donor_NumTrans"),
)


def read_workbook(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, tuple[str, str, str]]]:
    """(clinic records, the national record, {variable: (section, age, description)})."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:

        def records(sheet: str) -> list[dict[str, Any]]:
            rows = list(workbook[sheet].iter_rows(values_only=True))
            header = [str(cell) for cell in rows[0]]
            return [dict(zip(header, row, strict=True)) for row in rows[1:] if any(cell is not None for cell in row)]

        dictionary: dict[str, tuple[str, str, str]] = {}
        for row in workbook["Clinic Table Dictionary"].iter_rows(min_row=2, values_only=True):
            if row[0] and row[3]:
                dictionary[str(row[0])] = (str(row[1] or ""), str(row[2] or ""), str(row[3]))
        clinics = records("Clinic Table Data Records")
        national = records("National Summary Data")
    finally:
        workbook.close()
    if len(national) != 1:
        raise ValueError(f"expected one national row, got {len(national)}")
    return clinics, national[0], dictionary


def check_dictionary(dictionary: Mapping[str, tuple[str, str, str]]) -> None:
    """Fail if the workbook's dictionary no longer says what this converter assumes."""
    for prefix, _patients, _measure, _unit, _denominator in OWN_2018:
        for band, label in enumerate(BANDS_2018, start=1):
            section, age, _ = dictionary[f"{prefix}{band}"]
            expected = "Nondonor eggs, All patients" if prefix.startswith("ND_") else "Nondonor eggs, New patients"
            if age != label or section != expected:
                raise ValueError(f"dictionary: {prefix}{band} is {section!r} {age!r}")
    for column, description in (
        ("TransICSIAll", "Pct transfers of at least one embryo with ICSI"),
        ("ReasonMale", "Pct cycles for male factor reason"),
        ("SingleWomenService", "Clinic services for single women"),
        ("TotNumCyclesAll", "Total number of cycles"),
    ):
        if dictionary[column][2] != description:
            raise ValueError(f"dictionary: {column} reads {dictionary[column][2]!r}")


def rows_2018(record: Mapping[str, Any], quirks: Quirks, *, national: bool = False) -> Iterator[dict[str, str]]:
    where = "2018 national" if national else f"2018 #{record.get('OrderID')}"

    def cell(column: str) -> Cell:
        return parse_cell(record[column])

    for prefix, patients, measure, unit, denominator in OWN_2018:
        for band, label in enumerate(BANDS_2018, start=1):
            row = figure(
                Cohort("own", patients, "", label),
                measure,
                unit,
                cell(f"{prefix}{band}"),
                cell(f"{denominator}{band}") if denominator else None,
                quirks,
                f"{where} {prefix}{band}",
            )
            if row:
                yield row
    for index, (egg_source, cycle_type) in enumerate(DONOR_2018, start=1):
        for prefix, measure, unit, denominator in DONOR_MEASURES_2018:
            row = figure(
                Cohort(egg_source, "all", cycle_type, "all"),
                measure,
                unit,
                cell(f"{prefix}{index}"),
                cell(f"{denominator}{index}") if denominator else None,
                quirks,
                f"{where} {prefix}{index}",
            )
            if row:
                yield row
    for suffix, label in (*((str(i), band) for i, band in enumerate(BANDS_2018, start=1)), ("All", "all")):
        for column, measure, unit in (
            ("TotNumCycles", "cycles", "count"),
            ("TransICSI", "transfers_icsi_pct", "percent"),
        ):
            row = figure(Cohort("all", "all", "", label), measure, unit, cell(f"{column}{suffix}"), None, quirks, where)
            if row:
                yield row
    # "Pct cycles for male factor reason": the share of all the clinic's cycles.
    row = figure(
        Cohort("all", "all", "", "all"),
        "male_factor_pct",
        "percent",
        cell("ReasonMale"),
        cell("TotNumCyclesAll"),
        quirks,
        f"{where} ReasonMale",
    )
    if row:
        yield row
    if not national:  # the national sheet gives the share of clinics offering it instead
        row = figure(
            Cohort("all", "all", "", "all"),
            "single_women_service",
            "yes_no",
            cell("SingleWomenService"),
            None,
            quirks,
            where,
        )
        if row:
            yield row


# ---------------------------------------------------------------- 2022

BANDS_2022 = ("<35", "35-37", "38-40", ">40")
TABLE1_2022 = {
    "Number of intended retrievals": ("intended_retrievals", "count", None),
    "Percentage of intended retrievals resulting in live-birth deliveries": (
        "live_births_per_intended_retrieval",
        "percent",
        "Number of intended retrievals",
    ),
    "Percentage of intended retrievals resulting in singleton live-birth deliveries": (
        "singleton_live_births_per_intended_retrieval",
        "percent",
        "Number of intended retrievals",
    ),
    "Number of transfers": ("transfers", "count", None),
    "Percentage of transfers resulting in live-birth deliveries": (
        "live_births_per_transfer",
        "percent",
        "Number of transfers",
    ),
    "Percentage of transfers resulting in singleton live-birth deliveries": (
        "singleton_live_births_per_transfer",
        "percent",
        "Number of transfers",
    ),
}
# Printed by CDC, left out here as in 2018 (actual retrievals, averages): named so a new row fails loudly.
SKIPPED_2022 = frozenset(
    {
        "Number of actual retrievals",
        "Percentage of actual retrievals resulting in live-birth deliveries",
        "Percentage of actual retrievals resulting in singleton live-birth deliveries",
        "Average number of intended retrievals per live-birth delivery",
        "Average number of intended retrievals per new patient",
        "Average number of transfers per intended retrieval",
        "Percentage of intended egg retrieval cycles without any eggs retrieved <sup>e</sup>",
        "Percentage of cycles discontinued after retrieval and before transfer or banking <sup>f</sup>",
        "Percentage of cycles for fertility preservation",
        "Percentage of transfers using a gestational carrier",
        "Percentage of transfers using frozen embryos",
        "Percentage of transfers of at least 1 embryo with preimplantation genetic testing",
    }
)
TABLE2_2022 = {
    "Percentage of new patients having live-birth deliveries after 1 intended retrieval": (
        "live_births_after_1_intended_retrieval"
    ),
    "Percentage of new patients having live-birth deliveries after 1 or 2 intended retrievals": (
        "live_births_after_1_or_2_intended_retrievals"
    ),
    "Percentage of new patients having live-birth deliveries after all intended retrievals": (
        "live_births_after_all_intended_retrievals"
    ),
}
DONOR_2022 = {
    "Fresh Embryos Fresh Eggs": ("donor", "fresh_embryos_fresh_eggs"),
    "Fresh Embryos Frozen Eggs": ("donor", "fresh_embryos_frozen_eggs"),
    "Frozen Embryos": ("donor", "frozen_embryos"),
    "Donated Embryos": ("donated_embryo", "donated_embryos"),
}
TABLE4_2022 = {
    "Total number of cycles": ("cycles", "count"),
    "Percentage of transfers of at least 1 embryo with intracytoplasmic sperm injection": (
        "transfers_icsi_pct",
        "percent",
    ),
}


def _table(summary: Mapping[str, Any], name: str) -> tuple[list[str], list[list[Any]]]:
    table = summary[name]
    return list(table["RowHeaders"]), [list(row) for row in table["DataRows"]]


def rows_2022(summary: Mapping[str, Any], quirks: Quirks, where: str) -> Iterator[dict[str, str]]:
    headers, data = _table(summary, "Table1")
    if tuple(headers[1:5]) != BANDS_2022:
        raise ValueError(f"{where} Table1 age bands {headers[1:5]}")
    by_label = {row[0]: row for row in data}
    for label, row in by_label.items():
        if label in SKIPPED_2022:
            continue
        if label not in TABLE1_2022:
            raise ValueError(f"{where} Table1: unknown row {label!r}")
        measure, unit, denominator_label = TABLE1_2022[label]
        for index, band in enumerate(BANDS_2022, start=1):
            denominator = parse_cell(by_label[denominator_label][index]) if denominator_label else None
            out = figure(
                Cohort("own", "all", "", band), measure, unit, parse_cell(row[index]), denominator, quirks, where
            )
            if out:
                yield out

    headers, data = _table(summary, "Table2")
    if tuple(headers[1:5]) != BANDS_2022:
        raise ValueError(f"{where} Table2 age bands {headers[1:5]}")
    for row in data:
        if row[0] in SKIPPED_2022:
            continue
        if row[0] not in TABLE2_2022:
            raise ValueError(f"{where} Table2: unknown row {row[0]!r}")
        for index, band in enumerate(BANDS_2022, start=1):
            out = figure(
                Cohort("own", "new", "", band),
                TABLE2_2022[row[0]],
                "percent",
                parse_cell(row[index]),
                None,
                quirks,
                where,
            )
            if out:
                yield out

    headers, data = _table(summary, "Table3")
    by_label = {row[0]: row for row in data}
    for index, column in enumerate(headers[1:] if by_label else [], start=1):
        transfers = by_label["Number of transfers"]
        egg_source, cycle_type = DONOR_2022[column]
        cohort = Cohort(egg_source, "all", cycle_type, "all")
        for label, measure, unit, with_denominator in (
            ("Number of transfers", "transfers", "count", False),
            ("Percentage of transfers resulting in live-birth deliveries", "live_births_per_transfer", "percent", True),
            (
                "Percentage of transfers resulting in singleton live-birth deliveries",
                "singleton_live_births_per_transfer",
                "percent",
                True,
            ),
        ):
            denominator = parse_cell(transfers[index]) if with_denominator else None
            out = figure(cohort, measure, unit, parse_cell(by_label[label][index]), denominator, quirks, where)
            if out:
                yield out

    headers, data = _table(summary, "Table4")
    bands = (*BANDS_2022, "all")
    if tuple(headers[1:6]) != (*BANDS_2022, "Total"):
        raise ValueError(f"{where} Table4 columns {headers[1:6]}")
    total_cycles: Cell | None = None
    for row in data:
        if row[0] in SKIPPED_2022:
            continue
        if row[0] not in TABLE4_2022:
            raise ValueError(f"{where} Table4: unknown row {row[0]!r}")
        measure, unit = TABLE4_2022[row[0]]
        if measure == "cycles":
            total_cycles = parse_cell(row[5])
        for index, band in enumerate(bands, start=1):
            out = figure(Cohort("all", "all", "", band), measure, unit, parse_cell(row[index]), None, quirks, where)
            if out:
                yield out

    _, data = _table(summary, "Table6")
    reasons = {row[0]: row[1] for row in data}
    if not reasons:
        return
    # CDC: "The denominator for this measure is the total number of ART cycles" (reasons for using ART).
    out = figure(
        Cohort("all", "all", "", "all"),
        "male_factor_pct",
        "percent",
        parse_cell(reasons["Male factor"]),
        total_cycles,
        quirks,
        where,
    )
    if out:
        yield out


def summary_files(raw_dir: Path) -> list[tuple[int, Path]]:
    found = []
    for path in (raw_dir / SUMMARIES_2022).glob("clinic_*_Summary.json"):
        number = path.name.removeprefix("clinic_").removesuffix("_Summary.json")
        if not number.isdigit():
            raise ValueError(f"{path.name}: no ClinicId in the name")
        found.append((int(number), path))
    return sorted(found)


# ---------------------------------------------------------------- build


@dataclass
class Build:
    outcomes: list[dict[str, str]]
    history: list[dict[str, str]]
    results: list[MatchResult]
    profiles: dict[int, dict[int, Profile]]
    quirks: Quirks
    clinics_2022_with_figures: list[str]


def build(raw_dir: Path, aliases: Sequence[Alias]) -> Build:
    quirks = Quirks()
    profiles = load_profiles(raw_dir)
    records, national, dictionary = read_workbook(raw_dir / WORKBOOK_2018)
    check_dictionary(dictionary)
    clinics = clinics_from_records(records)
    results = match_all(clinics, profiles, aliases)
    by_order = {result.clinic.order_id: result for result in results}

    outcomes: list[dict[str, str]] = []

    def add(rows: Iterator[dict[str, str]], clinic_id: str, order_id: str, year: int, source: str) -> None:
        for row in rows:
            outcomes.append(
                {
                    "clinic_id": clinic_id,
                    "cdc_2018_order_id": order_id,
                    "year": str(year),
                    **row,
                    "source": source,
                    "source_year": str(year),
                }
            )

    add(rows_2018(national, quirks, national=True), NATIONAL, "", 2018, SOURCE_2018)
    for record in records:
        order_id = int(record["OrderID"])
        add(rows_2018(record, quirks), by_order[order_id].clinic_id, str(order_id), 2018, SOURCE_2018)
    with_figures = []
    known_2022 = profiles[2022]
    for number, path in summary_files(raw_dir):
        if number not in known_2022:
            raise ValueError(f"{path.name}: ClinicId {number} is not in the 2022 Services and Profiles file")
        summary = json.loads(path.read_text(encoding="utf-8"))
        before = len(outcomes)
        add(rows_2022(summary, quirks, path.name), f"us-cdc-{number}", "", 2022, SOURCE_2022)
        if len(outcomes) > before:
            with_figures.append(f"us-cdc-{number}")
        else:
            quirks.add(f"2022 summaries with empty tables (ClinicId status: {known_2022[number].status})")
    return Build(outcomes, history_rows(profiles), results, profiles, quirks, with_figures)


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# ---------------------------------------------------------------- report


def read_review(path: Path) -> dict[int, tuple[str, str, str]]:
    """{2018 OrderID: (clinic_id, verdict, note)} from the reviewer's file."""
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as raw:
        return {int(r["order_id"]): (r["clinic_id"], r["verdict"], r["note"]) for r in csv.DictReader(raw)}


def _newest(profiles: Mapping[int, Mapping[int, Profile]], clinic_id: str) -> Profile:
    number = int(clinic_id.removeprefix("us-cdc-"))
    return next(profiles[year][number] for year in sorted(profiles, reverse=True) if number in profiles[year])


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "/").split())


def report(result: Build, listed: set[str], review: Mapping[int, tuple[str, str, str]]) -> str:
    results = result.results
    matched = [r for r in results if r.clinic_id]
    direct = [r for r in matched if r.method is not Method.ALIAS]
    by_alias = [r for r in matched if r.method is Method.ALIAS]
    ambiguous = [r for r in results if r.ambiguous]
    unmatched = [r for r in results if not r.clinic_id and not r.ambiguous]
    matched_ids = {r.clinic_id for r in matched}
    in_2020 = {f"us-cdc-{n}" for n in result.profiles[2020]}
    listed_old = listed & in_2020
    methods = Counter(r.method.value for r in matched if r.method)

    def pct(part: int, whole: int) -> str:
        return f"{100 * part / whole:.1f} %" if whole else "n/a"

    lines = [
        "# Matching the CDC 2018 clinic tables to ClinicIds",
        "",
        "Generated by `python -m tools.cdc_outcomes`; do not edit by hand (the aliases live in",
        "`data/cdc_2018_aliases.csv`, the review verdicts in `data/cdc_2018_match_review.csv`).",
        "",
        "The 2018 tables (CDC NASS, reporting year 2018) carry no ClinicId. A 2018 clinic gets one only when",
        "its normalised name (case, accents, punctuation, `&`/`and`, legal suffixes such as LLC/PC, a",
        "parenthesised acronym or a second name line) equals a name the 2020, 2021 or 2022 Services and",
        "Profiles file gives that ClinicId, in the same city and state; the medical director breaks a tie",
        "between two ClinicIds. A name that differs only a little (difflib ratio ≥ 0.85) counts only with",
        "the same director. Everything else stays unmatched unless a reviewed alias says otherwise.",
        "",
        "## Numbers",
        "",
        "| | clinics |",
        "|---|---|",
        f"| 2018 clinics | {len(results)} |",
        f"| matched directly | {len(direct)} |",
        *(f"| – {method} | {count} |" for method, count in sorted(methods.items()) if method != Method.ALIAS),
        f"| matched by a reviewed alias | {len(by_alias)} |",
        f"| unmatched | {len(unmatched)} |",
        f"| ambiguous | {len(ambiguous)} |",
        "",
        "Against the clinics listed in `clinics.csv` (2022 reporters):",
        "",
        "| | listed | with 2018 figures | rate |",
        "|---|---|---|---|",
        f"| all listed clinics | {len(listed)} | {len(listed & matched_ids)} | "
        f"{pct(len(listed & matched_ids), len(listed))} |",
        f"| listed clinics already in the 2020 file (best available stand-in for “existed in 2018”) | "
        f"{len(listed_old)} | {len(listed_old & matched_ids)} | "
        f"{pct(len(listed_old & matched_ids), len(listed_old))} |",
        "",
        "## Matched by alias",
        "",
        "| 2018 # | 2018 name | city | ClinicId | reason |",
        "|---|---|---|---|---|",
        *(
            f"| {r.clinic.order_id} | {_cell(r.clinic.display_name)} | {r.clinic.city}, {r.clinic.state} | "
            f"{r.clinic_id} | {_cell(r.reason)} |"
            for r in by_alias
        ),
        "",
        "## Unmatched",
        "",
        "| 2018 # | 2018 name | city | director | why | nearest candidates |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r.clinic.order_id} | {_cell(r.clinic.display_name)} | {r.clinic.city}, {r.clinic.state} | "
            f"{_cell(r.clinic.director)} | {_cell(r.reason)} | {_cell('; '.join(r.candidates)) or '—'} |"
            for r in unmatched
        ),
        "",
        "## Ambiguous",
        "",
    ]
    if ambiguous:
        lines += [
            "| 2018 # | 2018 name | city | why | candidates |",
            "|---|---|---|---|---|",
            *(
                f"| {r.clinic.order_id} | {_cell(r.clinic.display_name)} | {r.clinic.city}, {r.clinic.state} | "
                f"{_cell(r.reason)} | {_cell('; '.join(r.candidates))} |"
                for r in ambiguous
            ),
        ]
    else:
        lines.append("None.")
    no_director = [r for r in direct if not _director_agrees(r, result.profiles)]
    lines += [
        "",
        "## Direct matches whose director differs in every year",
        "",
        "Same name, city and state; the director changed (or is not given) — listed so a reader can check.",
        "",
        "| 2018 # | 2018 name | 2018 director | ClinicId | newest director |",
        "|---|---|---|---|---|",
        *(
            f"| {r.clinic.order_id} | {_cell(r.clinic.display_name)} | {_cell(r.clinic.director)} | {r.clinic_id} | "
            f"{_cell(_newest(result.profiles, r.clinic_id).director) or '—'} |"
            for r in no_director
        ),
        "",
        f"## Review of a random sample ({REVIEW_SAMPLE} matches, `random.Random({REVIEW_SEED})`)",
        "",
        "Each pair read by a person against name, city, address (2020–2022 only: 2018 gives none) and director.",
        "",
        "| 2018 # | 2018 name, city, director | ClinicId | 2020–2022 name, address, director | verdict | note |",
        "|---|---|---|---|---|---|",
    ]
    verdicts: Counter[str] = Counter()
    for r in review_sample(results):
        newest = _newest(result.profiles, r.clinic_id)
        reviewed_id, verdict, note = review.get(r.clinic.order_id, ("", "not reviewed", ""))
        if reviewed_id and reviewed_id != r.clinic_id:
            verdict, note = "stale", f"review was for {reviewed_id}"
        verdicts[verdict] += 1
        lines.append(
            f"| {r.clinic.order_id} | {_cell(r.clinic.display_name)}, {r.clinic.city} {r.clinic.state}, "
            f"{_cell(r.clinic.director)} | {r.clinic_id} | {_cell(newest.name)}, {_cell(newest.address)}, "
            f"{newest.city} {newest.state}, {_cell(newest.director) or '—'} | {verdict} | {_cell(note)} |"
        )
    lines += ["", "Verdicts: " + ", ".join(f"{count} {verdict}" for verdict, count in sorted(verdicts.items())) + "."]
    lines += [
        "",
        "## Outcomes",
        "",
        f"2022 clinic summaries: {len(result.clinics_2022_with_figures)} clinics "
        f"({len(set(result.clinics_2022_with_figures) & listed)} of them listed).",
        "",
        "## Data quirks met while converting",
        "",
        *(f"- {note}: {count}" for note, count in sorted(result.quirks.notes.items())),
        "",
    ]
    return "\n".join(lines)


def _director_agrees(result: MatchResult, profiles: Mapping[int, Mapping[int, Profile]]) -> bool:
    key = director_key(result.clinic.director)
    number = int(result.clinic_id.removeprefix("us-cdc-"))
    keys = {director_key(by[number].director) for by in profiles.values() if number in by}
    return key is not None and any(k is not None and k[1] == key[1] for k in keys)


def review_sample(results: Sequence[MatchResult]) -> list[MatchResult]:
    matched = [r for r in results if r.clinic_id]
    # A fixed seed so the reviewed sample is the same on every rebuild; nothing here is secret.
    rng = random.Random(REVIEW_SEED)  # noqa: S311 - a seeded sample for review, not for secrets
    sample = rng.sample(matched, min(REVIEW_SAMPLE, len(matched)))
    return sorted(sample, key=lambda r: r.clinic.order_id)


def listed_clinics(clinics_csv: Path) -> set[str]:
    with clinics_csv.open(newline="", encoding="utf-8") as raw:
        return {row["clinic_id"] for row in csv.DictReader(raw)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build data/cdc_outcomes.csv, cdc_history.csv and the match report.")
    parser.add_argument("--raw", type=Path, default=PROJECT_ROOT / "data" / "raw", help="the raw CDC files")
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "data", help="aliases and review in; outputs")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: --data)")
    parser.add_argument("--clinics", type=Path, default=PROJECT_ROOT / "clinics.csv")
    args = parser.parse_args(argv)
    out_dir: Path = args.out or args.data
    try:
        result = build(args.raw, read_aliases(args.data / "cdc_2018_aliases.csv"))
        out_dir.mkdir(parents=True, exist_ok=True)
        write_csv(out_dir / "cdc_outcomes.csv", OUTCOME_COLUMNS, result.outcomes)
        write_csv(out_dir / "cdc_history.csv", HISTORY_COLUMNS, result.history)
        text = report(result, listed_clinics(args.clinics), read_review(args.data / "cdc_2018_match_review.csv"))
        (out_dir / "cdc_2018_match_report.md").write_text(text, encoding="utf-8")
    except (OSError, ValueError, KeyError, csv.Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(result.outcomes)} outcome rows, {len(result.history)} history rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
