"""A card's directory-only parts, kept between pages: the same page, a directory edit shown at once, no answers kept."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup

from clinicfinder.db.models import Clinic
from clinicfinder.extensions import db
from clinicfinder.web.patient.cards import DirectoryParts
from tests.support.journey import answer_all

# What differs between two requests for the same answers: the CSRF token.
VOLATILE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*')
CARD_ID = re.compile(r'<li class="clinic-card" id="clinic-([^"]+)">')


def results(client: FlaskClient, language: str = "en") -> str:
    response = client.get("/find/results", headers={"Accept-Language": language})
    assert response.status_code == 200
    return VOLATILE.sub("", response.get_data(as_text=True))


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_page_from_kept_parts_is_byte_for_byte_the_page_rendered_afresh(
    seeded_app: Flask, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = seeded_app.test_client()
    answer_all(client)
    parts = seeded_app.extensions["card_parts"]
    first = results(client, language)
    kept = len(parts)
    second = results(client, language)  # every part from the cache
    monkeypatch.setitem(seeded_app.extensions, "card_parts", DirectoryParts(size=0))  # nothing kept
    afresh = results(client, language)
    assert kept == len(CARD_ID.findall(first))  # each card's frame
    assert first == second == afresh


def test_an_edit_to_a_clinic_shows_on_the_next_page(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    answer_all(client)
    clinic_id = CARD_ID.findall(results(client))[0]
    with seeded_app.app_context():
        clinic = db.session.get(Clinic, clinic_id)
        assert clinic is not None
        clinic.phone = "(312) 555-0199"
        db.session.commit()
    assert '<a href="tel:(312)555-0199">(312) 555-0199</a>' in results(client)


def test_kept_parts_hold_nothing_a_patient_answered_but_the_treatment(seeded_app: Flask) -> None:
    first, second = seeded_app.test_client(), seeded_app.test_client()
    answer_all(first, budget="20000")
    answer_all(second, budget="7500")
    parts: DirectoryParts = seeded_app.extensions["card_parts"]
    assert "$20,000" in results(first)
    kept = [key for key, _ in parts.entries()]
    assert "$7,500" in results(second)
    assert [key for key, _ in parts.entries()] == kept  # another budget: the same parts, none added
    assert {(language, treatment, part) for language, treatment, _, part in kept} == {("en", "ivf", "frame")}
    text = "".join("".join(part) if isinstance(part, tuple) else part for _, part in parts.entries())
    assert "$20,000" not in text and "$7,500" not in text and "budget" not in text and " away" not in text
    # Nor the rank, the distance or the ranking's explanation: the frame leaves their places empty.
    assert 'aria-hidden="true"></p>' in text and "rank-why" in text
    assert not re.search(r'<p class="rank" aria-hidden="true">\d', text) and " mi<" not in text


def test_the_parts_are_bounded_and_dropped_when_the_revision_moves() -> None:
    parts = DirectoryParts(size=2)
    page = parts.for_page(1, "en", "ivf")
    for clinic in ("a", "b", "c"):
        page.frame(clinic, lambda hole, name: f"<p>{hole}{name}</p>", clinic)
    assert [key[2] for key, _ in parts.entries()] == ["b", "c"]
    parts.for_page(2, "en", "ivf")
    assert len(parts) == 0
    page.frame("d", lambda hole, name: name, "d")  # a page begun before the move keeps nothing
    assert len(parts) == 0


def test_a_frame_writes_the_page_values_escaped_into_its_holes_and_is_rendered_once() -> None:
    calls = []

    def macro(hole: Markup, name: str) -> Markup:
        calls.append(name)
        return Markup("<h2>{}</h2><p>{}</p><i>{}</i>").format(hole, name, hole)

    page = DirectoryParts().for_page(1, "en", "ivf")
    frame = page.frame("a", macro, "A & B")
    assert frame.fill(0, "<b>", 3) == "<h2>&lt;b&gt;</h2><p>A &amp; B</p><i>3"
    assert frame[2] == "</i>"
    assert page.frame("a", macro, "A & B") == frame and calls == ["A & B"]
