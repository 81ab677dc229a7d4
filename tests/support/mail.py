"""The app's local SMTP server as a test controls it: stopped and started again like a real relay."""

from __future__ import annotations

import mailbox
import time
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller

from clinicfinder import mailsink


class Mailsink:
    """The app's local SMTP server, which a test can stop and start again like a real relay."""

    def __init__(self, maildir: Path, port: int) -> None:
        self.maildir, self.port = maildir, port
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = mailsink.start(self.maildir, port=self.port)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[Message]:
        return sorted(mailbox.Maildir(self.maildir, create=False), key=lambda m: m["Date"] or "")

    def wait_for(self, count: int, timeout: float = 30) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages()
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"expected {count} message(s), got {len(self.messages())}")
