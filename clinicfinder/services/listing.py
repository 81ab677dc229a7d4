"""A clinic's listing as its admin edits it: what may change, what did, and the audit of it. No Flask.

Provenance rules:
- A clinic's own claim gets the source "Clinic-reported" and today's date; it stays a
  claim until a site admin verifies it (`verified_at`/`verified_by`, and the source then
  says so, which patients see).
- Facts from CDC (source mentioning CDC) are not the clinic's to change. A clinic may add
  a price to a treatment CDC says it offers; the availability stays CDC's and the source
  names both.
- Male-factor capabilities, languages and accreditations each share one source and date
  per group in clinics.csv, so a change to a group restamps the whole group, and a group
  with any CDC fact is locked as a whole: a mixed group would be exported under one source
  and re-imported as CDC's or as the clinic's, misattributing one or the other.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.orm.exc import StaleDataError

from clinicfinder.core.domain import (
    CLINIC_REPORTED,
    AccreditationStatus,
    Availability,
    ClinicStatus,
    MaleFactorCapability,
    Treatment,
    is_unverified_claim,
)
from clinicfinder.core.domain import VERIFIED_CLAIM as VERIFIED
from clinicfinder.db.models import (
    CDC_VERIFIED_LAB,
    SART_SOCIETY,
    Accreditation,
    AccreditationKind,
    AuditEntry,
    Clinic,
    ClinicLanguage,
    MaleFactorFact,
    TreatmentOffer,
    User,
    utcnow,
)

if TYPE_CHECKING:  # a type only: db.directory (the CSV records) is not needed at run time
    from clinicfinder.db.directory import AnySession

SOURCE_LENGTH = 200

TREATMENT_NAMES = {
    Treatment.IVF: "IVF",
    Treatment.ICSI: "ICSI",
    Treatment.TESE: "TESE",
    Treatment.MICRO_TESE: "Micro-TESE",
    Treatment.DONOR_SPERM: "Donor sperm",
    Treatment.EGG_DONATION: "Egg donation",
    Treatment.FERTILITY_PRESERVATION: "Fertility preservation",
}
CAPABILITY_NAMES = {
    MaleFactorCapability.REPRODUCTIVE_UROLOGIST: "Reproductive urologist on site",
    MaleFactorCapability.MICRO_TESE: "Micro-TESE",
    MaleFactorCapability.SPERM_CRYOPRESERVATION: "Sperm freezing (cryopreservation)",
    MaleFactorCapability.DONOR_SPERM_ACCESS: "Donor sperm as a backup",
}


def is_cdc(source: str | None) -> bool:
    return source is not None and "CDC" in source


@dataclass(frozen=True)
class OfferEdit:
    availability: Availability = Availability.UNKNOWN
    price: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class ListingEdit:
    phone: str | None
    email: str | None
    website: str | None
    description: str | None
    offers: dict[Treatment, OfferEdit]
    male_factor: dict[MaleFactorCapability, Availability]
    languages: tuple[str, ...]
    accreditation_bodies: tuple[str, ...]
    societies: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass
class Conflict:
    """Someone saved since this editor was opened. Nothing is saved: the admin sees what the
    other save changed (`theirs`) and what their own edit would change on top of it (`yours`)."""

    theirs: list[Change] = field(default_factory=list)
    yours: list[Change] = field(default_factory=list)


class LockedFact(ValueError):
    """An edit to a fact the clinic may not change (it comes from CDC)."""

    def __init__(self, field_name: str, label: str) -> None:
        super().__init__(f"{label} comes from CDC and can't be changed here.")
        self.field_name = field_name


# --- reading --------------------------------------------------------------------------


def current_edit(clinic: Clinic) -> ListingEdit:
    """What the listing says now, in the shape of an edit (to fill the form)."""
    offers = {row.treatment: OfferEdit(row.availability, row.price, row.currency) for row in clinic.offers}
    return ListingEdit(
        phone=clinic.phone,
        email=clinic.email,
        website=clinic.website,
        description=clinic.description,
        offers=offers,
        male_factor={row.capability: row.availability for row in clinic.male_factor},
        languages=tuple(sorted(row.language for row in clinic.languages)),
        accreditation_bodies=tuple(sorted(row.body for row in _claims(clinic, AccreditationKind.LAB))),
        societies=tuple(sorted(row.body for row in _claims(clinic, AccreditationKind.SOCIETY))),
    )


def _claims(clinic: Clinic, kind: AccreditationKind) -> list[Accreditation]:
    """Accreditation rows the clinic itself may edit: named bodies and societies not from CDC."""
    fixed = {AccreditationKind.LAB: CDC_VERIFIED_LAB, AccreditationKind.SOCIETY: SART_SOCIETY}[kind]
    return [row for row in clinic.accreditations if row.kind is kind and row.body != fixed and not is_cdc(row.source)]


def cdc_accreditations(clinic: Clinic) -> list[Accreditation]:
    claims = {row.id for kind in AccreditationKind for row in _claims(clinic, kind)}
    return [row for row in clinic.accreditations if row.id not in claims]


def locked_fields(clinic: Clinic) -> dict[str, str]:
    """Form field name -> the CDC source that fixes it."""
    locked = {f"{row.treatment.value}_offered": row.source for row in clinic.offers if is_cdc(row.source)}
    if any(is_cdc(row.source) for row in clinic.male_factor):
        locked.update({f"mf_{capability.value}": clinic.male_factor[0].source for capability in MaleFactorCapability})
    if any(is_cdc(row.source) for row in clinic.languages):
        locked["languages"] = clinic.languages[0].source
    cdc_rows = [row for row in clinic.accreditations if is_cdc(row.source)]
    if cdc_rows:
        locked.update({"accreditation_bodies": cdc_rows[0].source, "societies": cdc_rows[0].source})
    return locked


def _money(price: Decimal | None, currency: str | None) -> str:
    return "" if price is None else f"{price:.2f} {currency or ''}".strip()


def snapshot(clinic: Clinic) -> dict[str, str]:
    """Every editable value as text under a human name: the unit of the audit log and of conflicts."""
    values = {
        "Phone": clinic.phone or "",
        "Email": clinic.email or "",
        "Website": clinic.website or "",
        "Description": clinic.description or "",
    }
    offers = {row.treatment: row for row in clinic.offers}
    for treatment, name in TREATMENT_NAMES.items():
        row = offers.get(treatment)
        values[f"{name}: offered"] = row.availability.value if row else Availability.UNKNOWN.value
        values[f"{name}: price"] = _money(row.price, row.currency) if row else ""
    male_factor = {row.capability: row.availability for row in clinic.male_factor}
    for capability, name in CAPABILITY_NAMES.items():
        values[f"Male factor: {name}"] = male_factor.get(capability, Availability.UNKNOWN).value
    edit = current_edit(clinic)
    values["Languages"] = ", ".join(edit.languages)
    values["Accreditation bodies"] = ", ".join(edit.accreditation_bodies)
    values["Society memberships"] = ", ".join(edit.societies)
    return values


def dump_snapshot(values: dict[str, str]) -> str:
    # ASCII only: JSON then escapes every control character (DEL and C1 too), so the hidden
    # field the editor sends back never carries one, even for a listing that does.
    return json.dumps(values, sort_keys=True, ensure_ascii=True)


MAX_SNAPSHOT_CHARS = 100_000  # far more than a listing; a bigger one was not made by our page


def load_snapshot(text: str | None) -> dict[str, str]:
    if text and len(text) > MAX_SNAPSHOT_CHARS:
        return {}
    try:
        loaded = json.loads(text or "{}")
    except (ValueError, RecursionError):  # RecursionError: deeply nested brackets
        return {}
    return {str(key): str(value) for key, value in loaded.items()} if isinstance(loaded, dict) else {}


def differences(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    return [Change(name, before.get(name, ""), value) for name, value in after.items() if before.get(name, "") != value]


# --- writing --------------------------------------------------------------------------


def save_listing(
    session: AnySession,
    clinic: Clinic,
    edit: ListingEdit,
    *,
    actor: User,
    loaded_version: int,
    loaded_snapshot: dict[str, str],
    today: date,
) -> list[Change] | Conflict:
    """Apply the edit if nobody saved since `loaded_version`; otherwise change nothing and say what they changed."""
    if clinic.version != loaded_version:
        return _conflict(session, clinic, edit, loaded_snapshot, today)
    before = snapshot(clinic)
    try:
        _apply(clinic, edit, today)
        changes = differences(before, snapshot(clinic))
        # Saving confirms the listing, so its date moves even when nothing else did.
        clinic.listing_as_of = today
        clinic.listing_source = CLINIC_REPORTED
        clinic.updated_at = utcnow()
        session.add_all(
            AuditEntry(
                actor_id=actor.id,
                actor_label=actor.email,
                action="clinic.edit",
                clinic_id=clinic.id,
                field=change.field,
                old_value=change.old,
                new_value=change.new,
            )
            for change in changes
        )
        session.commit()
    except StaleDataError:
        # Another save landed between our read and our write: the version column caught it.
        session.rollback()
        return _conflict(session, clinic, edit, loaded_snapshot, today)
    except BaseException:
        session.rollback()
        raise
    return changes


def _conflict(
    session: AnySession, clinic: Clinic, edit: ListingEdit, loaded_snapshot: dict[str, str], today: date
) -> Conflict:
    current = snapshot(clinic)
    theirs = differences(loaded_snapshot, current)
    # What this edit would change on top of the current listing: applied in memory, then thrown away.
    with session.no_autoflush:
        try:
            _apply(clinic, edit, today)
            yours = differences(current, snapshot(clinic))
        except LockedFact:
            yours = []
    session.rollback()
    return Conflict(theirs, yours)


def _apply(clinic: Clinic, edit: ListingEdit, today: date) -> None:
    clinic.phone, clinic.email, clinic.website = edit.phone, edit.email, edit.website
    clinic.description = edit.description
    _apply_offers(clinic, edit.offers, today)
    _apply_male_factor(clinic, edit.male_factor, today)
    _apply_languages(clinic, edit.languages, today)
    _apply_claims(clinic, AccreditationKind.LAB, edit.accreditation_bodies, today)
    _apply_claims(clinic, AccreditationKind.SOCIETY, edit.societies, today)


def _claim(row: TreatmentOffer | MaleFactorFact | ClinicLanguage | Accreditation, source: str, today: date) -> None:
    row.source = source[:SOURCE_LENGTH]
    row.as_of = today
    row.verified_at = None
    row.verified_by = None


def _offer_source(old_source: str | None) -> str:
    if not is_cdc(old_source):
        return CLINIC_REPORTED
    assert old_source is not None
    cdc = old_source.split("offered per ", 1)[-1]
    return f"{CLINIC_REPORTED} price; offered per {cdc}"


def _apply_offers(clinic: Clinic, offers: dict[Treatment, OfferEdit], today: date) -> None:
    rows = {row.treatment: row for row in clinic.offers}
    for treatment in Treatment:
        new = offers.get(treatment, OfferEdit())
        row = rows.get(treatment)
        old = OfferEdit(row.availability, row.price, row.currency) if row else OfferEdit()
        if new == old:
            continue
        if row is not None and is_cdc(row.source) and new.availability != row.availability:
            raise LockedFact(f"{treatment.value}_offered", f"Whether the clinic offers {TREATMENT_NAMES[treatment]}")
        if new.availability is Availability.UNKNOWN and new.price is None:
            if row is not None:
                clinic.offers.remove(row)
            continue
        if row is None:
            row = TreatmentOffer(treatment=treatment)
            clinic.offers.append(row)
        source = _offer_source(row.source)
        row.availability, row.price, row.currency = new.availability, new.price, new.currency
        _claim(row, source, today)


def _apply_male_factor(clinic: Clinic, wanted: dict[MaleFactorCapability, Availability], today: date) -> None:
    wanted = {key: value for key, value in wanted.items() if value is not Availability.UNKNOWN}
    if wanted == {row.capability: row.availability for row in clinic.male_factor}:
        return
    if any(is_cdc(row.source) for row in clinic.male_factor):
        raise LockedFact("mf_micro_tese", "The male-factor capabilities")
    rows = {row.capability: row for row in clinic.male_factor}
    for capability, row in rows.items():
        if capability not in wanted:
            clinic.male_factor.remove(row)
    for capability, availability in wanted.items():
        row = rows.get(capability) or MaleFactorFact(capability=capability)
        if capability not in rows:
            clinic.male_factor.append(row)
        row.availability = availability
    for row in clinic.male_factor:
        _claim(row, CLINIC_REPORTED, today)


def _apply_languages(clinic: Clinic, codes: tuple[str, ...], today: date) -> None:
    if set(codes) == {row.language for row in clinic.languages}:
        return
    if any(is_cdc(row.source) for row in clinic.languages):
        raise LockedFact("languages", "The languages")
    rows = {row.language: row for row in clinic.languages}
    for code, row in rows.items():
        if code not in codes:
            clinic.languages.remove(row)
    for code in codes:
        if code not in rows:
            clinic.languages.append(ClinicLanguage(language=code))
    for row in clinic.languages:
        _claim(row, CLINIC_REPORTED, today)


def _apply_claims(clinic: Clinic, kind: AccreditationKind, bodies: tuple[str, ...], today: date) -> None:
    claims = {row.body: row for row in _claims(clinic, kind)}
    if set(bodies) == set(claims):
        return
    if any(is_cdc(row.source) for row in clinic.accreditations):
        raise LockedFact("accreditation_bodies" if kind is AccreditationKind.LAB else "societies", "Accreditation")
    for body, row in claims.items():
        if body not in bodies:
            clinic.accreditations.remove(row)
    for body in bodies:
        if body not in claims:
            clinic.accreditations.append(Accreditation(kind=kind, body=body, status=AccreditationStatus.YES))
    # The whole group shares one provenance in clinics.csv.
    for row in clinic.accreditations:
        _claim(row, CLINIC_REPORTED, today)


# --- site admin: verification and status --------------------------------------------------


@dataclass(frozen=True)
class Claim:
    kind: str  # "offer", "male_factor", "language", "accreditation"
    row_id: int
    label: str
    value: str
    source: str
    as_of: date


def pending_claims(clinic: Clinic) -> list[Claim]:
    claims: list[Claim] = []
    for offer in clinic.offers:
        if is_unverified_claim(offer.source, offer.verified_at):
            value = offer.availability.value + (f", {_money(offer.price, offer.currency)}" if offer.price else "")
            claims.append(Claim("offer", offer.id, TREATMENT_NAMES[offer.treatment], value, offer.source, offer.as_of))
    for fact in clinic.male_factor:
        if is_unverified_claim(fact.source, fact.verified_at):
            label = f"Male factor: {CAPABILITY_NAMES[fact.capability]}"
            claims.append(Claim("male_factor", fact.id, label, fact.availability.value, fact.source, fact.as_of))
    for language in clinic.languages:
        if is_unverified_claim(language.source, language.verified_at):
            claims.append(
                Claim("language", language.id, "Language", language.language, language.source, language.as_of)
            )
    for row in clinic.accreditations:
        if is_unverified_claim(row.source, row.verified_at):
            label = "Accreditation body" if row.kind is AccreditationKind.LAB else "Society membership"
            claims.append(Claim("accreditation", row.id, label, row.body, row.source, row.as_of))
    return claims


def claims_fingerprint(claims: list[Claim]) -> str:
    """What the site admin was shown: verifying checks the claims are still exactly these."""
    shown = "\n".join(f"{c.kind}|{c.row_id}|{c.value}|{c.source}|{c.as_of.isoformat()}" for c in claims)
    return hashlib.sha256(shown.encode()).hexdigest()


def verify_claims(session: AnySession, clinic: Clinic, actor: User, now: datetime) -> int:
    """Mark every pending claim of `clinic` verified by `actor`; returns how many."""
    rows: list[TreatmentOffer | MaleFactorFact | ClinicLanguage | Accreditation] = [
        *clinic.offers,
        *clinic.male_factor,
        *clinic.languages,
        *clinic.accreditations,
    ]
    claims = pending_claims(clinic)
    verified = 0
    for row in rows:
        if is_unverified_claim(row.source, row.verified_at):
            row.source = (VERIFIED + row.source.removeprefix(CLINIC_REPORTED))[:SOURCE_LENGTH]
            row.verified_at = now
            row.verified_by = actor.email
            verified += 1
    session.add_all(
        AuditEntry(
            actor_id=actor.id,
            actor_label=actor.email,
            action="claim.verify",
            clinic_id=clinic.id,
            field=claim.label,
            old_value=f"{claim.value} ({claim.source})",
            new_value="verified",
        )
        for claim in claims
    )
    session.commit()
    return verified


def set_status(session: AnySession, clinic: Clinic, status: ClinicStatus, actor: User) -> None:
    if clinic.status is status:
        return
    session.add(
        AuditEntry(
            actor_id=actor.id,
            actor_label=actor.email,
            action="clinic.status",
            clinic_id=clinic.id,
            field="Status",
            old_value=clinic.status.value,
            new_value=status.value,
        )
    )
    clinic.status = status
    session.commit()
