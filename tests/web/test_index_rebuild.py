"""A change to the directory never stalls a search: the old index serves until the new one is built."""

from __future__ import annotations

import threading

from flask import Flask

from clinicfinder.db.models import Clinic
from clinicfinder.extensions import db
from clinicfinder.services.search import Services
from tests.support.index import PATIENCE, search_ids, search_in_background


def test_a_directory_change_does_not_block_a_search_and_the_new_index_serves_once_built(seeded_app: Flask) -> None:
    services: Services = seeded_app.extensions["services"]
    before = search_ids(seeded_app)  # builds the first index
    moved = before[0]

    started, release = threading.Event(), threading.Event()
    builds: list[int] = []

    def slow_rebuild() -> None:
        builds.append(1)
        started.set()
        release.wait(PATIENCE)

    services.before_index_build = slow_rebuild
    with seeded_app.app_context():
        clinic = db.session.get(Clinic, moved)
        assert clinic is not None
        clinic.latitude, clinic.longitude = 47.61, -122.33  # to Seattle: out of a 25 km search from Chicago
        db.session.commit()

    try:
        during = search_in_background(seeded_app)
        assert started.wait(PATIENCE), "the change started no rebuild"
        # The previous index answers, unchanged, while the rebuild is held open.
        assert during["ids"] == before
        again = search_in_background(seeded_app)
        assert again["ids"] == before
        assert len(builds) == 1, "a second rebuild started while one was running"
    finally:
        release.set()
    assert services.wait_for_index(PATIENCE)

    after = search_ids(seeded_app)
    assert moved not in after
    assert after[: len(before) - 1] == [clinic_id for clinic_id in before if clinic_id != moved]
    assert len(builds) == 1
