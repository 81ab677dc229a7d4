"""A fact's source numbers in the report (templates/pdf/notes.html): each number leads to its own note."""

from __future__ import annotations

import re

from clinicfinder.core import templating

SOURCES = [(f"CDC file {year}", None) for year in (2020, 2021, 2022)] + [("The clinic", None), ("ECB", None)]


def cite_all(notes: list[tuple[str, None]], keys: list[tuple[str, None]]) -> str:
    module = templating.environment("en").get_template("pdf/notes.html").module
    return str(module.cite_all(notes, keys))  # type: ignore[attr-defined]


def links(markup: str) -> list[tuple[str, str]]:
    return re.findall(r'<a class="note" href="#note-(\d+)">([\d,]+)</a>', markup)


def test_consecutive_numbers_read_in_order_and_are_one_link_to_the_first() -> None:
    notes = list(SOURCES)
    markup = cite_all(notes, [SOURCES[2], SOURCES[0], SOURCES[1]])
    assert links(markup) == [("1", "1,2,3")]
    assert re.sub(r"<[^>]+>", "", markup) == "1,2,3"


def test_a_gap_in_the_numbers_starts_another_link_so_every_number_reaches_its_note() -> None:
    notes = list(SOURCES)
    markup = cite_all(notes, [SOURCES[4], SOURCES[0], SOURCES[1]])
    assert links(markup) == [("1", "1,2"), ("5", "5")]
    assert re.sub(r"<[^>]+>", "", markup) == "1,2,5"


def test_a_source_named_first_here_joins_the_list() -> None:
    notes = list(SOURCES[:2])
    assert links(cite_all(notes, [("A new source", None)])) == [("3", "3")]
    assert notes[-1] == ("A new source", None)
