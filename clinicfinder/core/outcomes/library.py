"""Every CDC fact we hold about a clinic, read once per process into one `ClinicRecord` each.

Reads `data/cdc_outcomes.csv` (2018 clinic tables and 2022 clinic summaries, long format) and
`data/cdc_history.csv` (2020–2022 Services and Profiles: status and cycles per year), both built
by `python -m tools.cdc_outcomes`. Only the measures the cards and the ranking use are kept.
"""

from __future__ import annotations

import csv
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from clinicfinder.core.outcomes.ages import AgeChoice, band_for
from clinicfinder.core.outcomes.figures import MIN_TRIALS, Comparison, OutcomeFigure, compare_figure
from clinicfinder.core.paths import DATA_DIR

NATIONAL_ID = "national"
CLINIC_ID_PREFIX = "us-cdc-"
CDC_SOURCE = "CDC, National ART Surveillance System"

LIVE_BIRTHS = "live_births_per_intended_retrieval"
SINGLETON_LIVE_BIRTHS = "singleton_live_births_per_intended_retrieval"
MALE_FACTOR = "male_factor_pct"
ICSI = "transfers_icsi_pct"
SINGLE_WOMEN = "single_women_service"
ALL_AGES = "all"
# Own eggs, all patients, by band; the clinic-wide figures are CDC's "all ages" column.
_BAND_MEASURES = frozenset({LIVE_BIRTHS, SINGLETON_LIVE_BIRTHS})
_CLINIC_MEASURES = frozenset({MALE_FACTOR, ICSI, SINGLE_WOMEN})

# CDC's footer of the 2022 clinic summaries: own-egg rates count retrievals started in 2021 with
# transfers within 12 months. Shown with every 2022 own-egg figure. The 2018 tables say nothing we
# hold of the kind, so 2018 has no entry.
CYCLES_STARTED_IN: Mapping[int, int] = {2022: 2021}

YES_NO: Mapping[str, bool] = {"yes": True, "no": False}

REORGANIZED = "Reorganized"
NON_REPORTER = "Non-reporter"

# CDC's clinic page ("ClinicInfo" report of the ART data portal), keyed by the ClinicId of the
# Services and Profiles files. Confirmed from public sources: ClinicId=31 opens that clinic's page
# (with its 2021 data). `https://art.cdc.gov/?clinicid={id}` is also cited but was not confirmed.
CDC_PAGE_URL = "https://nccd.cdc.gov/drh_art/rdPage.aspx?rdReport=DRH_ART.ClinicInfo&ClinicId={number}"


def cdc_page_url(number: int) -> str:
    """CDC's page for a clinic, by its CDC ClinicId (the N of `us-cdc-N`)."""
    return CDC_PAGE_URL.format(number=number)


def clinic_number(clinic_id: str) -> int | None:
    """The CDC ClinicId of `us-cdc-N`; None for an id that is not a CDC one."""
    digits = clinic_id.removeprefix(CLINIC_ID_PREFIX)
    return int(digits) if clinic_id.startswith(CLINIC_ID_PREFIX) and digits.isdigit() else None


@dataclass(frozen=True, slots=True)
class BandOutcome:
    """Live births per intended retrieval (own eggs, all patients) for one CDC age band and year."""

    year: int
    age_band: str  # CDC's label of the band shown: "<35", "35-37", "38-40", "41-42", "≥43" (2018), ">40" (2022)
    live_births: OutcomeFigure
    singleton_live_births: OutcomeFigure | None
    interval: tuple[float, float] | None  # 95 % Wilson, proportions; None when suppressed or no counts
    national: OutcomeFigure | None  # same year, source, cohort and band; None when none is at hand
    comparison: Comparison
    older: tuple[BandOutcome, ...] = ()  # the same patient's band in older years, newest first

    @property
    def source(self) -> str:
        return self.live_births.source

    @property
    def suppressed(self) -> bool:
        return self.live_births.suppressed

    @property
    def numerator(self) -> int | None:
        return self.live_births.numerator

    @property
    def denominator(self) -> int | None:
        """Intended retrievals; None when CDC withheld the count."""
        return self.live_births.denominator

    @property
    def rate(self) -> float | None:
        """The clinic's proportion (0–1); None when suppressed or over no retrievals at all.

        CDC prints "0.0%" over 0 intended retrievals (e.g. us-cdc-421, 35–37, 2022): not a rate.
        """
        if self.suppressed or self.denominator == 0:
            return None
        return self.live_births.rate

    @property
    def singleton_interval(self) -> tuple[float, float] | None:
        return None if self.singleton_live_births is None else self.singleton_live_births.interval()

    @property
    def cycles_started_in(self) -> int | None:
        """The year the counted retrievals started, when CDC says it differs from `year` (2022: 2021)."""
        return CYCLES_STARTED_IN.get(self.year)


@dataclass(frozen=True, slots=True)
class Share:
    """A clinic-wide percentage (male-factor diagnosis share of cycles, ICSI share of transfers)."""

    figure: OutcomeFigure  # the newest year's
    national: OutcomeFigure | None  # same year and source; None when none is at hand
    older: tuple[OutcomeFigure, ...] = ()  # newest first

    @property
    def year(self) -> int:
        return self.figure.year

    @property
    def source(self) -> str:
        return self.figure.source

    @property
    def too_few(self) -> bool:
        """CDC withheld it (too few cycles to report): unknown, never zero."""
        return self.figure.suppressed or self.figure.denominator == 0 or self.figure.rate is None

    @property
    def rate(self) -> float | None:
        return None if self.too_few else self.figure.rate


@dataclass(frozen=True, slots=True)
class Flag:
    """A yes/no CDC published (the 2018 tables' single-women service)."""

    value: bool
    year: int
    source: str


@dataclass(frozen=True, slots=True)
class YearReport:
    """One year of a clinic in CDC's Services and Profiles files."""

    year: int
    status: str  # CDC's label: "Open", "Reorganized", "Closed", "Non-reporter"
    total_cycles: int | None  # None: not reported (non-reporters) or withheld
    name: str
    source: str


@dataclass(frozen=True, slots=True)
class ClinicRecord:
    clinic_id: str
    bands: Mapping[int, Mapping[str, BandOutcome]] = field(default_factory=dict)  # year → CDC band → outcome
    male_factor: Share | None = None
    icsi: Share | None = None
    single_women_service: Flag | None = None
    history: tuple[YearReport, ...] = ()  # oldest first

    # --- outcomes by age ---------------------------------------------------------------

    @property
    def success_years(self) -> tuple[int, ...]:
        """Years with own-egg figures, newest first."""
        return tuple(sorted(self.bands, reverse=True))

    def success(self, age_choice: AgeChoice | None) -> BandOutcome | None:
        """The newest figure for the patient's band, with the older years in `older`.

        None without an age: CDC publishes live births per intended retrieval only by band (no
        all-ages rate), and one band's rate shown to everyone would mislead most of them; the
        caller asks for the age instead, or lists `success_by_band()`.
        """
        if age_choice is None:
            return None
        found = [
            outcome
            for year in self.success_years
            if (band := band_for(age_choice, year)) is not None and (outcome := self.bands[year].get(band)) is not None
        ]
        if not found:
            return None
        return replace(found[0], older=tuple(found[1:]))

    def success_by_band(self, year: int | None = None) -> tuple[BandOutcome, ...]:
        """Every band of one year (the newest by default), youngest first as CDC orders them."""
        if year is None:
            if not self.bands:
                return ()
            year = self.success_years[0]
        return tuple(self.bands.get(year, {}).values())

    # --- history -----------------------------------------------------------------------

    def status_in(self, year: int) -> str | None:
        return next((report.status for report in self.history if report.year == year), None)

    def cycles_in(self, year: int) -> int | None:
        return next((report.total_cycles for report in self.history if report.year == year), None)

    @property
    def volume_years(self) -> tuple[int, ...]:
        """The years (of 2020–2022) for which CDC published the clinic's total cycles."""
        return tuple(report.year for report in self.history if report.total_cycles is not None)

    @property
    def three_year_cycles(self) -> int | None:
        """Total cycles over `volume_years`; None when no year was reported."""
        counts = [report.total_cycles for report in self.history if report.total_cycles is not None]
        return sum(counts) if counts else None

    @property
    def mean_cycles_per_year(self) -> float | None:
        """Mean over the reported years only: a clinic that opened in 2021 is not diluted by 2020."""
        total, years = self.three_year_cycles, len(self.volume_years)
        return None if total is None else total / years

    @property
    def latest(self) -> YearReport | None:
        return self.history[-1] if self.history else None

    @property
    def reorganized_but_reported(self) -> bool:
        """CDC marks the newest year "Reorganized" (merger, new owner) yet the clinic reported its cycles."""
        latest = self.latest
        return latest is not None and latest.status == REORGANIZED and bool(latest.total_cycles)

    @property
    def last_reported_year(self) -> int | None:
        """The newest year with reported cycles: for a 2022 non-reporter, the year to show instead."""
        years = self.volume_years
        return years[-1] if years else None

    # --- CDC's page --------------------------------------------------------------------

    @property
    def number(self) -> int | None:
        return clinic_number(self.clinic_id)

    @property
    def cdc_page_url(self) -> str | None:
        number = self.number
        return None if number is None else cdc_page_url(number)


@dataclass(frozen=True)
class OutcomeLibrary:
    records: Mapping[str, ClinicRecord]
    national: Mapping[tuple[int, str, str], OutcomeFigure]  # (year, measure, CDC band) → figure

    @classmethod
    def load(
        cls, path: Path = DATA_DIR / "cdc_outcomes.csv", history: Path = DATA_DIR / "cdc_history.csv"
    ) -> OutcomeLibrary:
        """Read once per process and pair of paths (the files ship with the app and never change)."""
        return _load(path, history)

    @classmethod
    def from_rows(
        cls, outcome_rows: Iterable[Mapping[str, str]], history_rows: Iterable[Mapping[str, str]]
    ) -> OutcomeLibrary:
        figures: dict[str, list[OutcomeFigure]] = defaultdict(list)
        national: dict[tuple[int, str, str], OutcomeFigure] = {}
        flags: dict[str, list[Flag]] = defaultdict(list)
        for row in outcome_rows:
            if not _kept(row) or not row["clinic_id"]:  # unmatched 2018 clinics have no id
                continue
            if row["measure"] == SINGLE_WOMEN:
                if row["value"] in YES_NO:
                    flags[row["clinic_id"]].append(Flag(YES_NO[row["value"]], int(row["year"]), row["source"]))
                continue
            figure = OutcomeFigure.from_row(row)
            if figure.clinic_id == NATIONAL_ID:
                national[(figure.year, figure.measure, figure.age_band)] = figure
            else:
                figures[figure.clinic_id].append(figure)
        reports: dict[str, list[YearReport]] = defaultdict(list)
        for row in history_rows:
            reports[row["clinic_id"]].append(
                YearReport(
                    year=int(row["year"]),
                    status=row["status"],
                    total_cycles=int(row["total_cycles"]) if row["total_cycles"] else None,
                    name=row["name"],
                    source=row["source"],
                )
            )
        records = {
            clinic_id: _record(
                clinic_id, figures.get(clinic_id, []), flags.get(clinic_id, []), reports.get(clinic_id, []), national
            )
            for clinic_id in sorted(figures.keys() | flags.keys() | reports.keys())
        }
        return cls(records, national)

    def get(self, clinic_id: str) -> ClinicRecord | None:
        return self.records.get(clinic_id)

    def __len__(self) -> int:
        return len(self.records)

    def __contains__(self, clinic_id: object) -> bool:
        return clinic_id in self.records


@functools.cache
def _load(path: Path, history: Path) -> OutcomeLibrary:
    with path.open(newline="", encoding="utf-8") as outcomes, history.open(newline="", encoding="utf-8") as years:
        return OutcomeLibrary.from_rows(csv.DictReader(outcomes), csv.DictReader(years))


def outcome_library() -> OutcomeLibrary:
    """The shipped library, loaded on first use."""
    return OutcomeLibrary.load()


def _kept(row: Mapping[str, str]) -> bool:
    measure = row["measure"]
    if measure in _BAND_MEASURES:
        return row["egg_source"] == "own" and row["patients"] == "all" and row["age_band"] != ALL_AGES
    return measure in _CLINIC_MEASURES and row["age_band"] == ALL_AGES


def _record(
    clinic_id: str,
    figures: list[OutcomeFigure],
    flags: list[Flag],
    history: list[YearReport],
    national: Mapping[tuple[int, str, str], OutcomeFigure],
) -> ClinicRecord:
    by_key = {(f.year, f.measure, f.age_band): f for f in figures}
    bands: dict[int, dict[str, BandOutcome]] = defaultdict(dict)
    for f in figures:  # CSV order: CDC's band order, youngest first
        if f.measure == LIVE_BIRTHS:
            bands[f.year][f.age_band] = _band(f, by_key.get((f.year, SINGLETON_LIVE_BIRTHS, f.age_band)), national)
    return ClinicRecord(
        clinic_id=clinic_id,
        bands={year: bands[year] for year in sorted(bands, reverse=True)},
        male_factor=_share(figures, MALE_FACTOR, national),
        icsi=_share(figures, ICSI, national),
        single_women_service=max(flags, key=lambda flag: flag.year) if flags else None,
        history=tuple(sorted(history, key=lambda report: report.year)),
    )


def _band(
    figure: OutcomeFigure, singleton: OutcomeFigure | None, national: Mapping[tuple[int, str, str], OutcomeFigure]
) -> BandOutcome:
    same_year = national.get((figure.year, figure.measure, figure.age_band))
    if same_year is not None and (same_year.source != figure.source or same_year.rate is None):
        same_year = None
    return BandOutcome(
        year=figure.year,
        age_band=figure.age_band,
        live_births=figure,
        singleton_live_births=singleton,
        interval=figure.interval(),
        national=same_year,
        comparison=_comparison(figure, same_year),
    )


def _comparison(figure: OutcomeFigure, national: OutcomeFigure | None) -> Comparison:
    # Too few first: a withheld or tiny figure says nothing, whatever national figure there is.
    if figure.suppressed or figure.numerator is None or figure.denominator is None or figure.denominator < MIN_TRIALS:
        return Comparison.TOO_FEW
    if national is None:
        return Comparison.NO_NATIONAL
    return compare_figure(figure, national)


def _share(
    figures: list[OutcomeFigure], measure: str, national: Mapping[tuple[int, str, str], OutcomeFigure]
) -> Share | None:
    years = sorted((f for f in figures if f.measure == measure), key=lambda f: f.year, reverse=True)
    if not years:
        return None
    newest = years[0]
    same_year = national.get((newest.year, measure, ALL_AGES))
    if same_year is not None and same_year.source != newest.source:
        same_year = None
    return Share(newest, same_year, tuple(years[1:]))
