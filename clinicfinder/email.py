"""Every email the app sends, built one way: `templates/email/<name>_subject.txt`, `.txt` and `.html`.

Rendered through the shared template environment in the recipient's language, so the web
request and the worker (which has no request) make the same message. Links in emails are
absolute on PUBLIC_URL: the worker has no request, and a request's Host header can lie.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app
from flask_mail import Attachment, Message

from clinicfinder.core import templating
from clinicfinder.extensions import mail


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute address of `endpoint` for an email; extra values become the query string."""
    adapter = current_app.url_map.bind("", script_name="/")
    return f"{current_app.config['PUBLIC_URL']}{adapter.build(endpoint, values)}"


def compose(name: str, to: str, language: str, attachments: Sequence[Attachment] = (), **context: Any) -> Message:
    def part(suffix: str) -> str:
        return templating.render(language, f"email/{name}{suffix}", **context)

    return Message(
        subject=" ".join(part("_subject.txt").split()),
        recipients=[to],
        body=part(".txt"),
        html=part(".html"),
        attachments=list(attachments),
    )


def send_email(name: str, to: str, language: str, attachments: Sequence[Attachment] = (), **context: Any) -> None:
    """Compose and send now; SMTP errors reach the caller, which knows whether to retry."""
    mail.send(compose(name, to, language, attachments, **context))
