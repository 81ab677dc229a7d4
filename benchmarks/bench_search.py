"""Search latency at 100,000 clinics, against a naive baseline measured in the same run.

    python -m benchmarks.bench_search [--clinics 100000] [--write]

Builds a throwaway SQLite directory through the real migrations, fills it with synthetic
clinics, then times `Matcher.search` over `ClinicRepository` (the code the API runs) for a
set of typical queries. The baseline answers the same queries the naive way: geopy's
geodesic distance to every clinic in a Python loop, then the same matcher on what is left.
Synthetic clinics are scattered around the real CDC clinics (so density follows where
clinics really are, about 220 times denser than today's US directory at 100k) with facts
drawn from the real ones. Timings are noisy on a shared machine: medians and ratios only.
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
import random
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import flask_migrate
from geopy.distance import geodesic
from sqlalchemy import insert, select

from benchmarks.results import write_section
from clinicfinder.app import create_app
from clinicfinder.core.domain import AccreditationStatus, Availability, ClinicStatus, MaleFactorCapability, Treatment
from clinicfinder.core.matching.engine import Matcher, RankedClinic, SearchQuery
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.money import ExchangeRates, Money
from clinicfinder.db.models import (
    CDC_VERIFIED_LAB,
    SART_SOCIETY,
    Accreditation,
    AccreditationKind,
    Clinic,
    MaleFactorFact,
    OutcomeFigure,
    TreatmentOffer,
)
from clinicfinder.db.repository import ClinicRepository
from clinicfinder.extensions import db

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "Synthetic benchmark data"
AS_OF = date(2026, 1, 1)
SCATTER_KM = 40.0

# (label, latitude, longitude): where patients typically search from.
ORIGINS = [
    ("New York", 40.7128, -74.0060),
    ("Chicago", 41.8781, -87.6298),
    ("Houston", 29.7604, -95.3698),
    ("Denver", 39.7392, -104.9903),
    ("Boise", 43.6150, -116.2023),
    ("Atlanta", 33.7490, -84.3880),
]
TYPICAL = [
    (Treatment.IVF, 50.0, None),
    (Treatment.ICSI, 25.0, None),
    (Treatment.TESE, 100.0, None),
    (Treatment.IVF, 25.0, 15000),
]


@dataclass
class Timing:
    label: str
    candidates: int
    results: int
    seconds: list[float]


def real_clinics() -> list[dict[str, str]]:
    with (ROOT / "clinics.csv").open(encoding="utf-8", newline="") as stream:
        return [row for row in csv.DictReader(stream) if row["latitude"] and row["status"] == "open"]


def populate(count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    seeds = real_clinics()
    clinics, offers, accreditations, outcomes, male_factor = [], [], [], [], []
    for number in range(count):
        origin = rng.choice(seeds)
        lat = float(origin["latitude"]) + rng.gauss(0, SCATTER_KM / 111.2)
        lon = float(origin["longitude"]) + rng.gauss(0, SCATTER_KM / (111.2 * math.cos(math.radians(lat))))
        clinic_id = f"bench-{number}"
        clinics.append(
            {
                "id": clinic_id, "name": f"Benchmark Clinic {number}", "city": origin["city"],
                "region": origin["region"], "country": "US", "latitude": round(lat, 4),
                "longitude": round(lon, 4), "status": ClinicStatus.OPEN,
                "listing_source": SOURCE, "listing_as_of": AS_OF, "version": 1,
            }
        )  # fmt: skip
        cycles = int(origin["total_cycles"] or 0)
        outcomes.append(
            {"clinic_id": clinic_id, "year": 2022, "total_cycles": max(0, int(cycles * rng.uniform(0.5, 1.5))),
             "source": SOURCE, "as_of": AS_OF}
        )  # fmt: skip
        lab = rng.choices([AccreditationStatus.YES, AccreditationStatus.NO, AccreditationStatus.PENDING], [90, 8, 2])[0]
        accreditations.append(
            {"clinic_id": clinic_id, "kind": AccreditationKind.LAB, "body": CDC_VERIFIED_LAB, "status": lab,
             "source": SOURCE, "as_of": AS_OF}
        )  # fmt: skip
        sart = AccreditationStatus.YES if rng.random() < 0.8 else AccreditationStatus.NO
        accreditations.append(
            {"clinic_id": clinic_id, "kind": AccreditationKind.SOCIETY, "body": SART_SOCIETY, "status": sart,
             "source": SOURCE, "as_of": AS_OF}
        )  # fmt: skip
        for treatment in Treatment:
            roll = rng.random()
            if roll < 0.4:
                continue  # unknown: most clinics have not told us
            availability = Availability.YES if roll < 0.9 else Availability.NO
            priced = availability is Availability.YES and rng.random() < 0.5
            offers.append(
                {"clinic_id": clinic_id, "treatment": treatment, "availability": availability,
                 "price": round(rng.uniform(3000, 30000), 2) if priced else None, "currency": "USD" if priced else None,
                 "source": SOURCE, "as_of": AS_OF}
            )  # fmt: skip
        if rng.random() < 0.3:
            for capability in MaleFactorCapability:
                male_factor.append(
                    {"clinic_id": clinic_id, "capability": capability,
                     "availability": Availability.YES if rng.random() < 0.7 else Availability.NO,
                     "source": SOURCE, "as_of": AS_OF}
                )  # fmt: skip
    for model, rows in (
        (Clinic, clinics), (OutcomeFigure, outcomes), (Accreditation, accreditations), (TreatmentOffer, offers),
        (MaleFactorFact, male_factor),
    ):  # fmt: skip
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[start : start + 5000])
    db.session.commit()


def queries() -> list[tuple[str, SearchQuery]]:
    result = []
    for label, lat, lon in ORIGINS:
        for treatment, radius, budget in TYPICAL:
            query = SearchQuery(
                latitude=lat,
                longitude=lon,
                radius_km=radius,
                treatment=treatment,
                budget=None if budget is None else Money(Decimal(budget), "USD"),
                currency="USD",
            )
            result.append(
                (f"{label}, {treatment.value}, {radius:.0f} km" + (f", ≤ ${budget:,}" if budget else ""), query)
            )
    return result


def naive_search(matcher: Matcher, repository: ClinicRepository, query: SearchQuery) -> list[RankedClinic]:
    """The baseline: geopy's geodesic to every clinic in a Python loop, then the rules clinic by clinic."""
    near = []
    for row in db.session.execute(select(Clinic.id, Clinic.latitude, Clinic.longitude)):
        distance = geodesic((query.latitude, query.longitude), (row.latitude, row.longitude)).km
        if query.radius_km is None or distance <= query.radius_km:
            near.append((row.id, distance))
    facts = repository.facts([clinic_id for clinic_id, _ in near], query.treatment)
    ranked = [matcher.assess(facts[clinic_id], distance, query) for clinic_id, distance in near]
    fits = [result for result in ranked if isinstance(result, RankedClinic)]
    return sorted(fits, key=lambda r: (r.distance_km, r.clinic.name.casefold(), r.clinic.id))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clinics", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15, help="timed runs of each typical query")
    parser.add_argument("--baseline-queries", type=int, default=6, help="queries also answered by the baseline")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"APP_ENV": "testing", "INSTANCE_DIR": instance})
        with app.app_context():
            flask_migrate.upgrade()
            started = time.perf_counter()
            populate(args.clinics)
            build_seconds = time.perf_counter() - started
            matcher = Matcher(ExchangeRates.load(), CostReference.load())
            repository = ClinicRepository(db.session)
            began = time.perf_counter()
            index = matcher.build_index(repository.load_all())
            index_seconds = time.perf_counter() - began
            gc.collect()
            timings: list[Timing] = []
            for label, query in queries():
                outcome = matcher.search(query, index, repository.facts)  # warm-up, and the counts
                seconds = []
                for _ in range(args.repeats):
                    gc.collect()
                    began = time.perf_counter()
                    matcher.search(query, index, repository.facts)
                    seconds.append(time.perf_counter() - began)
                timings.append(Timing(label, outcome.considered, outcome.total, seconds))
            serving_rss = current_rss_mb()
            baseline: list[tuple[str, float, float]] = []
            for label, query in queries()[: args.baseline_queries]:
                began = time.perf_counter()
                naive = naive_search(matcher, repository, query)
                naive_seconds = time.perf_counter() - began
                fast = next(t for t in timings if t.label == label)
                # Same clinics fit; the order of near-ties may differ, as the baseline ranks by geodesic distance.
                assert len(naive) == fast.results, f"baseline and search disagree on how many fit: {label}"
                baseline.append((label, naive_seconds, statistics.median(fast.seconds)))
            db.session.remove()
            db.engine.dispose()

    all_seconds = [s for t in timings for s in t.seconds]
    lines = [
        f"Directory: {args.clinics:,} synthetic clinics (written in {build_seconds:.1f} s); search index built from "
        f"the database in {index_seconds:.1f} s (once per process and after each directory change). "
        f"{len(timings)} typical queries × {args.repeats} runs. Memory: {serving_rss:.0f} MB resident while "
        f"serving the searches (index, app, SQLite cache); {peak_rss_mb():.0f} MB at peak, while generating "
        "the synthetic directory and building the index.",
        "",
        f"**All typical queries: p50 {statistics.median(all_seconds) * 1000:.1f} ms, "
        f"p95 {percentile(all_seconds, 0.95) * 1000:.1f} ms.**",
        "",
        "| query | clinics in radius | fit | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for timing in timings:
        lines.append(
            f"| {timing.label} | {timing.candidates:,} | {timing.results:,} | "
            f"{statistics.median(timing.seconds) * 1000:.1f} | {percentile(timing.seconds, 0.95) * 1000:.1f} |"
        )
    lines += [
        "",
        "| query (baseline: geodesic to every clinic, then the rules one by one) | baseline s | search ms | speed-up |",
        "|---|---:|---:|---:|",
    ]
    for label, naive_seconds, fast_seconds in baseline:
        lines.append(
            f"| {label} | {naive_seconds:.2f} | {fast_seconds * 1000:.1f} | {naive_seconds / fast_seconds:,.0f}× |"
        )
    ratios = [naive / fast for _, naive, fast in baseline]
    lines += ["", f"Median speed-up over the baseline: **{statistics.median(ratios):,.0f}×**."]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("Search at 100,000 clinics", "python -m benchmarks.bench_search --write", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
