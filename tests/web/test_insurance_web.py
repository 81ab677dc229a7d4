"""The state's fertility-insurance law, shown once with the results and in the report's summary."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from clinicfinder.core.insurance import state_law
from clinicfinder.core.report import builder
from clinicfinder.services import delivery
from tests.support.journey import answer_all, post, results_page

BOX = re.compile(r'<section class="state-law" id="state-law-(\w\w)".*?</section>', re.S)


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    return seeded_app.test_client()


def test_a_chicago_search_shows_illinois_law_once_with_its_statute_and_source_link(patient: FlaskClient) -> None:
    page = results_page(patient, "60611")
    boxes = BOX.findall(page)
    assert boxes == ["il"], "one box for the one state of the listed clinics"
    box = BOX.search(page)
    assert box
    text = box.group(0)
    illinois = state_law("IL")
    assert illinois
    assert "Insurance law in Illinois" in text
    assert "Illinois law requires some health plans to cover infertility treatment." in text
    assert "215 ILCS 5/356m" in text
    assert f'href="{illinois.source_url}"' in text
    assert "checked on Dec 1, 2026" in text
    assert "What this means and what to ask your insurer" in text
    assert "self-funded" in text and "ERISA" in text


def test_a_search_in_a_state_without_a_law_says_so(patient: FlaskClient) -> None:
    page = results_page(patient, "85018")  # Phoenix, Arizona
    box = BOX.search(page)
    assert box and box.group(1) == "az"
    assert "Arizona has no state law that requires insurers to cover or to offer infertility treatment." in box.group(0)
    assert "Statute:" not in box.group(0)
    assert "some employers add fertility benefits of their own" in box.group(0)


def test_a_texas_search_says_insurers_only_have_to_offer_coverage(patient: FlaskClient) -> None:
    page = results_page(patient, "77030")  # Houston
    box = BOX.search(page)
    assert box and box.group(1) == "tx"
    assert "Texas law only requires some insurers to offer infertility coverage" in box.group(0)
    assert "Ask your employer whether it bought the infertility coverage" in box.group(0)


def test_a_georgia_search_says_the_law_covers_preservation_not_infertility_treatment(patient: FlaskClient) -> None:
    page = results_page(patient, "30309")  # Atlanta
    box = BOX.search(page)
    assert box and box.group(1) == "ga"
    assert (
        "Georgia law requires some health plans to cover fertility preservation before a medical treatment that may"
        " cause infertility; it does not require them to cover infertility treatment such as IVF." in box.group(0)
    )
    assert "IVF: not required" in box.group(0)
    assert "O.C.G.A. § 33-24-59.34" in box.group(0)


def test_an_unchecked_state_shows_no_law_box_rather_than_a_guess(patient: FlaskClient) -> None:
    assert state_law("WA") is None
    page = results_page(patient, "98104")  # Seattle: every clinic within 25 miles is in Washington
    assert "clinic-card" in page
    assert not BOX.search(page)


def test_in_spanish_the_box_and_its_sourced_sentence_are_in_spanish(patient: FlaskClient) -> None:
    answer_all(patient, location="60611")
    post(patient, "/language", {"language": "es", "next": "/find/results"}, page="/find/results")
    page = html.unescape(patient.get("/find/results").get_data(as_text=True))
    box = BOX.search(page)
    assert box
    text = box.group(0)
    assert "Ley de seguros en Illinois" in text
    assert "Qué significa y qué preguntar a su aseguradora" in text
    illinois = state_law("IL")
    assert illinois and f'<span lang="es">{illinois.summary_es}</span>' in text
    assert "Las pólizas de grupo de más de 25 empleados" in text
    assert illinois.summary not in text  # the English sentence is not shown beside it


def test_the_report_summary_chapter_carries_the_same_box(seeded_app: Flask) -> None:
    answers = {"place": {"latitude": 41.88, "longitude": -87.63}, "place_label": "Chicago", "radius_km": 40.0,
               "unit": "mi", "treatment": "ivf", "currency": "USD"}  # fmt: skip
    with seeded_app.app_context():
        report = delivery.report_from_snapshot(answers, "en", datetime(2026, 12, 1, tzinfo=UTC))
    document = html.unescape(builder.render_html(report))
    # The summary: the first page's table and the pictures after it, before the clinics one by one.
    summary = re.search(r'<section id="summary"[^>]*>.*?(?=<section id="clinics")', document, re.S)
    assert summary
    box = BOX.search(summary.group(0))
    assert box and box.group(1) == "il"
    assert "215 ILCS 5/356m" in box.group(0)
    assert "What this means and what to ask your insurer" in box.group(0)
    illinois = state_law("IL")
    assert illinois and f'<span lang="en">{illinois.summary}</span>' in box.group(0)
    with seeded_app.app_context():
        spanish = delivery.report_from_snapshot(answers, "es", datetime(2026, 12, 1, tzinfo=UTC))
    assert f'<span lang="es">{illinois.summary_es}</span>' in html.unescape(builder.render_html(spanish))
