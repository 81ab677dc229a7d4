"""The patient's three steps through the Flask test client, as a browser submits them."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from clinicfinder.db.models import JourneyAnswers
from clinicfinder.extensions import db
from clinicfinder.services import journey

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def post(client: FlaskClient, path: str, data: dict[str, str], *, page: str | None = None) -> TestResponse:
    """Submit a form as a browser does: fetch the page for its CSRF token, then POST."""
    html = client.get(page or path).get_data(as_text=True)
    token = TOKEN.search(html)
    assert token, f"no CSRF token on {page or path}"
    return client.post(path, data={"csrf_token": token.group(1), **data})


def answer_all(
    client: FlaskClient, *, location: str | None = "60611", treatment: str = "ivf", budget: str = "20000"
) -> None:
    """Answer the three steps; `location=None` keeps the place already given."""
    if location is not None:
        assert post(client, "/find/where", {"location": location, "radius": "25", "unit": "mi"}).status_code == 302
    assert post(client, "/find/treatment", {"treatment": treatment}).status_code == 302
    assert (
        post(client, "/find/budget", {"budget": budget, "currency": "USD", "include_unpriced": "y"}).status_code == 302
    )


def journey_answers(client: FlaskClient) -> dict[str, object]:
    with client.application.app_context(), client.session_transaction() as session:
        journey_id = session.get(journey.SESSION_KEY)
        row = db.session.get(JourneyAnswers, journey_id) if journey_id else None
        return dict(row.answers) if row else {}


def answer_where_anyway(client: FlaskClient, location: str, *, unit: str = "mi") -> None:
    """A place outside the directory's countries: told so at the where step, then "Search the US directory anyway"."""
    assert post(client, "/find/where", {"location": location, "radius": "25", "unit": unit}).status_code == 302
    assert post(client, "/find/where/anyway", {}, page="/find/where").headers["Location"].endswith("/find/treatment")


def results_page(client: FlaskClient, location: str, radius: str = "25") -> str:
    """The results page, unescaped, after the three steps from `location` within `radius` miles."""
    assert post(client, "/find/where", {"location": location, "radius": radius, "unit": "mi"}).status_code == 302
    answer_all(client, location=None)
    response = client.get("/find/results")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))
