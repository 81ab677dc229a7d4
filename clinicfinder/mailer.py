"""Flask-Mail with the two things it leaves out: a verified TLS certificate and a timeout.

Flask-Mail 0.10 calls `smtplib.SMTP(host, port)` and `starttls()` with no SSL context and no
timeout: it would hand a health report to any server presenting any certificate, and a
relay that stops answering would hold a worker thread forever. `SecureMail` keeps
Flask-Mail's API (`mail.send(message)`) and opens connections with the system's trust store
(or MAIL_CA_FILE), hostname checking, and MAIL_TIMEOUT seconds for every socket operation.
"""

from __future__ import annotations

import smtplib
import ssl
from typing import Any

from flask import Flask, current_app
from flask_mail import Connection, Mail


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    # create_default_context verifies the certificate chain and the host name.
    return ssl.create_default_context(cafile=ca_file or None)


class VerifiedConnection(Connection):
    def __exit__(self, *exc_info: object) -> None:
        # Flask-Mail ends with QUIT and lets its failure escape; by then the message was accepted,
        # and raising would make the caller send it again.
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()
            self.host = None

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        config = current_app.config
        timeout = float(config["MAIL_TIMEOUT"])
        state = self.mail
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if state.use_ssl:
            context = tls_context(config.get("MAIL_CA_FILE"))
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=timeout, context=context)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=timeout)
        try:
            host.set_debuglevel(int(state.debug))
            if state.use_tls:
                host.starttls(context=tls_context(config.get("MAIL_CA_FILE")))
            if state.username and state.password:
                host.login(state.username, state.password)
        except BaseException:
            host.close()
            raise
        return host


class SecureMail(Mail):
    def init_app(self, app: Flask) -> Any:
        state = super().init_app(app)
        app.config.setdefault("MAIL_TIMEOUT", 10.0)
        return state

    def connect(self) -> VerifiedConnection:
        return VerifiedConnection(current_app.extensions["mail"])
