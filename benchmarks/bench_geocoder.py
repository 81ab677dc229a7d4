"""Offline geocoder: start-up time, lookup latency and memory, against baselines in the same run.

    python -m benchmarks.bench_geocoder [--repeat 200] [--write]

Measures, in this one process: importing `clinicfinder.core.geo`, the first `Gazetteer.load()`,
the first lookup (cold SQLite pages), then median / p95 / max latency per kind of query
over a list of typical queries, each repeated `--repeat` times; and resident memory (VmRSS,
and the peak VmHWM) from /proc/self/status. Baselines measured alongside: the `zipcodes`
package for the same ZIP lookups (what the gazetteer replaced at run time), and geopy's exact
geodesic against the haversine great circle. Timings are noisy on a shared machine: read the
medians and the ratios. `--write` records the table in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

# (kind, queries) — what patients type in step 1.
QUERIES: list[tuple[str, list[str]]] = [
    ("city name", ["Valencia", "València", "London", "Springfield", "Nueva York", "Londres", "Madrid", "Paris"]),
    (
        "city, country / ST",
        ["Valencia, Spain", "Valencia, ES", "Springfield, IL", "Springfield Illinois", "Chicago IL"],
    ),
    ("US ZIP / ZIP+4", ["60611", "60611-1234", "10001", "94110", "02134"]),
    ("UK postcode", ["SW1A 1AA", "M1", "EH1 1YZ", "BT7 1NN", "CF10 1AA"]),
    ("Spanish postcode", ["28013", "46001, Spain", "08001 ES", "52999"]),
    ("typo → suggestions", ["Valenciaa", "Nuevo Yorkk", "Springfeild, IL", "Barcelonna"]),
    ("empty / garbage", ["", "!!!", "x" * 500]),
]


def memory_kb() -> dict[str, int]:
    status = Path("/proc/self/status").read_text(encoding="utf-8").splitlines()
    fields = dict(line.split(":", 1) for line in status if ":" in line)
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM") if key in fields}


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    with contextlib.suppress(ValueError):  # GeocodeError: an error answer is still an answer
        call()
    return (time.perf_counter() - start) * 1000


def summary(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def run(repeat: int) -> str:
    before = memory_kb()
    start = time.perf_counter()
    from clinicfinder.core.geo import Gazetteer, geodesic_km, great_circle_km

    import_ms = (time.perf_counter() - start) * 1000
    after_import = memory_kb()

    start = time.perf_counter()
    gazetteer = Gazetteer.load()
    load_ms = (time.perf_counter() - start) * 1000
    first_ms = timed(lambda: gazetteer.geocode("Valencia"))

    rows: list[str] = []
    all_samples: list[float] = []
    gc.disable()  # a collection landing inside one lookup says nothing about the lookup
    try:
        for kind, queries in QUERIES:
            samples = [timed(partial(gazetteer.geocode, q)) for _ in range(repeat) for q in queries]
            all_samples += samples if kind not in {"typo → suggestions"} else []
            median, p95, worst = summary(samples)
            rows.append(f"| {kind} | {len(queries)} | {median:.3f} | {p95:.3f} | {worst:.2f} |")
        typical_median, typical_p95, _ = summary(all_samples)
        after_ours = memory_kb()

        import zipcodes

        zipcodes.matching("00501")  # its first call loads its data
        zips = ["60611", "10001", "94110", "02134"]
        ours = [timed(partial(gazetteer.geocode, z)) for _ in range(repeat) for z in zips]
        theirs = [timed(partial(zipcodes.matching, z)) for _ in range(repeat) for z in zips]
        madrid, barcelona = (40.4168, -3.7038), (41.3874, 2.1686)
        haversine = [timed(lambda: great_circle_km(*madrid, *barcelona)) for _ in range(repeat * 10)]
        geodesic = [timed(lambda: geodesic_km(*madrid, *barcelona)) for _ in range(repeat * 10)]
    finally:
        gc.enable()
    after_zipcodes = memory_kb()

    ours_median, theirs_median = statistics.median(ours), statistics.median(theirs)
    hav_median, geo_median = statistics.median(haversine), statistics.median(geodesic)
    mb = 1024
    lines = [
        "| measure | value |",
        "|---|---|",
        f"| import `clinicfinder.core.geo` (pulls in the Flask app package) | {import_ms:.0f} ms |",
        f"| `Gazetteer.load()` | {load_ms:.1f} ms |",
        f"| first lookup (cold index pages) | {first_ms:.2f} ms |",
        f"| typical lookup, median / p95 (all but typos) | {typical_median:.3f} / {typical_p95:.3f} ms |",
        f"| RSS at start → after import → after load + {repeat}× every query | "
        f"{before['VmRSS'] / mb:.0f} → {after_import['VmRSS'] / mb:.0f} → {after_ours['VmRSS'] / mb:.0f} MB "
        f"(peak {after_ours['VmHWM'] / mb:.0f} MB) |",
        f"| baseline `zipcodes.matching` vs gazetteer ZIP lookup, median | "
        f"{theirs_median:.3f} vs {ours_median:.3f} ms; zipcodes adds "
        f"{(after_zipcodes['VmRSS'] - after_ours['VmRSS']) / mb:.0f} MB RSS |",
        f"| `great_circle_km` vs `geodesic_km` (geopy), median | {hav_median * 1000:.1f} vs {geo_median * 1000:.1f} µs "
        f"(×{geo_median / hav_median:.0f}) |",
        "",
        f"| query kind | queries | median ms | p95 ms | max ms |  (each query ×{repeat})",
        "|---|---|---|---|---|",
        *rows,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--write", action="store_true", help="record the table in benchmarks/RESULTS.md")
    args = parser.parse_args()
    table = run(args.repeat)
    print(table)
    if args.write:
        from benchmarks.results import write_section

        write_section("Offline geocoder", f"python -m benchmarks.bench_geocoder --repeat {args.repeat}", table)


if __name__ == "__main__":
    main()
