"""CPU and function calls a report made as the worker makes it, this tree against another, alternated.

    python -m benchmarks.report_cpu_ab OTHER_TREE [--rounds 3] [--repeat 7]

OTHER_TREE is an export of another commit (e.g. `git archive c14ab49 | tar -x -C /tmp/report-base`, its
translations compiled). Each round runs, in a fresh process for each tree, the standard 10-clinic report
of bench_report: its parts rendered by that tree's templates, the shared pages warmed, then the function
calls of one report (cProfile; they do not vary with the load) and the median CPU of `--repeat` reports.
The trees alternate so that both see the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

# Run inside each tree (cwd = the tree): prints one JSON line.
MEASURE = """
import cProfile, gc, json, os, pstats, sys, tempfile, time
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, os.getcwd())
instance = Path(tempfile.mkdtemp(prefix="report-ab-"))
os.environ.update({"APP_ENV": "development", "INSTANCE_DIR": str(instance), "REPORTS_DIR": str(instance / "reports"),
                   "REPORT_DOUBLE_OPT_IN": "false"})
import flask_migrate
from benchmarks.bench_report import STANDARD_ANSWERS
from clinicfinder.app import create_app
from clinicfinder.core.report import builder
from clinicfinder.pdf import report_cache
from clinicfinder.services import delivery
app = create_app()
with app.app_context():
    flask_migrate.upgrade()
assert app.test_cli_runner().invoke(args=["clinics", "seed"]).exit_code == 0
with app.app_context():
    report = delivery.report_from_snapshot(STANDARD_ANSWERS, sys.argv[1], datetime(2026, 12, 1, tzinfo=UTC))
parts = builder.render_parts(report)
report_cache.shared_pages.freeze = True  # as in a render child; an attribute the older tree ignores
report_cache.render_report_here(parts)
report_cache.render_report_here(parts)
profile = cProfile.Profile()
profile.enable()
pdf = report_cache.render_report_here(parts)
profile.disable()
samples = []
for _ in range(int(sys.argv[2])):
    start = time.process_time()
    report_cache.render_report_here(parts)
    samples.append(time.process_time() - start)
print(json.dumps({"calls": pstats.Stats(profile).total_calls, "cpu": samples, "bytes": len(pdf),
                  "load": os.getloadavg()[0]}))
"""


def measure(tree: Path, language: str, repeat: int) -> dict[str, object]:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(MEASURE)
    try:
        result = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, script.name, language, str(repeat)], cwd=tree, capture_output=True, text=True,
            check=True, env={**os.environ, "PYTHONPATH": str(tree)},
        )  # fmt: skip
    finally:
        Path(script.name).unlink()
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("other", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--language", default="en")
    args = parser.parse_args()
    trees = {"other": args.other.resolve(), "this": PROJECT}
    found: dict[str, list[dict[str, object]]] = {name: [] for name in trees}
    for round_number in range(1, args.rounds + 1):
        for name, tree in trees.items():
            result = measure(tree, args.language, args.repeat)
            found[name].append(result)
            cpu = statistics.median(result["cpu"])  # type: ignore[arg-type]  # a list of floats from JSON
            print(f"round {round_number} {name:5s} ({tree}): {result['calls']:,} calls, CPU median {cpu:.3f} s, "
                  f"{result['bytes']:,} bytes, load {result['load']:.1f}", flush=True)  # fmt: skip
    medians = {}
    for name, results in found.items():
        samples = [sample for result in results for sample in result["cpu"]]  # type: ignore[attr-defined]
        medians[name] = statistics.median(samples)
        print(f"{name}: calls {results[0]['calls']:,}, CPU median of {len(samples)} reports {medians[name]:.3f} s")
    print(f"ratio this / other: {medians['this'] / medians['other']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
