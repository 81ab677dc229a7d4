"""What a failed delivery attempt was, for the report's record and the next try: never the error's text."""

from __future__ import annotations

import errno
import smtplib
from datetime import timedelta

# Backoff between attempts: 30 s, 1 min, 2 min … capped at an hour.
BACKOFF_CAP = timedelta(hours=1)


def is_permanent(error: BaseException) -> bool:
    """A 5xx answer won't change on retry (unknown mailbox, message refused): give up at once."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def retry_delay(attempts: int, base_seconds: float) -> timedelta:
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def describe_error(error: BaseException) -> str:
    """The error's kind and SMTP code: never its text, which can quote the recipient's address."""
    code = getattr(error, "smtp_code", None)
    if type(error) is OSError and error.errno:  # a bare OSError says nothing without its errno (ENOSPC…)
        return f"OSError {errno.errorcode.get(error.errno, error.errno)}"
    return type(error).__name__ + (f" {code}" if code else "")
