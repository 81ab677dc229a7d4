"""benchmarks/results.py: a benchmark rewrites its own section of RESULTS.md and nothing else."""

from __future__ import annotations

from pathlib import Path

from benchmarks.results import HEADER, KEPT, write_section


def test_a_rewrite_replaces_the_measured_part_keeps_the_hand_written_part_and_leaves_other_sections(
    tmp_path: Path,
) -> None:
    results = tmp_path / "RESULTS.md"
    write_section("Search", "python -m bench_search", "| run | ms |\n| 1 | 9.0 |", path=results)
    write_section("Report", "python -m bench_report", "0.9 s a report", path=results)
    text = results.read_text(encoding="utf-8")
    assert text.startswith(HEADER) and text.index("## Search") < text.index("## Report")
    results.write_text(
        text.replace("| 1 | 9.0 |\n", f"| 1 | 9.0 |\n\n{KEPT}\n\nWhy run 1 was slow: the profile.\n"), encoding="utf-8"
    )

    write_section("Search", "python -m bench_search", "| run | ms |\n| 1 | 7.5 |", path=results)
    text = results.read_text(encoding="utf-8")
    search, report = text.split("## Report")
    assert "| 1 | 7.5 |" in search and "9.0" not in search
    assert search.index("| 1 | 7.5 |") < search.index(KEPT) < search.index("Why run 1 was slow: the profile.")
    assert "0.9 s a report" in report and text.count("## Search") == 1

    write_section("Report", "python -m bench_report", "0.8 s a report", path=results)
    text = results.read_text(encoding="utf-8")
    assert "0.8 s a report" in text and "0.9 s a report" not in text and KEPT not in text.split("## Report")[1]
    assert "Why run 1 was slow: the profile." in text
