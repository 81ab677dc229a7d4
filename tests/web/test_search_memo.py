"""The worker's memo of clinics' facts never outlives the revision of the directory it was read from."""

from __future__ import annotations

import threading

from flask import Flask

from clinicfinder.db.models import Clinic
from clinicfinder.extensions import db
from clinicfinder.services.search import Services
from tests.support.index import PATIENCE, SEARCH, search_in_background


def search_names(app: Flask) -> dict[str, str]:
    response = app.test_client().get(SEARCH)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {result["clinic"]["id"]: result["clinic"]["name"] for result in response.get_json()["results"]}


def test_a_changed_fact_shows_in_the_next_search_even_while_the_index_rebuilds(seeded_app: Flask) -> None:
    services: Services = seeded_app.extensions["services"]
    before = search_names(seeded_app)
    assert search_names(seeded_app) == before  # now from the memo
    renamed = next(iter(before))
    started, release = threading.Event(), threading.Event()

    def slow_rebuild() -> None:
        started.set()
        release.wait(PATIENCE)

    services.before_index_build = slow_rebuild
    with seeded_app.app_context():
        clinic = db.session.get(Clinic, renamed)
        assert clinic is not None
        clinic.name = "Renamed Fertility Center"
        db.session.commit()
    try:
        during = search_in_background(seeded_app)
        assert started.wait(PATIENCE), "the change started no rebuild"
        assert list(during["ids"]) == list(before)  # the old index still orders the page
        assert search_names(seeded_app)[renamed] == "Renamed Fertility Center"  # but the facts are the new ones
    finally:
        release.set()
    assert services.wait_for_index(PATIENCE)
    assert search_names(seeded_app)[renamed] == "Renamed Fertility Center"


def test_a_newer_revision_replaces_the_memo_and_an_older_one_gets_its_own(seeded_app: Flask) -> None:
    services: Services = seeded_app.extensions["services"]
    current = services.memo(5)
    assert services.memo(5) is current
    stale = services.memo(4)
    assert stale is not current and stale.revision == 4
    assert services.memo(5) is current  # the request still reading revision 4 did not displace it
    newer = services.memo(6)
    assert newer is not current and services.memo(6) is newer
