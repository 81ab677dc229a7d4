"""What the map adds to a results page: the same page rendered with and without it, in the same run.

    python -m benchmarks.bench_map [--requests 300] [--runs 2] [--write]

A throw-away instance is seeded with the real clinics.csv. For each search (Houston 25 mi,
New York 10 mi, Houston "anywhere") a patient's answers are stored once, then GET /find/results
is timed `--requests` times through Flask's test client, alternating request by request between
the page as it ships and the page with the map left out (the view's map step replaced by nothing;
the template then skips the figure). The
difference of the medians is the map's cost: drawing the pins and labels per request, writing
the SVG, and a cached base layer per framing (the first request of a framing builds it: that one
is reported separately). Two runs; medians and the per-run difference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

from benchmarks.results import write_section

SEARCHES = (
    ("Houston, 25 mi", "77030", "25"),
    ("New York, 10 mi", "10016", "10"),
    ("Houston, anywhere", "77030", "anywhere"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="bench-map-"))
    os.environ.update({"APP_ENV": "testing", "INSTANCE_DIR": str(instance)})
    import flask_migrate

    from clinicfinder.app import create_app
    from clinicfinder.core.map import drawing
    from clinicfinder.web.patient import views
    from tests.support.journey import answer_all, post

    app = create_app({"APP_ENV": "testing", "INSTANCE_DIR": str(instance)})
    with app.app_context():
        flask_migrate.upgrade()
    assert app.test_cli_runner().invoke(args=["clinics", "seed"]).exit_code == 0

    def timed(client: object, count: int) -> list[float]:
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            response = client.get("/find/results")  # type: ignore[attr-defined]
            samples.append(time.perf_counter() - start)
            assert response.status_code == 200
        return samples

    rows = []
    try:
        for label, location, radius in SEARCHES:
            client = app.test_client()
            where = {"location": location, "radius": radius, "unit": "mi"}
            assert post(client, "/find/where", where).status_code == 302
            answer_all(client, location=None)
            drawing._radius_base.cache_clear()
            drawing._national_base.cache_clear()
            start = time.perf_counter()
            page = client.get("/find/results").get_data(as_text=True)
            first = time.perf_counter() - start
            assert 'class="results-map"' in page
            with mock.patch.object(views, "_results_map", return_value=None):
                assert 'class="results-map"' not in client.get("/find/results").get_data(as_text=True)
            per_run = []
            for _ in range(args.runs):
                # Interleaved request by request, so both sides see the same load on a shared machine.
                with_map, without = [], []
                for _ in range(args.requests):
                    with_map += timed(client, 1)
                    with mock.patch.object(views, "_results_map", return_value=None):
                        without += timed(client, 1)
                per_run.append((statistics.median(with_map), statistics.median(without)))
            cost = statistics.median(w - wo for w, wo in per_run)
            parts = _parts(app, views, client, args.requests)
            size = len(page.encode()) - len(_without_figure(page).encode())
            rows.append((label, per_run, cost, first, size, parts))
    finally:
        shutil.rmtree(instance, ignore_errors=True)

    lines = [
        "| search | run | page with map (median) | without map | map adds |",
        "|---|---|---|---|---|",
    ]
    for label, per_run, *_ in rows:
        for number, (page_with, page_without) in enumerate(per_run, start=1):
            lines.append(
                f"| {label} | {number} | {page_with * 1000:.2f} ms | {page_without * 1000:.2f} ms "
                f"| {(page_with - page_without) * 1000:+.2f} ms |"
            )
    lines += [
        "",
        "| search | map adds (median of runs) | of which: drawing (CPU) | writing the SVG (CPU) "
        "| first request of a framing | map markup |",
        "|---|---|---|---|---|---|",
    ]
    for label, _, cost, first, size, (draw, write) in rows:
        lines.append(
            f"| {label} | {cost * 1000:+.2f} ms | {draw * 1000:.2f} ms | {write * 1000:.2f} ms "
            f"| {first * 1000:.1f} ms (whole page, builds the base layer) | {size / 1024:.1f} KB |"
        )
    lines += ["", f"Load during the run: `{_uptime()}`. Target: the map adds ≤ 3 ms a results page."]
    body = "\n".join(lines)
    print(body)
    if args.write:
        write_section(
            "Results map: cost per results page",
            f"python -m benchmarks.bench_map --requests {args.requests} --runs {args.runs} --write",
            body,
        )
    return 0


def _parts(app: object, views: object, client: object, count: int) -> tuple[float, float]:
    """CPU time (process time, less swayed by other processes than wall time) of the map's two steps."""
    captured: dict[str, object] = {}
    original = views._results_map  # type: ignore[attr-defined]

    def capture(*args: object) -> object:
        captured["args"] = args
        captured["drawing"] = original(*args)
        return captured["drawing"]

    with mock.patch.object(views, "_results_map", side_effect=capture):
        client.get("/find/results")  # type: ignore[attr-defined]
    draws, writes = [], []
    # The results page's own macro, compiled once as the page's template is.
    macro = app.jinja_env.from_string(  # type: ignore[attr-defined]
        '{% import "macros/map.html" as maps with context %}{{ maps.results_map(drawing, "alt") }}'
    )
    with app.test_request_context():  # type: ignore[attr-defined]
        for _ in range(count):
            start = time.process_time()
            drawing = original(*captured["args"])  # type: ignore[misc]
            draws.append(time.process_time() - start)
            start = time.process_time()
            macro.render(drawing=drawing)
            writes.append(time.process_time() - start)
    return statistics.median(draws), statistics.median(writes)


def _without_figure(page: str) -> str:
    start = page.find('<figure class="results-map"')
    end = page.find("</figure>", start)
    return page if start < 0 else page[:start] + page[end + len("</figure>") :]


def _uptime() -> str:
    return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    raise SystemExit(main())
