"""Typed settings read from the environment, with embedded defaults for one machine.

`Settings.from_env()` is the only place that reads environment variables. Everything
has a working default (SQLite under `instance/`, a SQLite job queue, `reports/`, a local
SMTP server on port 8025) except `SECRET_KEY` in production, which must be given.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from clinicfinder.core.paths import PROJECT_ROOT

INSTANCE_DIR = PROJECT_ROOT / "instance"

ENVIRONMENTS = ("development", "testing", "production")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
POSTGRES_CONNECT_TIMEOUT = 10  # seconds


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable and says why."""


@dataclass(frozen=True)
class Settings:
    app_env: str
    secret_key: str
    database_url: str
    queue_url: str
    reports_dir: Path
    # /healthz says "unavailable" when REPORTS_DIR has less free space than this (a PDF is well under 1 MB).
    reports_min_free_mb: int
    report_retention_days: int
    # Emailed reports: double opt-in, how long the confirmation link lives, retries, abuse limits.
    report_double_opt_in: bool
    report_confirm_hours: int
    report_max_attempts: int
    report_retry_seconds: float
    # A worker renews its claim on a report every third of this while it works; a claim not renewed
    # for this long means the worker died, and the report goes to another (services/leases.py).
    report_lease_seconds: float
    report_limit_per_address: int
    report_limit_per_ip: str
    # PDFs are made in this many child processes per web or worker process (0: in the process itself),
    # each replaced after RENDER_TASKS_PER_CHILD reports so memory stays flat. A child costs ~1.7 s of CPU
    # to start (~0.8 s of imports, ~0.85 s more for its first report, which lays out the shared pages) and
    # grew ~0.016 MB a report over 500 standard reports (benchmarks/RESULTS.md): at 50 a child's start was
    # ~0.03 s of every report's CPU, at 500 ~0.003 s.
    render_processes: int
    render_tasks_per_child: int
    # Admin side: where uploaded clinics.csv files wait between preview and commit; session timeouts.
    admin_uploads_dir: Path
    admin_idle_minutes: int
    admin_absolute_hours: int
    login_rate_limit: str
    # How many reverse proxies in front of the app add X-Forwarded-For/-Proto (0: none, trust no header).
    # Rate limits and session protection need the client's address, not the proxy's.
    trusted_proxy_hops: int
    mail_server: str
    # True when MAIL_SERVER is not set: `make run` then starts the local SMTP server itself.
    local_mail_server: bool
    mail_port: int
    mail_use_tls: bool
    mail_use_ssl: bool
    mail_username: str | None
    mail_password: str | None
    mail_default_sender: str
    mail_timeout_seconds: float
    # /healthz remembers a failed check for this long only (a passing SMTP check: 30 s), so it turns
    # healthy within seconds of the part recovering.
    health_retry_seconds: float
    # A CA bundle to trust instead of the system's (a private relay's own CA; the TLS tests).
    mail_ca_file: str | None
    maildir: Path
    ratelimit_storage_uri: str
    port: int
    public_url: str
    max_import_bytes: int
    # The gates (criteria.QualityPolicy): the minimum cycles a year, and an optional limit on the age of
    # a clinic's newest CDC results (off unless set: CDC's data is years old by design; its year is shown).
    min_cycles_per_year: int
    max_outcome_age_years: int | None
    # "offline" (the bundled GeoNames gazetteer) or "nominatim" (online, through geopy).
    geocoder: str
    geocoder_user_agent: str

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `environ`; by default the process environment over `.env`."""
        env = _process_environment() if environ is None else dict(environ)
        reader = _Reader(env)
        app_env = reader.choice("APP_ENV", ENVIRONMENTS, "development")
        instance_dir = Path(env.get("INSTANCE_DIR") or INSTANCE_DIR)
        port = reader.integer("PORT", 5000, minimum=1, maximum=65535)
        settings = cls(
            app_env=app_env,
            secret_key=_secret_key(env.get("SECRET_KEY", ""), app_env, instance_dir),
            database_url=reader.url(
                "DATABASE_URL",
                f"sqlite:///{instance_dir / 'clinicfinder.db'}",
                ("sqlite", "postgresql"),
            ),
            queue_url=reader.url("QUEUE_URL", f"sqlite:///{instance_dir / 'queue.db'}", ("sqlite", "redis")),
            reports_dir=Path(env.get("REPORTS_DIR") or PROJECT_ROOT / "reports"),
            reports_min_free_mb=reader.integer("REPORTS_MIN_FREE_MB", 50, minimum=0),
            report_retention_days=reader.integer("REPORT_RETENTION_DAYS", 7, minimum=1, maximum=365),
            report_double_opt_in=reader.boolean("REPORT_DOUBLE_OPT_IN", True),
            report_confirm_hours=reader.integer("REPORT_CONFIRM_HOURS", 24, minimum=1, maximum=24 * 7),
            report_max_attempts=reader.integer("REPORT_MAX_ATTEMPTS", 10, minimum=1, maximum=100),
            report_retry_seconds=reader.number("REPORT_RETRY_SECONDS", 30.0, minimum=0.1),
            report_lease_seconds=reader.number("REPORT_LEASE_SECONDS", 30.0, minimum=1.0),
            report_limit_per_address=reader.integer("REPORT_LIMIT_PER_ADDRESS", 3, minimum=1, maximum=1000),
            report_limit_per_ip=env.get("REPORT_LIMIT_PER_IP") or "20 per hour",
            render_processes=reader.integer("RENDER_PROCESSES", 2, minimum=0, maximum=64),
            render_tasks_per_child=reader.integer("RENDER_TASKS_PER_CHILD", 500, minimum=1, maximum=100_000),
            admin_uploads_dir=Path(env.get("ADMIN_UPLOADS_DIR") or instance_dir / "uploads"),
            admin_idle_minutes=reader.integer("ADMIN_IDLE_MINUTES", 30, minimum=1, maximum=24 * 60),
            admin_absolute_hours=reader.integer("ADMIN_ABSOLUTE_HOURS", 8, minimum=1, maximum=24 * 7),
            login_rate_limit=env.get("LOGIN_RATE_LIMIT") or "20 per minute;200 per day",
            trusted_proxy_hops=reader.integer("TRUSTED_PROXY_HOPS", 0, minimum=0, maximum=5),
            mail_server=env.get("MAIL_SERVER") or "127.0.0.1",
            local_mail_server=not env.get("MAIL_SERVER"),
            mail_port=reader.integer("MAIL_PORT", 8025, minimum=1, maximum=65535),
            mail_use_tls=reader.boolean("MAIL_USE_TLS", False),
            mail_use_ssl=reader.boolean("MAIL_USE_SSL", False),
            mail_username=env.get("MAIL_USERNAME") or None,
            mail_password=env.get("MAIL_PASSWORD") or None,
            mail_default_sender=env.get("MAIL_DEFAULT_SENDER") or "ClinicFinder <reports@clinicfinder.localhost>",
            mail_timeout_seconds=reader.number("MAIL_TIMEOUT", 10.0, minimum=0.1),
            health_retry_seconds=reader.number("HEALTH_RETRY_SECONDS", 3.0, minimum=0.0),
            mail_ca_file=env.get("MAIL_CA_FILE") or None,
            maildir=Path(env.get("MAILDIR") or instance_dir / "maildir"),
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI") or "memory://",
            port=port,
            public_url=(env.get("PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
            max_import_bytes=reader.integer("MAX_IMPORT_BYTES", 5 * 1024 * 1024, minimum=1024),
            min_cycles_per_year=reader.integer("MIN_CYCLES_PER_YEAR", 100, minimum=0, maximum=100_000),
            max_outcome_age_years=reader.integer("MAX_OUTCOME_AGE_YEARS", 0, minimum=0, maximum=100) or None,
            geocoder=reader.choice("GEOCODER", ("offline", "nominatim"), "offline"),
            geocoder_user_agent=env.get("GEOCODER_USER_AGENT") or "ClinicFinder",
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Rules between settings, and what production must not run without."""
        if self.report_confirm_hours > self.report_retention_days * 24:
            raise ConfigError(
                f"REPORT_CONFIRM_HOURS ({self.report_confirm_hours}) is longer than REPORT_RETENTION_DAYS "
                f"({self.report_retention_days} days): requests would be deleted before they could be confirmed."
            )
        if not self.is_production:
            return
        if not _is_loopback(self.mail_server) and not (self.mail_use_tls or self.mail_use_ssl):
            raise ConfigError(
                f"MAIL_SERVER is {self.mail_server} but neither MAIL_USE_TLS nor MAIL_USE_SSL is on. Reports "
                "carry health information: in production they travel to a relay only over verified TLS."
            )
        public = urlsplit(self.public_url)
        if public.scheme != "https" and not _is_loopback(public.hostname or ""):
            raise ConfigError(
                f"PUBLIC_URL is {self.public_url}: in production the links in emails must be https:// "
                "addresses that reach this site."
            )

    def _driver_options(self) -> dict[str, Any]:
        # A PostgreSQL host that stops answering (not one that refuses) would hold a connection attempt
        # for minutes: a request waits that long for its 503, and gunicorn's master, which reads the
        # directory's revision before each fork, could not look after its workers meanwhile.
        if self.database_url.startswith("postgresql"):
            return {"connect_args": {"connect_timeout": POSTGRES_CONNECT_TIMEOUT}}
        return {}

    def flask_config(self) -> dict[str, Any]:
        """The settings under the keys Flask and its extensions read."""
        return {
            "APP_ENV": self.app_env,
            "TESTING": self.app_env == "testing",
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            # A failed statement's message would otherwise quote its values: addresses and answers.
            "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, **self._driver_options()},
            "QUEUE_URL": self.queue_url,
            "REPORTS_DIR": str(self.reports_dir),
            "REPORTS_MIN_FREE_MB": self.reports_min_free_mb,
            "REPORT_RETENTION_DAYS": self.report_retention_days,
            "REPORT_DOUBLE_OPT_IN": self.report_double_opt_in,
            "REPORT_CONFIRM_HOURS": self.report_confirm_hours,
            "REPORT_MAX_ATTEMPTS": self.report_max_attempts,
            "REPORT_RETRY_SECONDS": self.report_retry_seconds,
            "REPORT_LEASE_SECONDS": self.report_lease_seconds,
            "REPORT_LIMIT_PER_ADDRESS": self.report_limit_per_address,
            "REPORT_LIMIT_PER_IP": self.report_limit_per_ip,
            "RENDER_PROCESSES": self.render_processes,
            "RENDER_TASKS_PER_CHILD": self.render_tasks_per_child,
            "ADMIN_UPLOADS_DIR": str(self.admin_uploads_dir),
            "ADMIN_IDLE_MINUTES": self.admin_idle_minutes,
            "ADMIN_ABSOLUTE_HOURS": self.admin_absolute_hours,
            "LOGIN_RATE_LIMIT": self.login_rate_limit,
            "MAIL_SERVER": self.mail_server,
            "MAIL_PORT": self.mail_port,
            "MAIL_USE_TLS": self.mail_use_tls,
            "MAIL_USE_SSL": self.mail_use_ssl,
            "MAIL_USERNAME": self.mail_username,
            "MAIL_PASSWORD": self.mail_password,
            "MAIL_DEFAULT_SENDER": self.mail_default_sender,
            "MAIL_TIMEOUT": self.mail_timeout_seconds,
            "HEALTH_RETRY_SECONDS": self.health_retry_seconds,
            "MAIL_CA_FILE": self.mail_ca_file,
            # Flask-Mail would silently drop mail under TESTING; our tests talk to a real SMTP server.
            "MAIL_SUPPRESS_SEND": False,
            "MAILDIR": str(self.maildir),
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "PUBLIC_URL": self.public_url,
            "MAX_CONTENT_LENGTH": self.max_import_bytes,
            "MIN_CYCLES_PER_YEAR": self.min_cycles_per_year,
            "MAX_OUTCOME_AGE_YEARS": self.max_outcome_age_years,
            "GEOCODER": self.geocoder,
            "GEOCODER_USER_AGENT": self.geocoder_user_agent,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.is_production,
        }


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")


def _process_environment() -> dict[str, str]:
    dotenv_file = Path.cwd() / ".env"
    from_file = {k: v for k, v in dotenv_values(dotenv_file).items() if v is not None} if dotenv_file.is_file() else {}
    return {**from_file, **os.environ}


def _secret_key(given: str, app_env: str, instance_dir: Path) -> str:
    if given:
        return given
    if app_env == "production":
        raise ConfigError(
            "SECRET_KEY is not set. In production it signs sessions and the links in emails, "
            "so it must be a long random value shared by every web and worker process: "
            "set SECRET_KEY in the environment (see .env.example)."
        )
    if app_env == "testing":
        return secrets.token_hex(32)
    # Development: the web server and the worker must agree on one key, so keep it on disk.
    key_file = instance_dir / "secret_key"
    if not key_file.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class _Reader:
    """Parses one variable at a time and names it in every error."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def _raw(self, name: str) -> str | None:
        value = self._env.get(name)
        return None if value is None or value.strip() == "" else value.strip()

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {value}.")
        return value

    def number(self, name: str, default: float, *, minimum: float) -> float:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}.") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}.")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._env.get(name)
        if raw is None:
            return default
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}.")

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}.")
        return raw

    def url(self, name: str, default: str, schemes: tuple[str, ...]) -> str:
        raw = self._raw(name) or default
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        # "postgresql+psycopg" names a dialect and its driver: the dialect is what must match.
        if scheme.split("+", 1)[0] not in schemes:
            raise ConfigError(f"{name} must start with {' or '.join(s + '://' for s in schemes)}, got {raw!r}.")
        return raw


def main() -> int:
    """Check the configuration and print what `scripts/run.sh` needs (the port, and whether to run a mail server)."""
    import sys

    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    print(f"PORT={settings.port}")
    print(f"LOCAL_MAIL={1 if settings.local_mail_server else 0}")
    print(f"MAIL_PORT={settings.mail_port}")
    return 0
