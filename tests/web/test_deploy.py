"""The deployment files: gunicorn serves the app as configured, and its access log keeps no answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.instances import free_port
from tests.support.paths import PROJECT_ROOT


def test_gunicorn_serves_the_app_and_its_access_log_never_holds_the_query_string(
    app, environment: dict[str, str], tmp_path: Path
) -> None:
    port, access_log = free_port(), tmp_path / "access.log"
    settings = {"GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "GUNICORN_ACCESS_LOG": str(access_log)}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment, **settings},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/find/where?location=Azoospermia+Street&budget=15000"
        page = None
        deadline = time.monotonic() + 30
        while page is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    page = response.read().decode()
            except OSError:
                time.sleep(0.2)
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert page is not None and "Where" in page, errors
    logged = access_log.read_text()
    assert '"GET /find/where HTTP/1.1" 200' in logged
    assert "Azoospermia" not in logged and "15000" not in logged
