"""Where the project's files are: one place, so a module that moves does not lose its data."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
CONTENT_DIR = PROJECT_ROOT / "content"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
