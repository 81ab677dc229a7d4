"""The columns of `clinics.csv`, in file order. `docs/clinics-csv.md` explains each one.

One row per clinic. Facts come in groups; each group carries its own `*_source` and
`*_as_of` columns, because a clinic admin may confirm prices while the outcome figures
still come from CDC.
"""

from __future__ import annotations

from clinicfinder.core.domain import MaleFactorCapability, Treatment

IDENTITY_COLUMNS: tuple[str, ...] = (
    "clinic_id",
    "name",
    "medical_director",
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "coordinates_source",
    "phone",
    "email",
    "website",
    "description",
    "status",
    "listing_source",
    "listing_as_of",
)

OUTCOME_COLUMNS: tuple[str, ...] = (
    "outcomes_year",
    "total_cycles",
    "fertility_preservation_cycles",
    "pregnancies",
    "deliveries",
    "infants_born",
    "outcomes_source",
    "outcomes_as_of",
)

ACCREDITATION_COLUMNS: tuple[str, ...] = (
    "verified_lab_accreditation",
    "accreditation_bodies",
    "sart_member",
    "other_society_memberships",
    "accreditation_source",
    "accreditation_as_of",
)

TREATMENT_FIELDS: tuple[str, ...] = ("offered", "price", "currency", "source", "as_of")


def treatment_column(treatment: Treatment, field: str) -> str:
    return f"{treatment.value}_{field}"


TREATMENT_COLUMNS: tuple[str, ...] = tuple(
    treatment_column(treatment, field) for treatment in Treatment for field in TREATMENT_FIELDS
)


def male_factor_column(capability: MaleFactorCapability) -> str:
    return f"mf_{capability.value}"


MALE_FACTOR_COLUMNS: tuple[str, ...] = (
    *(male_factor_column(capability) for capability in MaleFactorCapability),
    "male_factor_source",
    "male_factor_as_of",
)

LANGUAGE_COLUMNS: tuple[str, ...] = ("languages", "languages_source", "languages_as_of")

COLUMNS: tuple[str, ...] = (
    *IDENTITY_COLUMNS,
    *OUTCOME_COLUMNS,
    *ACCREDITATION_COLUMNS,
    *TREATMENT_COLUMNS,
    *MALE_FACTOR_COLUMNS,
    *LANGUAGE_COLUMNS,
)

# Separator inside list cells (accreditation bodies, memberships, languages).
LIST_SEPARATOR = ";"

# Free-text cells: a spreadsheet could read one starting with =, +, -, @ as a formula.
TEXT_COLUMNS: frozenset[str] = frozenset(
    {
        "name", "medical_director", "address", "city", "region", "postal_code", "coordinates_source", "phone",
        "email", "website", "description", "listing_source", "outcomes_source", "accreditation_source",
        "accreditation_bodies", "other_society_memberships", "male_factor_source", "languages_source",
        *(treatment_column(treatment, "source") for treatment in Treatment),
    }
)  # fmt: skip
