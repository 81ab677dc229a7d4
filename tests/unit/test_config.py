"""Configuration from the environment: defaults, `.env`, bad values, production rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clinicfinder.app import create_app
from clinicfinder.config import PROJECT_ROOT, ConfigError, Settings


def test_production_without_secret_key_refuses_to_start_and_says_why(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"SECRET_KEY is not set\. In production"):
        create_app({"APP_ENV": "production", "INSTANCE_DIR": str(tmp_path)})


def test_production_with_a_secret_key_starts_with_secure_cookies(tmp_path: Path) -> None:
    app = create_app({"APP_ENV": "production", "SECRET_KEY": "x" * 64, "INSTANCE_DIR": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "x" * 64
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["TESTING"] is False


def test_defaults_run_everything_on_one_machine(tmp_path: Path) -> None:
    settings = Settings.from_env({"INSTANCE_DIR": str(tmp_path)})
    assert settings.app_env == "development"
    assert settings.database_url == f"sqlite:///{tmp_path / 'clinicfinder.db'}"
    assert settings.queue_url == f"sqlite:///{tmp_path / 'queue.db'}"
    assert settings.reports_dir == PROJECT_ROOT / "reports"
    assert (settings.mail_server, settings.mail_port, settings.local_mail_server) == ("127.0.0.1", 8025, True)
    assert settings.public_url == "http://127.0.0.1:5000"


def test_public_url_follows_the_port_unless_given(tmp_path: Path) -> None:
    assert Settings.from_env({"INSTANCE_DIR": str(tmp_path), "PORT": "8123"}).public_url == "http://127.0.0.1:8123"
    given = Settings.from_env({"INSTANCE_DIR": str(tmp_path), "PUBLIC_URL": "https://clinicfinder.example/"})
    assert given.public_url == "https://clinicfinder.example"


def test_setting_mail_server_means_no_local_smtp_server(tmp_path: Path) -> None:
    settings = Settings.from_env({"INSTANCE_DIR": str(tmp_path), "MAIL_SERVER": "smtp.example.org", "MAIL_PORT": "587"})
    assert (settings.mail_server, settings.mail_port, settings.local_mail_server) == ("smtp.example.org", 587, False)


def test_development_secret_key_is_generated_once_and_shared_by_web_and_worker(tmp_path: Path) -> None:
    first = Settings.from_env({"INSTANCE_DIR": str(tmp_path)}).secret_key
    second = Settings.from_env({"INSTANCE_DIR": str(tmp_path)}).secret_key
    assert first == second
    assert len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAIL_PORT", "smtp", "MAIL_PORT must be a whole number, got 'smtp'"),
        ("PORT", "70000", "PORT must be between 1 and 65535, got 70000"),
        ("MAIL_USE_TLS", "maybe", "MAIL_USE_TLS must be true or false, got 'maybe'"),
        ("REPORT_RETENTION_DAYS", "-1", "REPORT_RETENTION_DAYS must be between 1 and 365, got -1"),
        ("REPORT_RETENTION_DAYS", "0", "REPORT_RETENTION_DAYS must be between 1 and 365, got 0"),
        ("APP_ENV", "staging", "APP_ENV must be one of development, testing, production, got 'staging'"),
        ("QUEUE_URL", "amqp://broker", "QUEUE_URL must start with sqlite:// or redis://, got 'amqp://broker'"),
        ("MAIL_TIMEOUT", "soon", "MAIL_TIMEOUT must be a number, got 'soon'"),
        ("DATABASE_URL", "nonsense", "DATABASE_URL must start with sqlite:// or postgresql://, got 'nonsense'"),
    ],
)
def test_a_malformed_variable_is_named_in_the_error(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"INSTANCE_DIR": str(tmp_path), name: value})
    assert str(raised.value).startswith(message)


def test_dotenv_file_is_read_and_the_real_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(f"INSTANCE_DIR={tmp_path}\nMAIL_PORT=2525\nPORT=7000\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORT", "7001")
    monkeypatch.delenv("MAIL_PORT", raising=False)
    settings = Settings.from_env()
    assert settings.mail_port == 2525  # from .env
    assert settings.port == 7001  # the environment overrides .env


def test_flask_config_carries_the_settings_under_extension_keys(tmp_path: Path) -> None:
    app = create_app({"APP_ENV": "testing", "INSTANCE_DIR": str(tmp_path), "MAIL_USE_TLS": "true"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("clinicfinder.db")
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["TESTING"] is True


def test_production_pages_ask_browsers_for_https_only(tmp_path: Path) -> None:
    app = create_app({"APP_ENV": "production", "SECRET_KEY": "k" * 64, "INSTANCE_DIR": str(tmp_path)})
    response = app.test_client().get("/no-such-page")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_age_of_the_data_is_not_a_gate_unless_someone_sets_one() -> None:
    from clinicfinder.core.matching.criteria import QualityPolicy

    # A fixed limit would empty the directory one year with nobody noticing (CDC data is years old).
    assert QualityPolicy().max_outcome_age_years is None


def test_a_confirmation_window_longer_than_the_retention_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"REPORT_CONFIRM_HOURS \(48\) is longer than REPORT_RETENTION_DAYS"):
        Settings.from_env({"INSTANCE_DIR": str(tmp_path), "REPORT_RETENTION_DAYS": "1", "REPORT_CONFIRM_HOURS": "48"})


PRODUCTION = {"APP_ENV": "production", "SECRET_KEY": "s" * 64, "PUBLIC_URL": "https://clinicfinder.example"}


def test_production_refuses_a_remote_relay_without_tls(tmp_path: Path) -> None:
    environment = {**PRODUCTION, "INSTANCE_DIR": str(tmp_path), "MAIL_SERVER": "smtp.example.org"}
    with pytest.raises(ConfigError, match="neither MAIL_USE_TLS nor MAIL_USE_SSL is on"):
        Settings.from_env(environment)
    assert Settings.from_env({**environment, "MAIL_USE_TLS": "true"}).mail_use_tls


def test_production_links_in_emails_must_be_https(tmp_path: Path) -> None:
    environment = {**PRODUCTION, "INSTANCE_DIR": str(tmp_path), "PUBLIC_URL": "http://clinicfinder.example"}
    with pytest.raises(ConfigError, match=re.escape("PUBLIC_URL is http://clinicfinder.example")):
        Settings.from_env(environment)
