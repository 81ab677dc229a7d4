"""Keeps benchmarks/RESULTS.md: each benchmark rewrites only its own section."""

from __future__ import annotations

import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\nEach section is rewritten by the command under its title, but for what follows its "
    '"written by hand" line. Medians and ratios only.\n'
)


# What follows this line in a section was written by hand (what a run showed, a profile, what was tried):
# rewriting the section keeps it, so a new run does not erase the reading of the old one.
KEPT = "<!-- written by hand below: kept when the benchmark rewrites this section -->"


def write_section(title: str, command: str, body: str, *, path: Path = RESULTS) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, Python {platform.python_version()}"
    section = f"## {title}\n\n`{command}` — {when}, {machine}\n\n{body}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    old = pattern.search(text)
    if old is None:
        text = text.rstrip() + "\n\n" + section
    else:
        kept = old.group(0).partition(KEPT)[1:]
        new = section + ("\n" + "".join(kept).rstrip() + "\n" if kept[0] else "")
        text = text[: old.start()] + new + "\n" + text[old.end() :]
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
