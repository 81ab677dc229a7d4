"""A change to the directory never stalls a search: the old index serves until the new one is built."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
import types

import pytest
from flask import Flask
from sqlalchemy.pool import QueuePool

from clinicfinder.db.models import Clinic
from clinicfinder.extensions import db
from clinicfinder.services import search as search_service
from clinicfinder.services.search import Services
from tests.support.index import PATIENCE, search_ids, search_in_background
from tests.support.paths import PROJECT_ROOT


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
    move_to_seattle(seeded_app, moved)

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


def test_gunicorns_master_builds_the_index_before_its_workers_fork_so_no_first_search_waits(
    seeded_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    services: Services = seeded_app.extensions["services"]
    builds: list[int] = []
    services.before_index_build = lambda: builds.append(1)
    settings = _gunicorn_settings(seeded_app, monkeypatch)

    settings.when_ready(object())
    assert builds == [1], "the master built no index before forking"
    with seeded_app.app_context():
        pool = db.engine.pool
        assert isinstance(pool, QueuePool) and pool.checkedout() == 0  # no connection of the master's in a worker

    search_ids(seeded_app)  # a worker's first search: served from the index it was forked with
    assert builds == [1]
    settings.pre_fork(object(), object())  # the next worker, the directory unchanged: nothing to build
    assert builds == [1]

    # Days later a worker is recycled; the directory has changed meanwhile. The master brings the index
    # up to date before it forks the replacement, which then serves the change from its first search.
    before = search_ids(seeded_app)
    move_to_seattle(seeded_app, before[0])
    settings.pre_fork(object(), object())
    assert builds == [1, 1], "the master forked a worker with an index older than the directory"
    assert before[0] not in search_ids(seeded_app)
    assert builds == [1, 1]  # that first search built nothing


def test_before_a_later_fork_the_master_patches_but_leaves_a_full_rebuild_to_the_new_worker(
    seeded_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full build at 100,000 clinics takes seconds, during which gunicorn's master would look after no
    worker (reap, replace, time out): before a later fork it only patches."""
    services: Services = seeded_app.extensions["services"]
    settings = _gunicorn_settings(seeded_app, monkeypatch)
    builds: list[int] = []
    services.before_index_build = lambda: builds.append(1)
    settings.when_ready(object())  # start-up: the full build, before any worker
    before = search_ids(seeded_app)
    assert builds == [1]

    monkeypatch.setattr(search_service, "PATCH_LIMIT", 0)  # so that any change needs a full build
    move_to_seattle(seeded_app, before[0])
    settings.pre_fork(object(), object())
    assert builds == [1], "the master held up its workers for a full build"

    # The new worker: its first search is answered from the index it was forked with, and starts the
    # rebuild in its background; the next search after that one sees the change.
    assert search_in_background(seeded_app)["ids"] == before
    assert services.wait_for_index(PATIENCE) and builds == [1, 1]
    assert before[0] not in search_ids(seeded_app)


def test_gunicorns_master_imports_what_the_apis_first_request_would_so_its_workers_share_it(
    environment: dict[str, str],
) -> None:
    # A fresh interpreter: an earlier test may already have imported the API's modules into this one.
    code = (
        "import importlib.util, json, sys, wsgi\n"
        "spec = importlib.util.spec_from_file_location('gunicorn_settings', 'gunicorn.conf.py')\n"
        "settings = importlib.util.module_from_spec(spec); spec.loader.exec_module(settings)\n"
        "before = [m for m in settings.SERVED_LATER if m in sys.modules]\n"
        "settings.when_ready(object())\n"
        "print(json.dumps([before, [m for m in settings.SERVED_LATER if m in sys.modules]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT, env={**environment, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    before, after = json.loads(done.stdout.splitlines()[-1])
    assert before == [], "import wsgi already loads them: the master has nothing to share"
    assert after == ["clinicfinder.web.api.endpoints", "clinicfinder.web.api.openapi"]


def _gunicorn_settings(app: Flask, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """gunicorn.conf.py as gunicorn loads it, serving `app` as `wsgi:app`."""
    monkeypatch.setitem(sys.modules, "wsgi", types.SimpleNamespace(app=app))
    spec = importlib.util.spec_from_file_location("gunicorn_settings", PROJECT_ROOT / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    settings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings)
    return settings


def move_to_seattle(app: Flask, clinic_id: str) -> None:
    """Out of a 25 km search from Chicago: a directory change the next index must show."""
    with app.app_context():
        clinic = db.session.get(Clinic, clinic_id)
        assert clinic is not None
        clinic.latitude, clinic.longitude = 47.61, -122.33
        db.session.commit()
