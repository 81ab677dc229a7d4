"""How the browser tests start Debian's Chromium (installed by `make test`, never downloaded), and the app.

No Playwright here: scripts/screenshots.py uses these too. The `browser` fixture itself lives in
tests/browser/conftest.py, so every browser test module shares it.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root in a sandboxed CI, without the network-chatty background services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a free loopback port, in a thread, for as long as the block runs; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
