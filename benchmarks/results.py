"""Keeps benchmarks/RESULTS.md: each benchmark rewrites only its own section."""

from __future__ import annotations

import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = "# Benchmark results\n\nEach section is rewritten by the command under its title. Medians and ratios only.\n"


def write_section(title: str, command: str, body: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, Python {platform.python_version()}"
    section = f"## {title}\n\n`{command}` — {when}, {machine}\n\n{body}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section.replace("\\", "\\\\") + "\n", text) if pattern.search(text) else text + "\n" + section
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")
