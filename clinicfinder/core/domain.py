"""Vocabulary shared by the directory, the matching core and the web layer.

Pure Python: no Flask, no SQLAlchemy, so the core can be tested and reused alone.
"""

from __future__ import annotations

import enum


class Treatment(enum.StrEnum):
    """Treatment codes as the API and the CSV spell them (see PRODUCT.md)."""

    IVF = "ivf"
    ICSI = "icsi"
    TESE = "tese"
    MICRO_TESE = "micro_tese"
    DONOR_SPERM = "donor_sperm"
    EGG_DONATION = "egg_donation"
    FERTILITY_PRESERVATION = "fertility_preservation"


class Availability(enum.StrEnum):
    """A yes/no fact that may simply not be known; unknown is never read as yes or no."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class AccreditationStatus(enum.StrEnum):
    YES = "yes"
    NO = "no"
    PENDING = "pending"


class MaleFactorCapability(enum.StrEnum):
    REPRODUCTIVE_UROLOGIST = "reproductive_urologist"
    MICRO_TESE = "micro_tese"
    SPERM_CRYOPRESERVATION = "sperm_cryopreservation"
    DONOR_SPERM_ACCESS = "donor_sperm_access"


class ClinicStatus(enum.StrEnum):
    """CDC's clinic statuses, plus `inactive` for a listing a site admin switched off."""

    OPEN = "open"
    REORGANIZED = "reorganized"
    CLOSED = "closed"
    INACTIVE = "inactive"


class Role(enum.StrEnum):
    SITE_ADMIN = "site_admin"
    CLINIC_ADMIN = "clinic_admin"


CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP")


# A clinic admin's own word carries this source until a site admin verifies it (services/listing.py).
CLINIC_REPORTED = "Clinic-reported"
VERIFIED_CLAIM = "Clinic-reported, verified by ClinicFinder"


def is_unverified_claim(source: str, verified_at: object | None) -> bool:
    """A clinic's claim that no site admin has verified yet: shown, but never used for order or filters."""
    return source.startswith(CLINIC_REPORTED) and not source.startswith(VERIFIED_CLAIM) and verified_at is None
