"""A questionnaire step writes the patient's answers only when they change (issue 15: the step's cost)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from clinicfinder.db.models import JourneyAnswers
from clinicfinder.extensions import db
from clinicfinder.services import journey
from tests.support.journey import journey_answers, post


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    client = seeded_app.test_client()
    post(client, "/find/where", {"location": "New York, NY", "radius": "25", "unit": "mi"})
    post(client, "/find/treatment", {"treatment": "ivf"})
    return client


@contextmanager
def writes_to_journeys(app: Flask) -> Iterator[list[str]]:
    """The INSERT/UPDATE statements sent for journey_answers while the block runs."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT")) and "journey_answers" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _expiry(app: Flask) -> datetime:
    with app.app_context():
        return db.session.scalars(select(JourneyAnswers.expires_at)).one()


def test_posting_the_same_answer_again_writes_nothing(patient: FlaskClient, seeded_app: Flask) -> None:
    with writes_to_journeys(seeded_app) as writes:
        response = post(patient, "/find/treatment", {"treatment": "ivf"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/find/budget")
    assert writes == []
    assert journey_answers(patient)["treatment"] == "ivf"


def test_a_changed_answer_is_written_and_restarts_the_idle_hour(patient: FlaskClient, seeded_app: Flask) -> None:
    before = _expiry(seeded_app)
    with writes_to_journeys(seeded_app) as writes:
        post(patient, "/find/treatment", {"treatment": "icsi"})
    assert len(writes) == 1
    assert journey_answers(patient)["treatment"] == "icsi"
    assert _expiry(seeded_app) >= before


def test_unchanged_answers_still_restart_an_idle_hour_older_than_a_minute(
    patient: FlaskClient, seeded_app: Flask
) -> None:
    stale = datetime.now(UTC) + journey.IDLE_LIFETIME - journey.REFRESH_AFTER - timedelta(seconds=5)
    with seeded_app.app_context():
        db.session.scalars(select(JourneyAnswers)).one().expires_at = stale
        db.session.commit()
    with writes_to_journeys(seeded_app) as writes:
        post(patient, "/find/treatment", {"treatment": "ivf"})
    assert len(writes) == 1
    assert _expiry(seeded_app) > stale + timedelta(seconds=4)


def test_the_forms_lazy_labels_follow_each_requests_language(seeded_app: Flask) -> None:
    # The catalogue is found once per request (web/translation.py) and kept in that request's environ:
    # the next request, in another language, finds its own.
    from babel.support import Translations

    from clinicfinder.core.i18n import TRANSLATIONS_DIR
    from clinicfinder.core.vocabulary import TREATMENT_EXPLANATIONS

    english = TREATMENT_EXPLANATIONS["donor_sperm"]
    spanish = Translations.load(str(TRANSLATIONS_DIR), ["es"]).ugettext(english)
    assert spanish != english
    client = seeded_app.test_client()
    post(client, "/find/where", {"location": "New York, NY", "radius": "25", "unit": "mi"})
    seen = []
    for language in ("en", "es", "en"):
        page = client.get("/find/treatment", headers={"Accept-Language": language}).get_data(as_text=True)
        seen.append((english in page, spanish in page))
    assert seen == [(True, False), (False, True), (True, False)]


def test_showing_a_step_again_sends_no_cookie(patient: FlaskClient) -> None:
    # Nothing in the session changes when a page is only shown, so the signed cookie is not sent again
    # (Flask-Login's context processor used to run session protection on every page, which did).
    for path in ("/find/treatment", "/find/where", "/"):
        response = patient.get(path)
        assert response.status_code == 200, path
        assert response.headers.getlist("Set-Cookie") == [], path
