"""The database: clinics and their facts, users, report requests and the audit log.

Every clinic fact carries `source` and `as_of`, so the pages and the PDF can say where a
fact comes from and how old it is. A fact nobody gave us has no row (or `unknown`): it is
never stored as a guess.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from clinicfinder.core.domain import (
    AccreditationStatus,
    Availability,
    ClinicStatus,
    MaleFactorCapability,
    Role,
    Treatment,
)
from clinicfinder.extensions import Base, db

if TYPE_CHECKING:
    # Flask-SQLAlchemy's db.Model is typed as a variable, which mypy can't subclass.
    Model = Base
else:
    Model = db.Model


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite hands back naive ones)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: use datetime.now(UTC)")
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def enum_column(enum_type: type[enum.StrEnum]) -> sa.Enum:
    """Store an enum by its value as a checked VARCHAR, the same on SQLite and PostgreSQL."""
    return sa.Enum(
        enum_type,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class ProvenanceMixin:
    source: Mapped[str] = mapped_column(sa.String(200))
    as_of: Mapped[date]


class VerificationMixin:
    """A clinic's own claim stays "clinic-reported" until a site admin verifies it (see admin/listing.py)."""

    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by: Mapped[str | None] = mapped_column(sa.String(254))


class Clinic(Model):
    __tablename__ = "clinics"

    # The stable public id (e.g. "us-cdc-1"): the key of clinics.csv, the API and URLs.
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    medical_director: Mapped[str | None] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    city: Mapped[str] = mapped_column(sa.String(120))
    region: Mapped[str | None] = mapped_column(sa.String(120))
    postal_code: Mapped[str | None] = mapped_column(sa.String(16))
    country: Mapped[str] = mapped_column(sa.String(2))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    coordinates_source: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    website: Mapped[str | None] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[ClinicStatus] = mapped_column(enum_column(ClinicStatus))
    listing_source: Mapped[str | None] = mapped_column(sa.String(200))
    listing_as_of: Mapped[date | None]
    # Optimistic locking: a save based on an older version is refused, never silently lost.
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    offers: Mapped[list[TreatmentOffer]] = relationship(
        back_populates="clinic", cascade="all, delete-orphan", order_by="TreatmentOffer.treatment"
    )
    accreditations: Mapped[list[Accreditation]] = relationship(
        back_populates="clinic", cascade="all, delete-orphan", order_by="(Accreditation.kind, Accreditation.body)"
    )
    outcomes: Mapped[list[OutcomeFigure]] = relationship(
        back_populates="clinic", cascade="all, delete-orphan", order_by="OutcomeFigure.year.desc()"
    )
    male_factor: Mapped[list[MaleFactorFact]] = relationship(
        back_populates="clinic", cascade="all, delete-orphan", order_by="MaleFactorFact.capability"
    )
    languages: Mapped[list[ClinicLanguage]] = relationship(
        back_populates="clinic", cascade="all, delete-orphan", order_by="ClinicLanguage.language"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads this class-level dict
    __table_args__ = (
        # The search prefilters on a bounding box before computing exact distances.
        sa.Index("ix_clinics_latitude_longitude", "latitude", "longitude"),
        sa.Index("ix_clinics_status", "status"),
    )


class TreatmentOffer(ProvenanceMixin, VerificationMixin, Model):
    __tablename__ = "treatment_offers"
    __table_args__ = (
        sa.UniqueConstraint("clinic_id", "treatment"),
        sa.CheckConstraint("price IS NULL OR price >= 0", name="price_not_negative"),
        sa.CheckConstraint("price IS NULL OR currency IS NOT NULL", name="price_has_currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(sa.ForeignKey("clinics.id", ondelete="CASCADE"))
    treatment: Mapped[Treatment] = mapped_column(enum_column(Treatment))
    availability: Mapped[Availability] = mapped_column(enum_column(Availability))
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(sa.String(3))

    clinic: Mapped[Clinic] = relationship(back_populates="offers")


class AccreditationKind(enum.StrEnum):
    LAB = "lab"  # lab accreditation: CDC's "verified lab accreditation", CAP, The Joint Commission, an HFEA licence…
    SOCIETY = "society"  # professional-society membership: SART, ESHRE…


# CDC publishes that a lab's accreditation was verified, but not by which body.
CDC_VERIFIED_LAB = "verified"
# The society CDC reports membership of; the CSV gives it its own column.
SART_SOCIETY = "SART"


class AccreditationRows(NamedTuple):
    """A clinic's accreditation rows, sorted the way clinics.csv has them in columns."""

    verified: Any | None  # the register's "verified lab accreditation" flag
    sart: Any | None  # SART membership, yes or no
    bodies: list[Any]  # named lab accreditation bodies
    societies: list[Any]  # other professional societies


def sort_accreditations(rows: Iterable[Any]) -> AccreditationRows:
    """Works on ORM rows and on plain result rows alike (anything with kind, body, status…)."""
    sorted_rows = AccreditationRows(None, None, [], [])
    verified = sart = None
    for row in rows:
        if row.kind is AccreditationKind.LAB and row.body == CDC_VERIFIED_LAB:
            verified = row
        elif row.kind is AccreditationKind.LAB:
            sorted_rows.bodies.append(row)
        elif row.body == SART_SOCIETY:
            sart = row
        else:
            sorted_rows.societies.append(row)
    return sorted_rows._replace(verified=verified, sart=sart)


class Accreditation(ProvenanceMixin, VerificationMixin, Model):
    __tablename__ = "accreditations"
    __table_args__ = (sa.UniqueConstraint("clinic_id", "kind", "body"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(sa.ForeignKey("clinics.id", ondelete="CASCADE"))
    kind: Mapped[AccreditationKind] = mapped_column(enum_column(AccreditationKind))
    body: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[AccreditationStatus] = mapped_column(enum_column(AccreditationStatus))

    clinic: Mapped[Clinic] = relationship(back_populates="accreditations")


class OutcomeFigure(ProvenanceMixin, Model):
    __tablename__ = "outcome_figures"
    __table_args__ = (sa.UniqueConstraint("clinic_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(sa.ForeignKey("clinics.id", ondelete="CASCADE"))
    year: Mapped[int]
    total_cycles: Mapped[int | None]
    fertility_preservation_cycles: Mapped[int | None]
    pregnancies: Mapped[int | None]
    deliveries: Mapped[int | None]
    infants_born: Mapped[int | None]

    clinic: Mapped[Clinic] = relationship(back_populates="outcomes")


class MaleFactorFact(ProvenanceMixin, VerificationMixin, Model):
    __tablename__ = "male_factor_facts"
    __table_args__ = (sa.UniqueConstraint("clinic_id", "capability"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(sa.ForeignKey("clinics.id", ondelete="CASCADE"))
    capability: Mapped[MaleFactorCapability] = mapped_column(enum_column(MaleFactorCapability))
    availability: Mapped[Availability] = mapped_column(enum_column(Availability))

    clinic: Mapped[Clinic] = relationship(back_populates="male_factor")


class ClinicLanguage(ProvenanceMixin, VerificationMixin, Model):
    __tablename__ = "clinic_languages"
    __table_args__ = (sa.UniqueConstraint("clinic_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(sa.ForeignKey("clinics.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(sa.String(8))  # ISO 639-1 code

    clinic: Mapped[Clinic] = relationship(back_populates="languages")


clinic_admins = sa.Table(
    "clinic_admins",
    Model.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("clinic_id", sa.ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True),
)


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    # Empty until an invited admin sets a password through the emailed link.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Hash of the nonce in the current login's cookie: a cookie-held session can then be ended server-side.
    session_nonce_hash: Mapped[str | None] = mapped_column(sa.String(64))

    clinics: Mapped[list[Clinic]] = relationship(secondary=clinic_admins, order_by=Clinic.name)

    # Flask-Login's user interface; a disabled account is logged out on its next request.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)


class LoginThrottle(Model):
    """Failed logins counted per (account, source address) and per account; see services/login_throttle.py.

    Kept in the database so every web worker and host sees the same counts. `key` is a hash:
    the table holds neither the addresses nor the emails that were tried.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the audit log was last told about this account's failures, so it is told once per run.
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose name, not a password


class UserToken(Model):
    """A single-use, expiring link sent by email. Only a hash of the token is stored."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class ReportStatus(enum.StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # the confirmation email is on its way or unanswered
    QUEUED = "queued"  # confirmed; waiting for a worker (again, after a failed attempt)
    MAKING = "making"  # a worker has claimed it: rendering and sending
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; the patient is told on the status page
    EXPIRED = "expired"  # the confirmation link was never used


class ReportRequest(Model):
    """A patient's request for an emailed report: the job record the worker reloads by id.

    The answers and the address live here only until the report is sent (or the request
    expires); the keyed hash of the address stays until REPORT_RETENTION_DAYS for rate
    limiting. The queue itself carries nothing but this row's id.
    """

    __tablename__ = "report_requests"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # random UUID, never sequential
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus), index=True)
    locale: Mapped[str] = mapped_column(sa.String(8))
    answers: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    recipient: Mapped[str | None] = mapped_column(sa.String(254))
    # Keyed hash of the normalised address, kept for rate limiting after the address is gone.
    recipient_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    # An exception's class and SMTP code only: a server's message can quote the address.
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirm_by: Mapped[datetime] = mapped_column(UTCDateTime())  # the confirmation link's deadline
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when a worker claims the job; a claim older than the lease means the worker died.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Which claim holds the job: every write after the claim checks it, so a worker that lost its
    # lease (too slow, or the job erased) changes nothing and sends nothing.
    claim_token: Mapped[str | None] = mapped_column(sa.String(36))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # the whole row goes then


class DirectoryState(Model):
    """One row whose `revision` goes up with every change to any clinic or clinic fact.

    Each process keeps a search index of the directory and rebuilds it when this moves, so
    an edit shows in the next search on every web worker.
    """

    __tablename__ = "directory_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(default=0)


class DirectoryChange(Model):
    """The clinics one revision of the directory touched, written with the revision's bump.

    A worker whose search index is a few revisions old reads the index rows of these clinics only,
    not of all 100,000. A revision with no row here (a change to more than CHANGES_LOGGED clinics
    at once) makes the worker read everything again. No foreign key: a deleted clinic is a change too.
    """

    __tablename__ = "directory_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(index=True)
    clinic_id: Mapped[str] = mapped_column(sa.String(64))


DIRECTORY_MODELS = (Clinic, TreatmentOffer, Accreditation, OutcomeFigure, MaleFactorFact, ClinicLanguage)
# Beyond this many clinics in one flush (an import) the change is not itemised: a full rebuild is as quick.
CHANGES_LOGGED = 2_000
# Revisions whose changes are kept: an index further behind than this is rebuilt whole.
CHANGES_KEPT = 1_000


@sa.event.listens_for(Session, "before_flush")
def bump_directory_revision(session: Session, _context: Any, _instances: Any) -> None:
    changed = [
        instance
        for instance in (*session.new, *session.dirty, *session.deleted)
        if isinstance(instance, DIRECTORY_MODELS)
    ]
    if changed:
        # Through the connection, not the session: this runs inside a flush.
        connection = session.connection()
        bumped = connection.execute(sa.update(DirectoryState).values(revision=DirectoryState.revision + 1))
        if not bumped.rowcount:  # a database built without the migrations that seed the row
            connection.execute(sa.insert(DirectoryState).values(id=1, revision=1))
        clinic_ids = _changed_clinics(changed)
        if clinic_ids is None or len(clinic_ids) > CHANGES_LOGGED:
            return  # not itemised: the readers rebuild whole
        revision = connection.execute(sa.select(DirectoryState.revision)).scalar_one()
        connection.execute(
            sa.insert(DirectoryChange), [{"revision": revision, "clinic_id": clinic_id} for clinic_id in clinic_ids]
        )
        connection.execute(sa.delete(DirectoryChange).where(DirectoryChange.revision <= revision - CHANGES_KEPT))


def _changed_clinics(instances: Iterable[Any]) -> set[str] | None:
    """The clinics these rows belong to; None when one cannot be told (then nothing is itemised)."""
    clinic_ids: set[str] = set()
    for instance in instances:
        if isinstance(instance, Clinic):
            clinic_id = instance.id
        else:  # a new fact row appended to `clinic.offers` has no clinic_id until the flush
            clinic_id = instance.clinic_id
            if clinic_id is None and instance.clinic is not None:
                clinic_id = instance.clinic.id
        if clinic_id is None:
            return None
        clinic_ids.add(clinic_id)
        # A row moved to another clinic (or a clinic given another id) changes the one it left too.
        moved = sa.inspect(instance).attrs["id" if isinstance(instance, Clinic) else "clinic_id"].history.deleted
        clinic_ids.update(value for value in moved if value is not None)
    return clinic_ids


class JourneyAnswers(Model):
    """A patient's answers to the three questions, held here rather than in the cookie.

    The browser keeps only the random id (in the signed session cookie). Rows expire after
    an idle hour and are purged by a periodic job: health answers are kept no longer than
    the visit needs.
    """

    __tablename__ = "journey_answers"

    id: Mapped[str] = mapped_column(sa.String(43), primary_key=True)  # secrets.token_urlsafe(32)
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class AuditEntry(Model):
    """Who changed what, when: one row per changed field (or one per created clinic).

    No foreign keys on purpose: history must outlive the users and clinics it mentions.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # None when the change came from the command line (e.g. `flask clinics import`).
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(40))
    clinic_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    field: Mapped[str | None] = mapped_column(sa.String(80))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
