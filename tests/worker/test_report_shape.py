"""The report's shape as a patient meets it: short, readable on a phone, pictures with words, honest wording."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from clinicfinder.core.i18n import text_for
from clinicfinder.core.matching.money import Money
from clinicfinder.core.matching.pricing import BudgetFit, PriceKind
from clinicfinder.core.report import builder
from clinicfinder.core.report.guide import GLOSSARY
from clinicfinder.pdf import renderer
from tests.support.instances import seeded_app
from tests.support.reports import CHICAGO, catalog, make_pdf, pdf_text, snapshot, structure_elements

SPANISH = {"place_label": "Chicago, Illinois, Estados Unidos"}
# A Spanish speaker whose place is in the US gets Letter (core/place_defaults.py): shorter pages than A4, and
# Spanish runs longer than English, so this is the case that tests the page count hardest.
SPANISH_IN_THE_US = {**SPANISH, "place": {**CHICAGO, "country": "US"}}
PAGE_NUMBER = re.compile(r"\d+ / \d+")
PAPER_POINTS = {"A4": (595, 842), "Letter": (612, 792)}
SENT_WORDING = {
    "en": "Once it was sent we deleted them, your email address and our copy of this file.",
    "es": "Una vez enviado, las borramos junto con su dirección de correo y nuestra copia de este archivo.",
}
DOWNLOADED_WORDING = {
    "en": "we kept no copy of it and sent it to no one",
    "es": "no guardamos ninguna copia ni lo enviamos a nadie",
}


@pytest.fixture(scope="module")
def app(seeded_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with seeded_app(seeded_database, tmp_path_factory.mktemp("report-shape")) as app:
        yield app


@pytest.fixture(scope="module", params=[("en", {}, "Letter"), ("es", SPANISH, "A4"), ("es", SPANISH_IN_THE_US, "Letter")],
                ids=["en", "es", "es-letter"])  # fmt: skip
def standard(app: Flask, request: pytest.FixtureRequest) -> tuple[str, builder.Report, bytes]:
    """The standard ten-clinic report (Chicago, micro-TESE, non-obstructive azoospermia, $15,000), downloaded."""
    language, changes, paper = request.param
    report, pdf = make_pdf(app, snapshot("micro_tese", **changes), language)
    assert report.choices.paper == paper
    return language, report, pdf


@pytest.fixture(scope="module", params=[("en", {}, "Letter"), ("es", SPANISH, "A4"), ("es", SPANISH_IN_THE_US, "Letter")],
                ids=["en", "es", "es-letter"])  # fmt: skip
def icsi_nearby(app: Flask, request: pytest.FixtureRequest) -> tuple[builder.Report, bytes]:
    """ICSI within 25 miles of Chicago, downloaded: ten clinics sharing one typical cost and no diagnosis. Its
    patient's pages ran a few lines onto a fifth page, and the shared pages start a page of their own: 9 pages."""
    language, changes, paper = request.param
    report, pdf = make_pdf(app, snapshot("icsi", radius_km=40.2336, **changes), language)
    assert report.choices.paper == paper
    return report, pdf


@pytest.fixture(scope="module")
def charted(app: Flask) -> tuple[builder.Report, bytes]:
    """An IVF report with an age band: every clinic has a rate and a typical cost to draw."""
    return make_pdf(app, snapshot("ivf", age_band="35_37"))


def font_sizes(pdf: bytes) -> list[tuple[float, str]]:
    """(size in points as printed, text) for every run of text: the Tf size scaled by the text and page matrices."""
    runs: list[tuple[float, str]] = []
    for page in PdfReader(BytesIO(pdf)).pages:

        def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
            if text.strip():
                scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
                runs.append((round(size * scale, 2), text.strip()))

        page.extract_text(visitor_text=visit)
    return runs


def figures(pdf: bytes) -> list[str | None]:
    """The /Alt text of every /Figure in the PDF's structure tree (None where a figure has none)."""
    return [alt for kind, alt in structure_elements(pdf) if kind == "/Figure"]


def test_the_standard_report_is_at_most_eight_pages_and_150_kb(standard: tuple[str, builder.Report, bytes]) -> None:
    _, report, pdf = standard
    assert len(report.outcome.results) >= 10
    pages = PdfReader(BytesIO(pdf)).pages
    # On the paper the report says it is on: the Letter case must really be laid out on Letter.
    assert {(round(page.mediabox.width), round(page.mediabox.height)) for page in pages} == {
        PAPER_POINTS[report.choices.paper]
    }
    assert len(pages) <= 8
    assert len(pdf) <= 150 * 1024


def test_a_ten_clinic_icsi_report_is_at_most_eight_pages_with_every_clinic(
    icsi_nearby: tuple[builder.Report, bytes],
) -> None:
    report, pdf = icsi_nearby
    results = report.outcome.results[:10]
    assert len(results) == 10
    assert len(PdfReader(BytesIO(pdf)).pages) <= 8
    text = pdf_text(pdf)
    for result in results:
        assert f"{result.rank} {result.clinic.name}" in text  # its own block, not only its row in the table
    # Every clinic shares one typical cost, drawn once for all ten: its text alternative still says it.
    estimate = results[0].price.estimate
    assert estimate is not None and estimate.low is not None
    assert all(result.price == results[0].price for result in results)
    cost = figures(pdf)[0] or ""
    assert f" {len(results)} " in cost and report.text.money(estimate.low.amount, estimate.low.currency) in cost


def test_nothing_the_patient_needs_is_lost_in_the_short_report(standard: tuple[str, builder.Report, bytes]) -> None:
    language, report, pdf = standard
    text = pdf_text(pdf)
    for result in report.outcome.results[:10]:
        assert result.clinic.name in text  # every clinic, in the table and in its block
        if result.clinic.phone:
            assert result.clinic.phone in text
    # Every shown fact keeps its source and year; the CDC file is named once in the sources list.
    assert "CDC NASS 2022 ART Services and Profiles" in text
    assert ("CDC, 2018" in text) and (text.count("CDC, 2018") >= 9)  # the male-factor shares' year, per row
    # "Unknown" is said once for what no clinic has told us, with the question to ask each.
    unknown_once = {"en": "it is unknown for all of them", "es": "es desconocido para todas"}[language]
    assert text.count(unknown_once) == 1
    question = {"en": "Do you offer this treatment yourselves", "es": "¿Ofrecen ustedes mismos este tratamiento"}
    assert text.count(question[language]) == 1
    assert {"en": "Insurance law in Illinois", "es": "Illinois"}[language] in text  # the state-law box stays


def test_the_standard_report_is_readable_on_a_phone(standard: tuple[str, builder.Report, bytes]) -> None:
    _, _, pdf = standard
    runs = font_sizes(pdf)
    assert min(size for size, _ in runs) >= 8.5  # notes, sources, page numbers, chart labels
    characters = sum(len(text) for _, text in runs)
    small = sum(len(text) for size, text in runs if size < 11)
    assert small / characters < 0.25  # the body is the text, the notes are notes
    guide = [size for size, text in runs if text.startswith(("Photo ID", "Un documento de identidad"))]
    assert guide and min(guide) >= 11


def test_the_charts_are_figures_with_their_data_in_words(charted: tuple[builder.Report, bytes]) -> None:
    report, pdf = charted
    alts = figures(pdf)
    assert len(alts) == 3 and all(alts)  # cost, outcome and distance, each with a text alternative
    cost, outcome, distance = (alt or "" for alt in alts)
    first = report.outcome.results[0]
    assert cost.startswith("Cost against your budget (your budget $15,000)")
    # The seeded directory publishes no prices: every clinic shares the typical cost, drawn once for all ten.
    assert f"All {len(report.outcome.results[:10])} clinics: " in cost and first.clinic.name not in cost
    assert "(estimate)" in cost and "above your budget" in cost
    assert outcome.startswith("Live births per intended retrieval, your age")
    assert first.success is not None and first.success.rate is not None
    assert f"{first.success.rate * 100:.1f}%" in outcome and "national figure" in outcome
    # the map of the clinics, as on the results page, says what it shows and every distance in words
    assert distance.startswith(f"Map: {len(report.outcome.results[:10])} clinics within 99\u00a0mi of Chicago")
    assert f"1. {first.clinic.name}, " in distance and "Distances:" in distance
    assert b"pdfuaid:part" in catalog(PdfReader(BytesIO(pdf)))["/Metadata"].get_object().get_data()


def test_a_downloaded_copy_does_not_claim_it_was_sent(standard: tuple[str, builder.Report, bytes]) -> None:
    language, _, pdf = standard
    text = pdf_text(pdf)
    assert SENT_WORDING[language] not in text
    assert DOWNLOADED_WORDING[language] in text


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_emailed_copy_says_what_was_deleted_once_it_was_sent(app: Flask, language: str) -> None:
    report, _ = make_pdf(app, snapshot("micro_tese", **(SPANISH if language == "es" else {})), language)
    text = pdf_text(renderer.make_report_pdf(replace(report, emailed=True)))
    assert SENT_WORDING[language] in text
    assert DOWNLOADED_WORDING[language] not in text


def test_the_cost_chart_has_a_row_per_clinic_once_their_prices_differ(charted: tuple[builder.Report, bytes]) -> None:
    report, _ = charted
    first, *others = report.outcome.results[:10]
    price = Money(Decimal("12500"), "USD")
    published = replace(first.price, kind=PriceKind.PUBLISHED, fit=BudgetFit.WITHIN, amount=price, estimate=None,
                        variants=(), source="the clinic", as_of=report.made_on)  # fmt: skip
    results = (replace(first, price=published), *others)
    pdf = renderer.make_report_pdf(replace(report, outcome=replace(report.outcome, results=results)))
    cost = figures(pdf)[0] or ""
    assert f"1. {first.clinic.name}: Published price $12,500" in cost and f"2. {others[0].clinic.name}: " in cost
    assert "All " not in cost


def test_no_page_ends_with_a_glossary_term_whose_definition_is_on_the_next(
    standard: tuple[str, builder.Report, bytes], icsi_nearby: tuple[builder.Report, bytes]
) -> None:
    for report, pdf in ((standard[1], standard[2]), icsi_nearby):
        t = text_for(report.language)
        terms = {f"{t.gettext(entry.term)}:" for entry in GLOSSARY}
        for number, page in enumerate(PdfReader(BytesIO(pdf)).pages, 1):
            # The page's lines top to bottom, without its running head ("ClinicFinder") and its number ("6 / 8").
            lines = [line.strip() for line in page.extract_text(extraction_mode="layout").splitlines()]
            text = [line for line in lines if line and line != "ClinicFinder" and not PAGE_NUMBER.fullmatch(line)]
            assert text[-1] not in terms, f"page {number} ends with the term {text[-1]!r}; its definition is overleaf"
