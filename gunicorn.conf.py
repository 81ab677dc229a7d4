"""gunicorn settings for ClinicFinder: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value comes from the environment so one file serves every host. The access log never
includes the query string: it can hold a patient's answers (the app strips it from Werkzeug's
log for the same reason).
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import sys
from typing import Any

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
# Pages spend their time in Python (matching, templates): processes, not threads, use the cores.
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# The PDF download renders in the request (about a second here); anything past this is stuck.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak in a dependency never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Build the app once in the master: workers fork from it, and a bad setting fails before any fork.
preload_app = True

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# %(U)s is the path without the query string; never %(r)s, %(q)s or %(f)s (the referrer holds it too).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# Behind a proxy on the same host: trust its X-Forwarded-* headers only from loopback.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# Modules `import wsgi` leaves to the first request that needs them, so that a command or a test starts
# quickly; a web server will need them, so its master imports them once and every worker shares them.
# The API's are half a second (pydantic models and the OpenAPI document's schemas).
SERVED_LATER = ("clinicfinder.web.api.endpoints", "clinicfinder.web.api.openapi")


def when_ready(server: object) -> None:
    """In the master, once the app is loaded and before any worker forks: build the search index, load
    the geocoder and import what the API's first request would, so that no request waits for them and
    the workers share them."""
    if _clinicfinder_app() is None:
        return
    for module in SERVED_LATER:
        importlib.import_module(module)
    _prepare_for_workers()


def pre_fork(server: object, worker: object) -> None:
    """In the master, before each worker it forks, also one that replaces a recycled worker
    (max_requests): bring the index up to the directory as it is now, so the worker starts current.
    Only a patch (a tenth of a second): while it builds, the master looks after no worker, so a change
    that needs a full build (seconds at 100,000 clinics) is left to the new worker's background rebuild."""
    _prepare_for_workers(full_rebuild=False)


def _clinicfinder_app() -> Any:
    """The app `wsgi` built, or None when this configuration serves another app (benchmarks/bare_app.py,
    the load test's baseline): importing wsgi here would build all of ClinicFinder in each of its workers,
    and its threads held up shutdown."""
    wsgi = sys.modules.get("wsgi")
    return None if wsgi is None else wsgi.app


def _prepare_for_workers(*, full_rebuild: bool = True) -> None:
    app = _clinicfinder_app()
    if app is None:
        return
    from clinicfinder.extensions import db
    from clinicfinder.services.search import Services

    services: Services = app.extensions["services"]
    try:
        services.prepare(full_rebuild=full_rebuild)
    except Exception:  # e.g. a database not migrated yet: the workers' first searches build it, as without this
        logging.getLogger("gunicorn.error").exception("the search index could not be built before the workers start")
    with app.app_context():
        db.engine.dispose()  # the master serves nothing: its connection must not live on in every worker


def post_fork(server: object, worker: object) -> None:
    """Connections must not be shared across fork: each worker opens its own pool."""
    app = _clinicfinder_app()
    if app is None:
        return
    from clinicfinder.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
