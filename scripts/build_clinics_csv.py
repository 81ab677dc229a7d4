"""Build clinics.csv from CDC's raw ART Services and Profiles file.

python scripts/build_clinics_csv.py data/raw/cdc_art_services_profiles_2022.csv clinics.csv
"""

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run() -> int:
    # Runs from a plain checkout, without installing the package, so the root goes first.
    sys.path.insert(0, str(PROJECT_ROOT))
    from tools.cdc_clinics_csv import main

    return main()


if __name__ == "__main__":
    raise SystemExit(run())
