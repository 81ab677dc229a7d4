"""The patient's answers between steps: stored server-side, found through an id in the cookie.

Nothing of the answers goes into the (signed, but readable) session cookie or a URL: the
cookie carries a random id, the database row carries the answers, and the row expires after
an idle hour.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import flash, g, session
from flask_babel import gettext as _
from sqlalchemy import delete

from clinicfinder.core.domain import Treatment
from clinicfinder.core.i18n import KM_PER_MILE
from clinicfinder.core.matching.engine import SearchQuery
from clinicfinder.core.matching.money import Money
from clinicfinder.core.matching.ordering import DEFAULT_ORDER
from clinicfinder.core.place_defaults import defaults_for
from clinicfinder.db import erasure
from clinicfinder.db.models import JourneyAnswers
from clinicfinder.extensions import db

SESSION_KEY = "journey"
IDLE_LIFETIME = timedelta(hours=1)
REFRESH_AFTER = timedelta(minutes=1)  # unchanged answers restart the idle hour at most this often


def _now() -> datetime:
    return datetime.now(UTC)


def _row() -> JourneyAnswers | None:
    journey_id = session.get(SESSION_KEY)
    if not isinstance(journey_id, str):
        return None
    row = db.session.get(JourneyAnswers, journey_id)
    # The session's identity map holds rows weakly: keeping this one for the request saves a second
    # query when a view and its template helper both load the answers.
    g.journey_row = row
    if row is None or row.expires_at < _now():
        return None
    return row


def load() -> dict[str, Any]:
    row = _row()
    if row is None and isinstance(session.get(SESSION_KEY), str):
        # The cookie still points at answers that have expired (or been purged): say so once.
        session.pop(SESSION_KEY)
        flash(_("Your answers were erased after an hour without activity. Please answer again."), "error")
    return dict(row.answers) if row is not None else {}


def update(**changes: Any) -> dict[str, Any]:
    """Merge `changes` into the stored answers (None removes a key) and return them."""
    row, new = _row(), False
    if row is None:
        row, new = JourneyAnswers(id=secrets.token_urlsafe(32), answers={}), True
        db.session.add(row)
        session[SESSION_KEY] = row.id
    answers = dict(row.answers)
    for key, value in changes.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    now = _now()
    # The same answers again (a step posted twice, Back then Continue) with the idle hour restarted
    # under REFRESH_AFTER ago: no write. A write is a disk sync on SQLite; the hour ends at most
    # REFRESH_AFTER sooner, never later.
    if new or answers != row.answers or row.expires_at < now + IDLE_LIFETIME - REFRESH_AFTER:
        row.answers = answers
        row.expires_at = now + IDLE_LIFETIME
    db.session.commit()  # nothing written: ends the read transaction, as before
    return answers


def forget() -> None:
    journey_id = session.pop(SESSION_KEY, None)
    if isinstance(journey_id, str):  # expired or not: erase now, not at the next purge
        db.session.execute(delete(JourneyAnswers).where(JourneyAnswers.id == journey_id))
        db.session.commit()
        erasure.checkpoint(db.session)  # "Start again" erases from the disk too


def purge_expired() -> int:
    """Delete every answer set whose idle time ran out; returns how many."""
    result = db.session.execute(delete(JourneyAnswers).where(JourneyAnswers.expires_at < _now()))
    db.session.commit()
    erasure.scrub(db.session, ("journey_answers",))
    return int(getattr(result, "rowcount", 0) or 0)


def settle_place(place: dict[str, Any], language: str, covered: tuple[str, ...]) -> str:
    """Keep the patient's place; returns the next step's name.

    The distance unit follows the place unless the patient chose one. A place in a country the
    directory has no clinics in stops at the where step, which says so ("coverage_notice") before
    any other question; the patient may then search the directory anyway.
    """
    choice = load().get("unit_choice")
    unit = choice if choice in ("km", "mi") else defaults_for(place.get("country"), language).unit
    outside = bool(place.get("country")) and place.get("country") not in covered
    update(place=place, unit=unit, candidates=None, coverage_notice=True if outside else None)
    return "where" if outside else "treatment"


def default_currency(answers: dict[str, Any], language: str) -> str:
    """The budget step's currency before the patient picks one: the place's own."""
    return str(answers.get("currency") or defaults_for(answers.get("place", {}).get("country"), language).currency)


def first_missing_step(answers: dict[str, Any]) -> str | None:
    if "place" not in answers or answers.get("coverage_notice"):
        return "where"
    if "treatment" not in answers:
        return "treatment"
    if "currency" not in answers:
        return "budget"
    return None


def _km_per_unit(answers: dict[str, Any]) -> float:
    return KM_PER_MILE if answers.get("unit") == "mi" else 1.0


def radius_km(answers: dict[str, Any]) -> float | None:
    radius = answers.get("radius", "50")
    if radius == "anywhere":
        return None
    return float(radius) * _km_per_unit(answers)


def radius_in_unit(kilometres: float, answers: dict[str, Any]) -> str:
    """A radius in km as the answers store it: whole units of the patient's own unit."""
    return str(round(kilometres / _km_per_unit(answers)))


PAGE_SIZE = 20


def search_query(answers: dict[str, Any], language: str, page: int = 1) -> SearchQuery:
    place = answers["place"]
    budget = answers.get("budget")
    currency = answers["currency"]
    return SearchQuery(
        latitude=place["latitude"],
        longitude=place["longitude"],
        radius_km=radius_km(answers),
        treatment=Treatment(answers["treatment"]),
        budget=None if budget is None else Money(Decimal(budget), currency),
        currency=currency,
        include_unpriced=answers.get("include_unpriced", True),
        language=language,
        distance_unit=answers.get("unit", "km"),
        age_band=answers.get("age_band"),
        order=answers.get("order", DEFAULT_ORDER),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
