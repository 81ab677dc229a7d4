"""When no clinic fits, the patient is offered the first-visit guide alone, downloaded or emailed, never an empty report."""

from __future__ import annotations

import html
import re
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from clinicfinder.core.report import builder
from tests.support.jobs import run_jobs
from tests.support.journey import answer_all, answer_where_anyway, post
from tests.support.mail import Mailsink
from tests.support.report_mail import confirm, html_part, link, pdf_attachments, text_part
from tests.support.reports import make_pdf, pdf_text, snapshot


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    return {**environment, "REPORT_LIMIT_PER_IP": "1000 per hour"}


@pytest.fixture
def nothing_fits(seeded_app: Flask) -> FlaskClient:
    """Valencia, Spain, within 25 miles: the directory holds only US clinics, so none fits."""
    client = seeded_app.test_client()
    answer_where_anyway(client, "Valencia, Spain")
    answer_all(client, location=None, treatment="micro_tese")
    return client


def assert_is_the_guide_alone(pdf: bytes) -> None:
    text = pdf_text(pdf)
    reader = PdfReader(BytesIO(pdf))
    assert reader.metadata is not None and reader.metadata.title == "Your first-visit guide — ClinicFinder"
    assert "Your first-visit guide" in text and "Your Fertility Report" not in text
    assert "so it lists none" in text  # says why there is no clinic in it
    # The guide for the patient's answers, with its references.
    for tip in ("Photo ID", "Who will perform the sperm retrieval or micro-TESE", "References",
                "American Urological Association"):  # fmt: skip
        assert tip in text, tip
    # No clinic part: no comparison table, no profiles, no method of choosing clinics.
    for clinic_part in ("The clinics that fit", "The clinics side by side", "The clinics one by one",
                        "How we chose these clinics", "Cost against your budget"):  # fmt: skip
        assert clinic_part not in text, clinic_part
    bookmarks = str(reader.outline)
    assert "Your first visit" in bookmarks and "The clinics" not in bookmarks


def test_with_no_fitting_clinic_the_results_page_offers_the_guide_not_a_report(nothing_fits: FlaskClient) -> None:
    html = nothing_fits.get("/find/results").get_data(as_text=True)
    assert "No clinic fits all your answers" in html
    assert "our first-visit guide for Micro-TESE helps wherever you go" in html
    assert "Download the guide (PDF)" in html
    assert "A PDF report of these clinics" not in html


def test_with_clinics_the_results_page_still_offers_the_report(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    answer_all(client, location="60611", treatment="micro_tese")
    html = client.get("/find/results").get_data(as_text=True)
    assert "A PDF report of these clinics" in html
    assert "Download the guide (PDF)" not in html


def test_the_download_is_the_guide_alone(nothing_fits: FlaskClient) -> None:
    response = post(nothing_fits, "/report/download", {}, page="/find/results")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert re.fullmatch(r'attachment; filename="clinicfinder-guide-\d{4}-\d{2}-\d{2}\.pdf"',
                        response.headers["Content-Disposition"])  # fmt: skip
    assert_is_the_guide_alone(response.data)
    assert "downloaded or sent" in pdf_text(response.data)  # nothing claims an email that never happened


def test_the_emailed_guide_comes_through_the_same_double_opt_in(
    nothing_fits: FlaskClient, seeded_app: Flask, smtp: Mailsink
) -> None:
    response = post(nothing_fits, "/report/email", {"email": "someone@example.org", "leave_blank": ""},
                    page="/find/results")  # fmt: skip
    assert response.location.endswith("/report/progress")
    run_jobs(seeded_app)
    [confirmation] = smtp.wait_for(1)
    assert confirmation["Subject"] == "Please confirm your email address"
    assert pdf_attachments(confirmation) == []
    confirm(nothing_fits, confirmation)
    run_jobs(seeded_app)
    guide = next(message for message in smtp.wait_for(2) if pdf_attachments(message))
    assert guide["Subject"] == "Your ClinicFinder first-visit guide"
    body = text_part(guide)
    assert "Here is the first-visit guide you asked for" in body and "the report you asked for" not in body
    [(name, pdf)] = pdf_attachments(guide)
    assert re.fullmatch(r"clinicfinder-guide-\d{4}-\d{2}-\d{2}\.pdf", name)
    assert_is_the_guide_alone(pdf)
    assert nothing_fits.get("/report/progress.json").get_json()["stage"] == "sent"


def test_the_spanish_guide_is_titled_and_worded_as_a_guide(seeded_app: Flask) -> None:
    valencia = {"latitude": 39.4699, "longitude": -0.3763, "country": "ES"}
    answers = snapshot("micro_tese", place=valencia, place_label="Valencia, España", radius_km=40.0, unit="km",
                       currency="EUR")  # fmt: skip
    report, pdf = make_pdf(seeded_app, answers, "es")
    assert report.guide_only and builder.file_name(report).startswith("clinicfinder-guide-")
    text = pdf_text(pdf)
    assert "Su guía para la primera visita" in text and "Su informe de fertilidad" not in text
    assert "así que no incluye ninguna" in text
    assert "Las clínicas una a una" not in text


GUIDE_WORDING = {
    "en": {
        "heading": "<h1>Your first-visit guide</h1>",
        "confirmation": "asked ClinicFinder to email a first-visit guide to this address",
        "button": "Send me my guide",
        "queued": "Address confirmed. Your guide is waiting for its turn.",
        "sent": "Sent. Check your inbox for your first-visit guide.",
    },
    "es": {
        "heading": "<h1>Su guía para la primera visita</h1>",
        "confirmation": "pidió a ClinicFinder que enviara una guía para la primera visita a esta dirección",
        "button": "Enviarme mi guía",
        "queued": "Dirección confirmada. Su guía espera su turno.",
        "sent": "Enviada. Busque su guía para la primera visita en su bandeja de entrada.",
    },
}
REPORT_WORDING = {
    "en": ("<h1>Your report</h1>", "email a report", "Send me my report", "Your report is", "for your report"),
    "es": (
        "<h1>Su informe</h1>",
        "enviara un informe",
        "Enviarme mi informe",
        "Su informe espera",
        "Busque su informe",
    ),
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_pages_and_the_confirmation_speak_of_the_guide_when_the_guide_is_what_comes(
    nothing_fits: FlaskClient, seeded_app: Flask, smtp: Mailsink, language: str
) -> None:
    wording, report_words = GUIDE_WORDING[language], REPORT_WORDING[language]

    def not_a_report(text: str) -> None:
        for words in report_words:
            assert words not in text, words

    if language == "es":
        post(nothing_fits, "/language", {"language": "es", "next": "/find/results"}, page="/find/results")
    post(nothing_fits, "/report/email", {"email": "someone@example.org", "leave_blank": ""}, page="/find/results")
    waiting = html.unescape(nothing_fits.get("/report/progress").get_data(as_text=True))
    assert wording["heading"] in waiting
    not_a_report(waiting)

    run_jobs(seeded_app)
    [confirmation] = smtp.wait_for(1)
    for body in (text_part(confirmation), html.unescape(html_part(confirmation))):
        assert wording["confirmation"] in body
        not_a_report(body)
    # The link may be opened in another browser, which knows nothing of the request but its link.
    elsewhere = seeded_app.test_client()
    if language == "es":
        post(elsewhere, "/language", {"language": "es", "next": "/"}, page="/")
    button = html.unescape(elsewhere.get(link(confirmation, "/report/confirm")).get_data(as_text=True))
    assert wording["button"] in button
    not_a_report(button)

    confirm(elsewhere, confirmation)
    assert elsewhere.get("/report/progress.json").get_json() == {"stage": "queued", "message": wording["queued"]}
    run_jobs(seeded_app)
    smtp.wait_for(2)
    # Sent: the request's answers (and the kind recorded with them) are gone; each browser still says "guide".
    for client in (nothing_fits, elsewhere):
        assert client.get("/report/progress.json").get_json() == {"stage": "sent", "message": wording["sent"]}
        sent = html.unescape(client.get("/report/progress").get_data(as_text=True))
        assert wording["heading"] in sent and wording["sent"] in sent
        not_a_report(sent)
