"""One index build in a fresh process: its time and the resident memory it leaves behind.

    python -m benchmarks.index_build INSTANCE_DIR rows|tuples|facts [--profile]

rows: the full rebuild as the app does it (each child table's column joined into one string by the
database); tuples: the same columns read as one driver tuple per row (the full rebuild before, and
still the patch's read); facts: through `ClinicFacts` (the reference path).

Run by bench_search in a child process for each measurement, so that the memory counted is
what a fresh web worker gains by building the index, not what an earlier build left behind.
Prints one JSON line; with --profile, first the build's top functions by own time (cProfile, the
build alone: not the app's start-up).
"""

from __future__ import annotations

import cProfile
import gc
import json
import pstats
import sys
import time
from pathlib import Path

from clinicfinder.app import create_app
from clinicfinder.core.matching.engine import Matcher
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.money import ExchangeRates
from clinicfinder.core.outcomes import outcome_library
from clinicfinder.db.repository import ClinicRepository
from clinicfinder.extensions import db
from clinicfinder.services.search import return_freed_memory


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str]) -> int:
    profile = cProfile.Profile() if "--profile" in argv else None
    instance, path = [arg for arg in argv if arg != "--profile"]
    app = create_app({"APP_ENV": "testing", "INSTANCE_DIR": instance})
    with app.app_context():
        matcher = Matcher(ExchangeRates.load(), CostReference.load())
        repository = ClinicRepository(db.session)
        repository.revision()  # the connection and SQLAlchemy's statement caches exist before we count
        outcome_library()
        gc.collect()
        before = rss_mb()
        began = time.perf_counter()
        if profile is not None:
            profile.enable()
        if path == "rows":
            index = matcher.index_from_columns(repository.index_columns())
        elif path == "tuples":
            index = matcher.index_from_columns(repository._row_columns(None))
        else:
            index = matcher.build_index(repository.load_all())
        seconds = time.perf_counter() - began
        if profile is not None:
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        db.session.remove()
        gc.collect()
        return_freed_memory()  # as the app's rebuild thread does after each build
        after = rss_mb()
    arrays = [value for value in index.__dict__.values() if hasattr(value, "nbytes")]
    nested = [column for value in index.__dict__.values() if isinstance(value, dict) for column in value.values()]
    columns = [c for v in nested for c in (v.values() if isinstance(v, dict) else [v])]
    nbytes = sum(a.nbytes for a in arrays) + sum(c.nbytes for c in columns)
    print(json.dumps({"seconds": seconds, "rss_added_mb": after - before, "arrays_mb": nbytes / 2**20,
                      "clinics": len(index)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
