"""The local SMTP server on loopback that the delivery and fault tests count messages in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.support.mail import Mailsink


@pytest.fixture
def smtp(seeded_app: Flask, tmp_path: Path) -> Iterator[Mailsink]:
    """Listening on the app's MAIL_PORT for the whole test; a test may stop and start it as a relay fails."""
    sink = Mailsink(tmp_path / "maildir", seeded_app.config["MAIL_PORT"])
    sink.start()
    yield sink
    sink.stop()
