"""An emailed report's messages read back in a test: their parts, attachments and links, and the confirmation."""

from __future__ import annotations

import re
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from tests.support.journey import TOKEN


def part_of_type(message: Message, content_type: str) -> str:
    """The decoded body of the message's first part of `content_type`."""
    for part in message.walk():
        if part.get_content_type() == content_type:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError(f"no {content_type} part")


def text_part(message: Message) -> str:
    return part_of_type(message, "text/plain")


def html_part(message: Message) -> str:
    return part_of_type(message, "text/html")


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
