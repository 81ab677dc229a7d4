"""One form class per step; each failure names its field and says why, in the patient's language."""

from __future__ import annotations

import math
import re
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, FloatField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from clinicfinder.core import vocabulary
from clinicfinder.core.domain import CURRENCIES
from clinicfinder.core.matching.ordering import DEFAULT_ORDER, ORDERS
from clinicfinder.core.vocabulary import (
    AGE_BAND_HELP,
    AGE_BAND_LABELS,
    AGE_BANDS,
    DIAGNOSIS_LABELS,
    SITUATION_LABELS,
    TREATMENT_LABELS,
)
from clinicfinder.web.translation import lazy_gettext as _l

RADIUS_CHOICES = ("10", "25", "50", "100", "250", "500", "1000", "1500", "2500", "anywhere")

# Choices as (value, lazily translated label), in the order the page lists them.
TREATMENT_CHOICES = [(value, _l(label)) for value, label in TREATMENT_LABELS.items()]
TREATMENT_EXPLANATIONS = {value: _l(text) for value, text in vocabulary.TREATMENT_EXPLANATIONS.items()}
DIAGNOSIS_CHOICES = [(value, _l(label)) for value, label in DIAGNOSIS_LABELS.items()]
SITUATION_CHOICES = [(value, _l(label)) for value, label in SITUATION_LABELS.items()]
AGE_BAND_CHOICES = [(value, _l(label)) for value, label in AGE_BAND_LABELS.items()]


class WhereForm(FlaskForm):
    location = StringField(
        _l("City or postcode"),
        # No Optional(): it would stop the chain before validate_location could say what's missing.
        validators=[Length(max=200, message=_l("Please use at most 200 characters."))],
        # Examples only where the directory has clinics; other places are still understood.
        description=_l('For example "Chicago", "Springfield, IL", "NYC" or the ZIP code 60611.'),
    )
    radius = SelectField(_l("How far would you travel?"), choices=[], default="50")
    # "auto": the unit people use in the place typed (miles in the US, kilometres in Spain).
    unit = RadioField(
        _l("Distances in"),
        choices=[("auto", _l("the unit used there")), ("km", _l("kilometres")), ("mi", _l("miles"))],
        default="auto",
    )
    # Filled in by "use my location" (a script), never shown.
    latitude = HiddenField()
    longitude = HiddenField()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.radius.choices = [(value, value if value != "anywhere" else _l("Anywhere")) for value in RADIUS_CHOICES]

    def validate_location(self, field: StringField) -> None:
        if not (field.data or "").strip() and not self.has_coordinates():
            raise ValidationError(_l("Type a city or a postcode."))

    def has_coordinates(self) -> bool:
        try:
            latitude, longitude = float(self.latitude.data), float(self.longitude.data)
        except (TypeError, ValueError):
            return False
        return -90 <= latitude <= 90 and -180 <= longitude <= 180


class PlaceForm(FlaskForm):
    choice = RadioField(_l("Which place do you mean?"), choices=[], validators=[InputRequired(_l("Choose a place."))])
    # Which list the choice was made from: another tab may have looked up another place since.
    list_id = HiddenField()


class TreatmentForm(FlaskForm):
    treatment = RadioField(
        _l("Which treatment are you looking for?"),
        choices=TREATMENT_CHOICES,
        validators=[DataRequired(_l("Choose a treatment."))],
    )
    diagnosis = SelectField(_l("Diagnosis, if you know it (optional)"), choices=DIAGNOSIS_CHOICES, default="")
    situation = SelectField(_l("Who is the treatment for? (optional)"), choices=SITUATION_CHOICES, default="")
    age_band = SelectField(
        _l("Age of the person whose eggs will be used (optional)"),
        choices=AGE_BAND_CHOICES,
        default="",
        # Checked by AnyOf, not by SelectField's own check, so the message says what to do, in the patient's language.
        validate_choice=False,
        validators=[AnyOf(["", *AGE_BANDS], message=_l("Choose one of the age ranges in the list."))],
        description=_l(AGE_BAND_HELP),
    )


GROUPED_WHOLE = re.compile(r"^\d{1,3}(?:[.,\u00a0 ]\d{3})+$")
# 15.000,50 (Spain) and 15,000.50 (US): the last separator marks the cents.
GROUPED_WITH_CENTS = re.compile(r"^\d{1,3}(?:([.,\u00a0 ])\d{3})+([.,])\d{1,2}$")
PLAIN = re.compile(r"^\d+(?:[.,]\d{1,2})?$")
MAX_BUDGET = Decimal(10_000_000)


class AmountField(DecimalField):
    """An amount as people type it: 15000, 15,000, 15.000 (Spain), 15 000 or $15,000."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = re.sub(r"[\s$€£]|US\$|USD|EUR|GBP", "", valuelist[0].strip(), flags=re.IGNORECASE)
        # "-5" is a number: say what is wrong with it, not that it isn't one.
        negative = raw.startswith(("-", "\u2212"))
        raw = raw.lstrip("-\u2212") if negative else raw
        cents = GROUPED_WITH_CENTS.match(raw)
        if GROUPED_WHOLE.match(raw):
            text = re.sub(r"\D", "", raw)
        elif cents and cents.group(1) != cents.group(2):
            whole, _, fraction = raw.rpartition(cents.group(2))
            text = re.sub(r"\D", "", whole) + "." + fraction
        elif PLAIN.match(raw):
            text = raw.replace(",", ".")
        else:
            self.data = None
            raise ValueError(_l("Enter the amount as a number, such as 15000."))
        self.data = -Decimal(text) if negative else Decimal(text)


class BudgetForm(FlaskForm):
    budget = AmountField(
        _l("The most you can spend (optional)"),
        # Kept to the cent: a limit is never rounded up (12000.99 is not 12001).
        places=None,
        validators=[Optional()],
        description=_l("Leave it empty to see every price."),
    )
    currency = SelectField(_l("Currency"), choices=[(code, code) for code in CURRENCIES])
    include_unpriced = BooleanField(_l("Include clinics that don't publish their prices"), default=True)

    def validate_budget(self, field: AmountField) -> None:
        if field.data is None:
            return
        if field.data <= 0:
            raise ValidationError(_l("Enter a positive amount, such as 15000, or leave it empty."))
        if field.data > MAX_BUDGET:
            raise ValidationError(_l("Enter an amount of at most 10,000,000, or leave it empty to see every price."))


def _finite(form: FlaskForm, field: FloatField | DecimalField) -> None:
    # NaN passes every range check; infinities pass some: hidden fields can be tampered with.
    if field.data is not None and not math.isfinite(float(field.data)):
        raise StopValidation(_l("Not a number."))


class AdjustForm(FlaskForm):
    """A suggestion from the results page: widen the search, raise the budget, include more."""

    change = HiddenField(validators=[DataRequired(), AnyOf(["larger_radius", "higher_budget", "include_unpriced"])])
    radius_km = FloatField(validators=[Optional(), _finite, NumberRange(min=0.1, max=20_000)])
    budget = DecimalField(validators=[Optional(), _finite, NumberRange(min=Decimal(1), max=Decimal(10_000_000))])


class OrderForm(FlaskForm):
    """The results page's "sort by": one published fact at a time, never a composite score."""

    order = SelectField(
        _l("Sort by"),
        choices=[(code, _l(label)) for code, label in ORDERS.items()],
        default=DEFAULT_ORDER,
        validators=[DataRequired()],
    )


class PaperForm(FlaskForm):
    """The report's paper size: the place's default first, the patient's choice kept with the answers."""

    paper = SelectField(
        _l("Paper size for the PDF"),
        choices=[("Letter", _l("US Letter (8.5 × 11 in)")), ("A4", _l("A4 (210 × 297 mm)"))],
        validators=[DataRequired()],
    )


class LanguageForm(FlaskForm):
    language = HiddenField()
    next = HiddenField()


class ForgetForm(FlaskForm):
    pass


class ReportEmailForm(FlaskForm):
    email = StringField(
        _l("Your email address"),
        validators=[
            InputRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("Please use at most 254 characters.")),
        ],
        description=_l(
            "We first send a short email asking you to confirm the address. The report follows once you do."
        ),
    )
    # A trap for bots: hidden from people (and from screen readers), so anything typed here was not typed by a person.
    # Not named like anything a browser or password manager would fill in for a person.
    leave_blank = StringField(_l("Leave this empty"))

    def validate_email(self, field: StringField) -> None:
        value = (field.data or "").strip()
        # One address, on one line: a line break or a list would add headers or recipients.
        if any(character in value for character in "\r\n,;") or value.count("@") != 1:
            raise ValidationError(_l("Enter one email address, such as name@example.com."))
        # Imported here: only the results page's email form checks an address, not a web process's start-up.
        from email_validator import EmailNotValidError, validate_email

        try:
            # No SMTPUTF8: an accented mailbox name would be refused by most relays, and by smtplib.
            checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError:
            raise ValidationError(_l("Enter an email address such as name@example.com.")) from None
        field.data = checked.ascii_email or checked.normalized


class ReportDownloadForm(FlaskForm):
    pass


class AnywayForm(FlaskForm):
    """ "Search the US directory anyway", after the where step said it has no clinics in the patient's country."""


class ConfirmReportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
