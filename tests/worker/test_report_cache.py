"""The report made from its two parts, the shared one laid out once, is the report laid out in one piece."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from clinicfinder.core.report import builder
from clinicfinder.pdf import internals, painted, renderer
from clinicfinder.pdf.report_cache import SharedPages, render_report_here
from clinicfinder.services import delivery
from tests.support.instances import seeded_app
from tests.support.reports import CHICAGO, catalog, pdf_text, snapshot, structure_elements

MADE_AT = datetime(2026, 11, 25, tzinfo=UTC)
SPANISH_IN_THE_US = {"place_label": "Chicago, Illinois, Estados Unidos", "place": {**CHICAGO, "country": "US"}}


@pytest.fixture(scope="module")
def app(seeded_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with seeded_app(seeded_database, tmp_path_factory.mktemp("report-cache")) as app:
        yield app


def report_for(app: Flask, language: str = "en", **changes: Any) -> builder.Report:
    with app.app_context():
        return delivery.report_from_snapshot(snapshot("micro_tese", **changes), language, MADE_AT)


def reports(app: Flask, language: str, **changes: Any) -> tuple[builder.Report, bytes]:
    """The report and its PDF laid out in one piece, as before the cache."""
    report = report_for(app, language, **changes)
    return report, renderer.render_pdf_here(builder.render_html(report))


def links(pdf: bytes) -> list[list[str]]:
    """Each page's links: the web address, or the page number an internal link lands on."""
    reader: Any = PdfReader(BytesIO(pdf))  # untyped: pypdf types every dictionary value as a bare PdfObject
    pages = {page.indirect_reference.idnum: number for number, page in enumerate(reader.pages, 1)}
    destinations = {name: pages[dest.page.idnum] for name, dest in reader.named_destinations.items()}
    found = []
    for page in reader.pages:
        on_page = []
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if "/A" in annotation:
                on_page.append(str(annotation["/A"]["/URI"]))
            else:
                on_page.append(f"page {destinations[str(annotation['/Dest'])]}")
        found.append(on_page)
    return found


def bookmarks(pdf: bytes) -> list[tuple[str, int]]:
    reader = PdfReader(BytesIO(pdf))

    def flat(outline: Any) -> Iterator[tuple[str, int]]:
        for item in outline:
            if isinstance(item, list):
                yield from flat(item)
            else:
                number = reader.get_destination_page_number(item)
                assert number is not None
                yield item.title, number + 1

    return list(flat(reader.outline))


def fonts(pdf: bytes) -> list[str]:
    reader: Any = PdfReader(BytesIO(pdf))
    found = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            found.add(str(font.get_object()["/BaseFont"]))
    return sorted(found)


@pytest.mark.parametrize(("language", "changes"), [("en", {}), ("es", SPANISH_IN_THE_US)], ids=["en", "es-letter"])
def test_the_report_from_its_parts_is_the_report_in_one_piece(app: Flask, language: str, changes: Any) -> None:
    report, whole = reports(app, language, **changes)
    parts = builder.render_parts(report)
    assert parts is not None
    cache = SharedPages()
    first, again = render_report_here(parts, cache), render_report_here(parts, cache)
    assert cache.hits >= 1  # the second report reused the shared pages laid out for the first

    expected = PdfReader(BytesIO(whole))
    total = len(expected.pages)
    for combined in (first, again):
        reader = PdfReader(BytesIO(combined))
        # Every page's words, its footer "n / total" among them, as in the document laid out in one piece.
        assert [page.extract_text() for page in reader.pages] == [page.extract_text() for page in expected.pages]
        for number, page in enumerate(reader.pages, 1):
            assert f"{number} / {total}" in page.extract_text()
        assert structure_elements(combined) == structure_elements(whole)  # PDF/UA tags, figure alt texts
        assert links(combined) == links(whole)  # the contents on page 1 land on the shared pages
        assert bookmarks(combined) == bookmarks(whole)
        assert fonts(combined) == fonts(whole)  # each font embedded once, as one document does
        assert reader.metadata == expected.metadata
        assert b"pdfuaid:part" in catalog(reader)["/Metadata"].get_object().get_data()


@pytest.mark.parametrize(
    ("language", "changes"),
    [("en", {}), ("es", SPANISH_IN_THE_US), ("en", {"paper": "A4"}), ("en", {"age_band": "35_37"})],
    ids=["en", "es-letter", "en-a4", "en-age"],
)
def test_the_kept_pages_painted_once_make_the_same_file(app: Flask, language: str, changes: Any) -> None:
    """The shared pages' drawing is replayed, not painted again, and the PDF is the one laid out in one piece, byte for byte."""
    report, whole = reports(app, language, **changes)
    parts = builder.render_parts(report)
    assert parts is not None
    cache = SharedPages()
    first, again = render_report_here(parts, cache), render_report_here(parts, cache)
    _, kept = list(cache._documents.values())[-1]  # the one used: laid out after the patient's pages
    assert kept and all(page.replays == 2 for page in kept)  # the first report's pages are replayed too
    assert first == whole and again == whole


@pytest.mark.parametrize("trouble", ["another pydyf", "an internal moved"])
def test_a_kept_page_that_cannot_be_replayed_is_painted_and_the_report_is_the_same(
    app: Flask, monkeypatch: pytest.MonkeyPatch, trouble: str
) -> None:
    report, whole = reports(app, "en")
    parts = builder.render_parts(report)
    assert parts is not None
    if trouble == "another pydyf":
        monkeypatch.setitem(internals.WRITTEN_AGAINST, "pydyf", "0.14.0")
    else:

        def moved(*args: Any) -> None:
            raise AttributeError("'Stream' object has no attribute '_resources'")

        monkeypatch.setattr(painted, "_record", moved)
    cache = SharedPages()
    assert render_report_here(parts, cache) == whole and render_report_here(parts, cache) == whole
    _, kept = list(cache._documents.values())[-1]
    assert kept and all(page.replays == 0 for page in kept)


def test_a_render_child_freezes_the_pages_it_keeps_and_unfreezes_them_when_it_lets_one_go(app: Flask) -> None:
    report, _ = reports(app, "en")
    downloaded, emailed = builder.render_parts(report), builder.render_parts(replace(report, emailed=True))
    assert downloaded is not None and emailed is not None
    cache = SharedPages(keep=1, freeze=True)
    try:
        render_report_here(downloaded, cache)
        document, _ = list(cache._documents.values())[-1]
        assert all(thing is not document for thing in gc.get_objects())  # frozen: the collector no longer walks it
        del document
        render_report_here(emailed, cache)  # keeps one: each report lets the other's pages go
        render_report_here(downloaded, cache)
        frozen = gc.get_freeze_count()
        for parts in (emailed, downloaded):
            render_report_here(parts, cache)
        # What was let go is collected, not left frozen for the rest of the child's life (about 1,700
        # objects of each document let go, in reference cycles, would stay frozen: twice that).
        assert gc.get_freeze_count() - frozen < 1_000
    finally:
        gc.unfreeze()


def test_reports_differing_in_their_shared_pages_never_share_them(app: Flask) -> None:
    """The cache is keyed by the shared part's own text: an emailed copy gets its own privacy note."""
    report, _ = reports(app, "en")
    downloaded, emailed = builder.render_parts(report), builder.render_parts(replace(report, emailed=True))
    assert downloaded is not None and emailed is not None and downloaded.shared != emailed.shared
    cache = SharedPages()
    render_report_here(downloaded, cache)
    text = pdf_text(render_report_here(emailed, cache))
    assert "Once it was sent we deleted them" in text and "we kept no copy of it" not in text


def test_the_guide_alone_is_laid_out_in_one_piece(app: Flask) -> None:
    valencia = {"latitude": 39.4699, "longitude": -0.3763, "country": "ES"}
    answers: dict[str, Any] = {
        "place": valencia,
        "place_label": "Valencia",
        "radius_km": 40.0,
        "unit": "km",
        "currency": "EUR",
    }
    report = report_for(app, **answers)
    assert report.guide_only and builder.render_parts(report) is None
