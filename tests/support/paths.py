"""Where the project's files are, for tests that read them wherever the test module sits."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # tests/support/paths.py → the checkout
CLINICS_CSV = PROJECT_ROOT / "clinics.csv"
TESTS_DIR = PROJECT_ROOT / "tests"
