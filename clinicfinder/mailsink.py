"""The local SMTP server for development and tests: accepts every message, keeps it in a Maildir.

`python -m clinicfinder.mailsink --maildir instance/maildir --port 8025` — open the
Maildir's `new/` folder (or point a mail client at it) to read what the app "sent".
"""

from __future__ import annotations

import argparse
import logging
import mailbox
import signal
import threading
from collections.abc import Sequence
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


def start(maildir: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    # aiosmtpd logs every envelope recipient at INFO/DEBUG: a patient's address has no place in a log.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    # mailbox.Maildir creates cur/ new/ tmp/ only when it creates the folder itself.
    maildir.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(maildir, create=True)
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(exist_ok=True)
    controller = Controller(Mailbox(maildir), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--maildir", type=Path, default=Path("instance/maildir"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args(argv)
    controller = start(args.maildir, args.host, args.port)
    print(f"mailsink: SMTP on {args.host}:{args.port}, mail kept in {args.maildir.resolve()}", flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
