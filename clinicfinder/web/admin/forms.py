"""Admin forms, one per page; each error is shown next to its field. English only (no gettext)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, EmailField, Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from clinicfinder.core.directory.records import EMAIL_PATTERN, LANGUAGE_PATTERN, LIST_ITEM_PATTERN
from clinicfinder.core.directory.text import MULTILINE_COLUMNS, find_control_character
from clinicfinder.core.domain import CURRENCIES, Availability, ClinicStatus, Role, Treatment
from clinicfinder.services.listing import CAPABILITY_NAMES, TREATMENT_NAMES, ListingEdit, OfferEdit

AVAILABILITY_CHOICES = [("unknown", "Not stated"), ("yes", "Yes"), ("no", "No")]
CURRENCY_CHOICES = [("", "—"), *((code, code) for code in CURRENCIES)]
_SEPARATORS = re.compile(r"[;,\n]")
CONTROLS = "Remove the invisible control characters from this field."
# A hidden field has no place on the page to show its error: the summary at the top says this.
HIDDEN_FIELD_REFUSED = (
    "The page sent back invisible control characters in a hidden field, so nothing was saved. "
    "Reload the page, then make your changes again."
)


def split_list(text: str | None) -> tuple[str, ...]:
    return tuple(sorted({item.strip() for item in _SEPARATORS.split(text or "") if item.strip()}))


class ListingForm(FlaskForm):
    """The clinic admin's editor. Per-treatment and per-capability fields are added below the class."""

    version = HiddenField()
    snapshot = HiddenField()  # what the editor showed when opened, to explain a conflict

    def loaded_version(self) -> int:
        """The version the editor was opened at; a tampered value counts as stale (the save is refused)."""
        text = (self.version.data or "").strip()
        return int(text) if text.isdigit() and len(text) < 10 else -1

    phone = StringField("Phone", validators=[Optional(), Length(max=40, message="Use at most 40 characters.")])
    email = EmailField(
        "Email for patients",
        validators=[Optional(), Length(max=254), Email("Enter an email address like info@clinic.example.")],
    )
    website = StringField(
        "Website",
        description="The full address, starting with https://",
        validators=[Optional(), Length(max=500, message="Use at most 500 characters.")],
    )
    description = TextAreaField(
        "Description",
        description="Plain text or Markdown (bold, lists, links). Up to 5000 characters; no images or HTML.",
        validators=[Optional(), Length(max=5000, message="Use at most 5000 characters.")],
    )
    languages = StringField(
        "Languages spoken",
        description="Two-letter codes separated by commas, e.g. en, es, fr",
        validators=[Optional(), Length(max=200)],
    )
    accreditation_bodies = StringField(
        "Lab accreditations",
        description="Bodies that accredit your lab, separated by commas, e.g. CAP, The Joint Commission",
        validators=[Optional(), Length(max=1000)],
    )
    societies = StringField(
        "Professional societies",
        description="Memberships besides SART, separated by commas, e.g. ESHRE",
        validators=[Optional(), Length(max=1000)],
    )

    def __init__(self, *args: Any, locked: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Fields fixed by CDC for this clinic (name -> source): shown disabled, and refused if sent anyway.
        self.locked = locked or {}

    def validate_website(self, field: StringField) -> None:
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError("Start the address with https:// or http://")

    def validate_email(self, field: EmailField) -> None:
        if field.data and not EMAIL_PATTERN.match(field.data):
            raise ValidationError("Enter an email address like info@clinic.example.")

    def validate_languages(self, field: StringField) -> None:
        wrong = [code for code in split_list(field.data) if not LANGUAGE_PATTERN.match(code.lower())]
        if wrong:
            raise ValidationError(f"Use two-letter codes such as en or es; not {', '.join(wrong)}.")

    def validate_accreditation_bodies(self, field: StringField) -> None:
        self._check_names(field, "verified")

    def validate_societies(self, field: StringField) -> None:
        self._check_names(field, "SART")

    def _check_names(self, field: StringField, reserved: str) -> None:
        names = split_list(field.data)
        if any(not LIST_ITEM_PATTERN.match(name) for name in names):
            raise ValidationError("Each name must be 1–120 characters.")
        if any(name.casefold() == reserved.casefold() for name in names):
            raise ValidationError(f"{reserved} is reported by CDC and is not edited here.")

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for treatment in Treatment:
            valid &= self._check_offer(treatment)
        for name in self.locked:
            field = self[name]
            if field.data != field.object_data:
                field.errors = [*field.errors, "This comes from CDC and can't be changed here."]
                valid = False
        for field in self:
            # The same rule as the CSV import (core/directory/text.py): no NUL, DEL or other controls.
            if isinstance(field.data, str) and find_control_character(
                field.data, multiline=field.name in MULTILINE_COLUMNS
            ):
                field.errors = [*field.errors, HIDDEN_FIELD_REFUSED if field.type == "HiddenField" else CONTROLS]
                valid = False
        return valid

    def _check_offer(self, treatment: Treatment) -> bool:
        offered, price, currency = self.offer_fields(treatment)
        if price.errors:
            return False
        if price.data is not None and offered.data != "yes":
            price.errors = [*price.errors, "A price needs “Offered: Yes”."]
            return False
        if price.data is not None and not currency.data:
            currency.errors = [*currency.errors, "Choose the currency of the price."]
            return False
        return True

    def offer_fields(self, treatment: Treatment) -> tuple[Field, Field, Field]:
        code = treatment.value
        return self[f"{code}_offered"], self[f"{code}_price"], self[f"{code}_currency"]

    def capability_fields(self) -> list[Field]:
        return [self[f"mf_{capability.value}"] for capability in CAPABILITY_NAMES]

    def to_edit(self) -> ListingEdit:
        offers = {}
        for treatment in Treatment:
            offered, price, currency = self.offer_fields(treatment)
            amount = None if price.data is None else Decimal(price.data).quantize(Decimal("0.01"))
            offers[treatment] = OfferEdit(
                Availability(offered.data), amount, currency.data if amount is not None else None
            )
        return ListingEdit(
            phone=(self.phone.data or "").strip() or None,
            email=(self.email.data or "").strip() or None,
            website=(self.website.data or "").strip() or None,
            description=(self.description.data or "").strip() or None,
            offers=offers,
            male_factor={
                capability: Availability(self[f"mf_{capability.value}"].data) for capability in CAPABILITY_NAMES
            },
            languages=tuple(code.lower() for code in split_list(self.languages.data)),
            accreditation_bodies=split_list(self.accreditation_bodies.data),
            societies=split_list(self.societies.data),
        )


def _price_field(label: str) -> Field:
    return DecimalField(
        label,
        places=2,
        validators=[Optional(), _positive_price],
        render_kw={"inputmode": "decimal"},
    )


def _positive_price(form: FlaskForm, field: Field) -> None:
    # NaN and infinities parse as Decimals, and NaN can't even be compared: refuse them first.
    if field.data is not None and (not field.data.is_finite() or not (0 <= field.data < Decimal("1e10"))):
        raise ValidationError("Enter a price of 0 or more, like 12500 or 12500.50.")


for _treatment, _name in TREATMENT_NAMES.items():
    setattr(ListingForm, f"{_treatment.value}_offered", SelectField(f"{_name}: offered", choices=AVAILABILITY_CHOICES))
    setattr(ListingForm, f"{_treatment.value}_price", _price_field(f"{_name}: price"))
    setattr(ListingForm, f"{_treatment.value}_currency", SelectField(f"{_name}: currency", choices=CURRENCY_CHOICES))
for _capability, _name in CAPABILITY_NAMES.items():
    setattr(ListingForm, f"mf_{_capability.value}", SelectField(_name, choices=AVAILABILITY_CHOICES))


def listing_form_data(edit: ListingEdit) -> dict[str, Any]:
    """The form's starting values from the listing as it is."""
    data: dict[str, Any] = {
        "phone": edit.phone,
        "email": edit.email,
        "website": edit.website,
        "description": edit.description,
        "languages": ", ".join(edit.languages),
        "accreditation_bodies": ", ".join(edit.accreditation_bodies),
        "societies": ", ".join(edit.societies),
    }
    for treatment in Treatment:
        offer = edit.offers.get(treatment, OfferEdit())
        data[f"{treatment.value}_offered"] = offer.availability.value
        data[f"{treatment.value}_price"] = offer.price
        data[f"{treatment.value}_currency"] = offer.currency or ""
    for capability in CAPABILITY_NAMES:
        data[f"mf_{capability.value}"] = edit.male_factor.get(capability, Availability.UNKNOWN).value
    return data


class InviteForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter the admin's email address."),
            Email("Enter an email like name@clinic.example."),
        ],
    )
    role = SelectField(
        "Role",
        choices=[(Role.CLINIC_ADMIN.value, "Clinic admin"), (Role.SITE_ADMIN.value, "Site admin")],
        default=Role.CLINIC_ADMIN.value,
    )
    clinics = StringField(
        "Clinic ids",
        description="For a clinic admin: the ids of the clinics they manage, separated by commas, e.g. us-cdc-1",
        validators=[Optional(), Length(max=1000)],
    )

    def validate_clinics(self, field: StringField) -> None:
        if self.role.data == Role.CLINIC_ADMIN.value and not split_list(field.data):
            raise ValidationError("Enter at least one clinic id for a clinic admin.")


class ActiveForm(FlaskForm):
    active = SelectField("Account", choices=[("1", "Enable"), ("0", "Disable")], validators=[InputRequired()])


class StatusForm(FlaskForm):
    status = SelectField(
        "Listing status",
        choices=[(status.value, status.value.capitalize()) for status in ClinicStatus],
        validators=[InputRequired()],
    )


class ConfirmForm(FlaskForm):
    """Only the CSRF token: for buttons that act on what the page shows (verify claims, commit an import)."""


class VerifyClaimsForm(FlaskForm):
    # A fingerprint of the claims the page showed: a claim added or changed since is not verified unseen.
    shown = HiddenField(validators=[DataRequired()])


class UploadForm(FlaskForm):
    file = FileField("clinics.csv", validators=[FileRequired("Choose a CSV file to upload.")])


class ClinicFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search, nothing changes

    q = StringField("Find a clinic", validators=[Optional(), Length(max=200)])
