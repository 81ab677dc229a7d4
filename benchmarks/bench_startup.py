"""Cold start of a web process: `import wsgi` in fresh interpreters, against a bare Flask app.

    python -m benchmarks.bench_startup [--runs 7] [--write]

Each measurement is a new `python -c ...` process (wall clock, median of --runs), so nothing is
cached in the interpreter; the OS file cache is warm for both, as on a host that restarts workers.
The baseline builds a one-route Flask app in the same way. Also lists which heavy libraries the
web process imports although its pages do not need them at start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.results import write_section

ROOT = Path(__file__).resolve().parents[1]
APP = "import wsgi"
BARE = "from flask import Flask; app = Flask('bare'); app.get('/')(lambda: 'ok')"
HEAVY = (
    "weasyprint", "psycopg", "argon2", "redis", "huey", "geopy", "pydantic", "matplotlib", "alembic", "flask_migrate",
    "markdown_it", "yaml", "clinicfinder.pdf.renderer", "clinicfinder.core.report.builder",
)  # fmt: skip


def wall_seconds(code: str) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=_environment())  # noqa: S603 - our own code
    return time.perf_counter() - began


INSTANCE = tempfile.mkdtemp(prefix="cf-startup-")


def _environment() -> dict[str, str]:
    # Embedded defaults (SQLite, the SQLite queue) in a throwaway instance, as the tests build the app.
    return {**os.environ, "PYTHONPATH": str(ROOT), "APP_ENV": "testing", "INSTANCE_DIR": INSTANCE}


def heavy_imports() -> tuple[list[str], int]:
    """The HEAVY libraries `import wsgi` loads, and how many modules it loads in all."""
    code = f"import sys, wsgi; print(len(sys.modules), ' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True,  # noqa: S603
                         env=_environment())  # fmt: skip
    count, *heavy = out.stdout.split()
    return heavy, int(count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    wall_seconds(APP)  # the first run writes the instance and the bytecode caches
    lines = [
        f"Median of {args.runs} fresh processes each, per run; the two interleaved so both see the same load.",
        "",
        "| run | load average | `import wsgi`, s | bare Flask app, s | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for run in (1, 2):
        load = os.getloadavg()[0]
        app, bare = [], []
        for _ in range(args.runs):
            app.append(wall_seconds(APP))
            bare.append(wall_seconds(BARE))
        lines.append(
            f"| {run} | {load:.1f} | {statistics.median(app):.2f} | {statistics.median(bare):.2f} | "
            f"{statistics.median(app) / statistics.median(bare):.1f}× |"
        )
    heavy, count = heavy_imports()
    still = ", ".join(heavy) or "none"
    lines += ["", f"Heavy libraries still imported by `import wsgi`: {still}; {count} modules in all."]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("Start-up: import wsgi", "python -m benchmarks.bench_startup --write", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
