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
import resource
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


# Where `import wsgi`'s time goes: each layer imported on top of the ones before it, in fresh processes.
FRAMEWORK = (
    "flask", "sqlalchemy.orm", "flask_sqlalchemy", "flask_wtf", "flask_babel", "flask_limiter", "flask_login",
    "flask_mail", "wtforms",
)  # fmt: skip
LAYERS = (
    ("Python and Flask (the bare app)", BARE),
    ("+ SQLAlchemy's ORM and the extensions", "import " + ", ".join(FRAMEWORK)),
    ("+ the models' declarative mapping", "import " + ", ".join((*FRAMEWORK, "clinicfinder.db.models"))),
    (
        "+ the search stack (numpy, the matching index, geo)",
        "import " + ", ".join((*FRAMEWORK, "clinicfinder.db.models", "clinicfinder.services.search")),
    ),
    ("+ the blueprints' views and forms, create_app: `import wsgi`", APP),
)


def wall_seconds(code: str) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=_environment())  # noqa: S603 - our own code
    return time.perf_counter() - began


def cpu_seconds(code: str) -> float:
    """CPU (user + system) of a fresh `python -c code`: less swayed than the wall clock by other work on the cores."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=_environment())  # noqa: S603 - our own code
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
    cpu: dict[str, list[float]] = {name: [] for name, _ in LAYERS}
    load = os.getloadavg()[0]
    for _ in range(args.runs):  # the layers interleaved, round by round
        for name, code in LAYERS:
            cpu[name].append(cpu_seconds(code))
    lines += [
        "",
        f"Where the time goes: CPU seconds (user + system) of a fresh process importing each layer on top of the ones"
        f" above, median of {args.runs}, the layers interleaved; load average {load:.1f}.",
        "",
        "| layer | cumulative CPU, s | this layer, s |",
        "|---|---:|---:|",
    ]
    previous = 0.0
    for name, _ in LAYERS:
        cumulative = statistics.median(cpu[name])
        lines.append(f"| {name} | {cumulative:.2f} | {cumulative - previous:+.2f} |")
        previous = cumulative
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
