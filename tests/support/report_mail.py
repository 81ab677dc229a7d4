"""An emailed report's path in a test: the worker's jobs run in this thread, and the messages read back."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from clinicfinder.extensions import queue
from tests.support.journey import TOKEN


def run_jobs(app: Flask) -> None:
    """What the worker does: every queued job, and any retry waiting in Huey's schedule."""
    huey = queue.huey
    for _ in range(50):
        task = huey.dequeue()
        if task is None:
            for later in huey.read_schedule(datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=2)):
                time.sleep(max(0.0, (later.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds()) + 0.05)
                later.eta = None
                huey.enqueue(later)
            task = huey.dequeue()
            if task is None:
                return
        huey.execute(task)
    raise AssertionError("the queue never emptied")


def text_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("no text part")


def pdf_attachments(message: Message) -> list[tuple[str, bytes]]:
    found = []
    for part in message.walk():
        if part.get_content_type() == "application/pdf":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found.append((part.get_filename() or "", payload))
    return found


def link(message: Message, path: str) -> str:
    found = re.search(rf"https?://\S+{re.escape(path)}\?t=\S+", text_part(message))
    assert found, text_part(message)
    url = urlsplit(found.group(0))
    return f"{url.path}?{url.query}"


def confirm(client: FlaskClient, message: Message) -> Any:
    """Follow the confirmation email's link and press its button, as the patient does."""
    page = client.get(link(message, "/report/confirm")).get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', page)
    csrf = TOKEN.search(page)
    assert token and csrf
    return client.post("/report/confirm", data={"csrf_token": csrf.group(1), "token": token.group(1)})
