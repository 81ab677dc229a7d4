"""Search and index rebuild at 100,000 clinics, each against a baseline measured in the same run.

    python -m benchmarks.bench_search [--clinics 100000] [--runs 2] [--write] [--keep DIR]

Builds a throwaway SQLite directory through the real migrations, fills it with synthetic clinics,
then, in each run: builds the index in fresh processes (from joined columns, as the app does; from
one driver tuple per row, the full rebuild before; and from `ClinicFacts` through the ORM-shaped
reference path, the baseline), counting the resident memory it adds; and times `Matcher.search` over
`ClinicRepository` (the code the API runs) for a set of typical queries, against a plain numpy brute
force over every clinic that returns the same clinics with the same facts and assessment (asserted).
The search is timed warm (the worker's memo of the revision already holds the clinics it returns)
and cold (an empty memo, as the first search after a change to the directory); the brute force keeps
no memo.
Synthetic clinics are scattered around the real CDC clinics (so density follows where
clinics really are, about 220 times denser than today's US directory at 100k) with facts
drawn from the real ones. Timings are noisy on a shared machine: medians and ratios only.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import json
import math
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import flask_migrate
import numpy as np
from sqlalchemy import insert, select, text

from benchmarks.results import write_section
from clinicfinder.app import create_app
from clinicfinder.core.domain import AccreditationStatus, Availability, ClinicStatus, MaleFactorCapability, Treatment
from clinicfinder.core.geo.distance import vincenty_km
from clinicfinder.core.matching.criteria import Context
from clinicfinder.core.matching.engine import Matcher, SearchQuery
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.index import BOUNDARY_SHARE, DirectoryIndex, _haversine_km, score_columns
from clinicfinder.core.matching.memo import DEFAULT_SIZE, DirectoryMemo
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
# Written into a kept directory (--keep) once it is complete: the clinic count it holds.
MARKER = "bench_search.clinics"

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


def brute_force(matcher: Matcher, index: DirectoryIndex, repository: ClinicRepository, query: SearchQuery) -> list[Any]:
    """The baseline: the same answer from plain numpy over every clinic, with no box, partition or shortcut.

    Distance to all clinics, the exact geodesic (vectorised) for every one near the radius, the rules
    on all of them, a full sort of all that fit, then the same facts and assessment of the first page.
    The facts come from `ClinicRepository.facts`, as any code explaining clinics would read them: one
    query for the page, the same as the search (it was ~5 queries on both sides before).
    """
    assert query.radius_km is not None
    everyone = np.arange(len(index))
    distances = _haversine_km(query.latitude, query.longitude, index.latitude, index.longitude)
    edge = np.flatnonzero(np.abs(distances - query.radius_km) <= BOUNDARY_SHARE * query.radius_km)
    distances[edge] = vincenty_km(query.latitude, query.longitude, index.latitude[edge], index.longitude[edge])[0]
    inside = distances <= query.radius_km
    scores = score_columns(
        index, everyone[inside], distances[inside], treatment=query.treatment,
        budget=None if query.budget is None else float(query.budget.amount), currency=query.currency,
        include_unpriced=query.include_unpriced, include_unconfirmed=query.include_unconfirmed,
        policy=matcher.policy, today=matcher.today(),
    )  # fmt: skip
    fits = np.flatnonzero(scores.exclusion == 0)
    positions = scores.positions[fits]
    order = np.lexsort((index.ids[positions], index.sort_names[positions], scores.distances[fits]))
    first = fits[order[: query.limit]]
    ids = [str(clinic_id) for clinic_id in index.ids[scores.positions[first]]]
    facts = repository.facts(ids, query.treatment)
    return [
        matcher.assess(facts[clinic_id], float(scores.distances[spot]), query)
        for clinic_id, spot in zip(ids, first, strict=True)
    ]


def build_in_fresh_process(instance: str, path: str) -> dict[str, float]:
    """One index build in a new interpreter (benchmarks/index_build.py): seconds and resident MB it adds."""
    out = subprocess.run(  # noqa: S603 - our own module, our own arguments
        [sys.executable, "-m", "benchmarks.index_build", instance, path],
        cwd=ROOT, check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# Clinics a typical change touches (an admin's edit is one): the patched rebuild is timed for this many.
EDITED = 10


def patch_seconds(matcher: Matcher, repository: ClinicRepository, index: DirectoryIndex) -> list[float]:
    """The rebuild after a change to EDITED clinics, as the app's rebuild thread does it (reading the itemised
    changes, those clinics' rows, patching): once for a rename, once for renaming them back."""
    clinics = db.session.scalars(select(Clinic).order_by(Clinic.id).limit(EDITED)).all()
    names = [clinic.name for clinic in clinics]
    seconds = []
    for new_names in ([f"{name} (renamed)" for name in names], names):
        before = repository.revision()
        for clinic, name in zip(clinics, new_names, strict=True):
            clinic.name = name
        db.session.commit()
        began = time.perf_counter()
        revision = repository.revision()
        changed = repository.changed_clinics(before, revision)
        assert changed is not None and len(changed) == EDITED
        only = sorted(changed)
        index = matcher.patch_index(index, only, repository.index_columns(only))
        seconds.append(time.perf_counter() - began)
        assert sorted(index.names[np.isin(index.ids, only)].tolist()) == sorted(new_names)
    return seconds


def memo_megabytes(matcher: Matcher, repository: ClinicRepository, index: DirectoryIndex) -> float:
    """What a worker's memo holds at its bound: facts and English criteria of DEFAULT_SIZE clinics, for IVF."""
    ids = [str(clinic_id) for clinic_id in index.ids[:DEFAULT_SIZE]]
    repository.facts(ids[:20], Treatment.IVF)  # the statement compiled and cached before we count
    gc.collect()
    tracemalloc.start()
    try:
        memo = DirectoryMemo(0)
        context = Context(Treatment.IVF, "en", matcher.today())
        for clinic in memo.facts(ids, Treatment.IVF, repository.facts).values():
            memo.criteria(clinic, matcher.policy, context)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return held / 2**20


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def run_once(instance: str, matcher: Matcher, repository: ClinicRepository, repeats: int) -> dict[str, Any]:
    """One run: the index built both ways in fresh processes, then every typical query against the baseline."""
    load = os.getloadavg()[0]
    rows, facts = build_in_fresh_process(instance, "rows"), build_in_fresh_process(instance, "facts")
    tuples = build_in_fresh_process(instance, "tuples")
    index = matcher.index_from_columns(repository.index_columns())
    timings: list[Timing] = []
    cold_timings: list[Timing] = []
    brute_seconds: dict[str, list[float]] = {}
    # As a worker keeps it: one memo for the revision, shared by every query; the cold side gets an
    # empty one each time, as the first search after a change to the directory does.
    memo = DirectoryMemo(repository.revision())
    for label, query in queries():
        outcome = matcher.search(query, index, repository.facts, memo)  # warm-up, and the counts
        expected = brute_force(matcher, index, repository, query)
        assert [replace(r, rank=0) for r in outcome.results] == expected, f"baseline and search disagree: {label}"
        cold = matcher.search(query, index, repository.facts, DirectoryMemo(memo.revision))
        assert [replace(r, rank=0) for r in cold.results] == expected, f"baseline and cold search disagree: {label}"
        ours, first, theirs = [], [], []
        for _ in range(repeats):  # interleaved, so all three see the same load
            gc.collect()
            began = time.perf_counter()
            matcher.search(query, index, repository.facts, memo)
            ours.append(time.perf_counter() - began)
            empty = DirectoryMemo(memo.revision)
            began = time.perf_counter()
            matcher.search(query, index, repository.facts, empty)
            first.append(time.perf_counter() - began)
            began = time.perf_counter()
            brute_force(matcher, index, repository, query)
            theirs.append(time.perf_counter() - began)
        timings.append(Timing(label, outcome.considered, outcome.total, ours))
        cold_timings.append(Timing(label, outcome.considered, outcome.total, first))
        brute_seconds[label] = theirs
    speedups = [statistics.median(brute_seconds[t.label]) / statistics.median(t.seconds) for t in timings]
    cold_speedups = [statistics.median(brute_seconds[t.label]) / statistics.median(t.seconds) for t in cold_timings]
    memo_mb = memo_megabytes(matcher, repository, index)
    patched = patch_seconds(matcher, repository, index)
    return {"load": load, "rows": rows, "tuples": tuples, "facts": facts, "timings": timings, "cold": cold_timings,
            "memo_mb": memo_mb,
            "patched": statistics.median(patched),
            "brute": brute_seconds, "speedup": statistics.median(speedups),
            "cold_speedup": statistics.median(cold_speedups)}  # fmt: skip


def profile_cold(matcher: Matcher, repository: ClinicRepository) -> None:
    """Where a cold search's time goes: cProfile over the typical queries, each with an empty memo."""
    index = matcher.index_from_columns(repository.index_columns())
    typical = queries()
    for _, query in typical:  # statements compiled and cached, as in a running worker
        matcher.search(query, index, repository.facts, DirectoryMemo(0))
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(3):
        for _, query in typical:
            matcher.search(query, index, repository.facts, DirectoryMemo(0))
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clinics", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15, help="timed runs of each typical query, per run")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the synthetic directory in DIR (outside the repo) and reuse it next time: writing it takes minutes",
    )
    parser.add_argument(
        "--profile-cold",
        action="store_true",
        help="only profile the cold search (cProfile, every typical query 3 times, empty memo each) and exit",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        instance = args.keep or scratch
        marker = Path(instance) / MARKER
        reused = marker.exists() and marker.read_text() == str(args.clinics)
        if not reused:  # a kept directory of another size, or one left half-written
            for stale in Path(instance).glob("clinicfinder.db*"):
                stale.unlink()
        app = create_app({"APP_ENV": "testing", "INSTANCE_DIR": instance})
        with app.app_context():
            flask_migrate.upgrade()
            started = time.perf_counter()
            if not reused:
                marker.unlink(missing_ok=True)
                populate(args.clinics)
            build_seconds = time.perf_counter() - started
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))  # as a long-running database would be
            if args.keep:
                marker.write_text(str(args.clinics))
            matcher = Matcher(ExchangeRates.load(), CostReference.load())
            repository = ClinicRepository(db.session)
            if args.profile_cold:
                profile_cold(matcher, repository)
                return 0
            runs = [run_once(instance, matcher, repository, args.repeats) for _ in range(args.runs)]
            db.session.remove()
            db.engine.dispose()

    written = "reused from an earlier run" if reused else f"written in {build_seconds:.0f} s"
    loads = ", ".join(f"{run['load']:.1f}" for run in runs)
    lines = [
        f"Directory: {args.clinics:,} synthetic clinics ({written}). {args.runs} runs; "
        f"load average at the start of each: {loads} (2 shared cores, "
        "other work running: read the same-run ratios, not the absolute times).",
        "",
        "| measure | " + " | ".join(f"run {n}" for n in range(1, args.runs + 1)) + " | median |",
        "|---|" + "---:|" * (args.runs + 1),
    ]

    def row(name: str, values: list[float], fmt: str) -> None:
        lines.append(
            f"| {name} | " + " | ".join(format(v, fmt) for v in values) + f" | {statistics.median(values):{fmt}} |"
        )

    row("full index rebuild, joined columns (as the app does), s", [r["rows"]["seconds"] for r in runs], ".2f")
    row("full index rebuild, a driver tuple per row (before), s", [r["tuples"]["seconds"] for r in runs], ".2f")
    row("joined columns speed-up over tuples, ×", [r["tuples"]["seconds"] / r["rows"]["seconds"] for r in runs], ".2f")
    row("index rebuild through `ClinicFacts` (before; baseline), s", [r["facts"]["seconds"] for r in runs], ".2f")
    row("rebuild speed-up, ×", [r["facts"]["seconds"] / r["rows"]["seconds"] for r in runs], ".1f")
    row(f"rebuild after a change to {EDITED} clinics (patched from their rows), s", [r["patched"] for r in runs],
        ".3f")  # fmt: skip
    row(
        "resident memory the index adds in a fresh process (joined columns), MB",
        [r["rows"]["rss_added_mb"] for r in runs],
        ".0f",
    )
    row("… from tuples (before), MB", [r["tuples"]["rss_added_mb"] for r in runs], ".0f")
    row("… through `ClinicFacts` (before), MB", [r["facts"]["rss_added_mb"] for r in runs], ".0f")
    row("the index's arrays alone, MB", [r["rows"]["arrays_mb"] for r in runs], ".0f")
    row(f"the search memo at its bound ({DEFAULT_SIZE:,} clinics, one treatment and language), MB",
        [r["memo_mb"] for r in runs], ".1f")  # fmt: skip
    all_ours = [[s for t in r["timings"] for s in t.seconds] for r in runs]
    all_cold = [[s for t in r["cold"] for s in t.seconds] for r in runs]
    all_brute = [[s for v in r["brute"].values() for s in v] for r in runs]
    row("search p50, warm (clinics seen before in this revision), ms", [statistics.median(v) * 1000 for v in all_ours],
        ".1f")  # fmt: skip
    row("search p95, warm, ms", [percentile(v, 0.95) * 1000 for v in all_ours], ".1f")
    row("search p50, cold (empty memo: first search after a change), ms",
        [statistics.median(v) * 1000 for v in all_cold], ".1f")  # fmt: skip
    row("search p95, cold, ms", [percentile(v, 0.95) * 1000 for v in all_cold], ".1f")
    row("numpy brute force p50 (baseline), ms", [statistics.median(v) * 1000 for v in all_brute], ".1f")
    row("numpy brute force p95 (baseline), ms", [percentile(v, 0.95) * 1000 for v in all_brute], ".1f")
    row("warm search speed-up over the brute force (median over queries), ×", [r["speedup"] for r in runs], ".2f")
    row("cold search speed-up over the brute force (median over queries), ×", [r["cold_speedup"] for r in runs],
        ".2f")  # fmt: skip
    last = runs[-1]
    lines += [
        "",
        f"Per query, last run ({len(last['timings'])} typical queries × {args.repeats} timed runs each):",
        "",
        "| query | clinics in radius | fit | warm p50 ms | warm p95 ms | cold p50 ms | brute force p50 ms "
        "| warm speed-up | cold speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for timing, cold in zip(last["timings"], last["cold"], strict=True):
        ours, theirs = statistics.median(timing.seconds), statistics.median(last["brute"][timing.label])
        first = statistics.median(cold.seconds)
        lines.append(
            f"| {timing.label} | {timing.candidates:,} | {timing.results:,} | {ours * 1000:.1f} | "
            f"{percentile(timing.seconds, 0.95) * 1000:.1f} | {first * 1000:.1f} | {theirs * 1000:.1f} | "
            f"{theirs / ours:.2f}× | {theirs / first:.2f}× |"
        )
    text_out = "\n".join(lines)
    print(text_out)
    if args.write:
        command = " ".join(["python -m benchmarks.bench_search", *(argv if argv is not None else sys.argv[1:])])
        write_section("Search at 100,000 clinics", command, text_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
