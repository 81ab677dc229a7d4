"""Emailed reports, from the patient's request to the sent PDF — and nothing kept afterwards.

The `report_requests` row is the job: the web request writes it and enqueues its id; the
worker claims it with one conditional UPDATE (so two workers never make the same report),
renders the PDF into REPORTS_DIR, sends it, and marks `sent_at`. A failed attempt is
rescheduled with backoff; a claim older than the lease means the worker died, and the
periodic sweep hands the job out again. The queue can lose nothing that matters: the sweep
re-enqueues from the table.

Double opt-in: the first email only asks the address's owner to confirm; the report (with
the health answers in it) goes out only after that.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from flask_mail import Attachment
from itsdangerous import BadSignature, URLSafeTimedSerializer

from clinicfinder.core.domain import Treatment
from clinicfinder.core.matching.engine import SearchQuery
from clinicfinder.core.matching.money import Money
from clinicfinder.core.matching.ordering import DEFAULT_ORDER
from clinicfinder.core.place_defaults import report_paper
from clinicfinder.db import erasure
from clinicfinder.db.models import ReportRequest, ReportStatus
from clinicfinder.email import compose, external_url
from clinicfinder.extensions import db, mail, queue
from clinicfinder.services import journey, leases
from clinicfinder.services import search as services
from clinicfinder.services.delivery_errors import describe_error, is_permanent, retry_delay
from clinicfinder.services.report_retention import delete_requests, pdf_path, stored_pdf

if TYPE_CHECKING:  # the report builder and PDF renderer load with the first report (make_report_pdf), not at start-up
    from clinicfinder.core.report.builder import Report
log = logging.getLogger(__name__)

CONFIRM_SALT = "report-confirm"
ERASE_SALT = "report-erase"


def now() -> datetime:
    return datetime.now(UTC)


# --- addresses -------------------------------------------------------------------------------


def normalise_address(address: str) -> str:
    """One spelling per mailbox, for rate limiting: case, +tags and Gmail's dots don't make a new one."""
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def address_hash(address: str) -> str:
    """A keyed hash: without SECRET_KEY nobody can test an address against the table."""
    key = hashlib.sha256(b"recipient-hash:" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, normalise_address(address).encode(), hashlib.sha256).hexdigest()


def requests_for_address(address: str, within: timedelta = timedelta(days=1)) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ReportRequest)
            .where(ReportRequest.recipient_hash == address_hash(address), ReportRequest.created_at > now() - within)
        )
        or 0
    )


# --- links in the emails ---------------------------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def confirm_token(report_id: str) -> str:
    return _serializer(CONFIRM_SALT).dumps(report_id)


def erase_token(report_id: str) -> str:
    return _serializer(ERASE_SALT).dumps(report_id)


def _read_token(token: str, salt: str, max_age: timedelta) -> str | None:
    try:
        value = _serializer(salt).loads(token, max_age=int(max_age.total_seconds()))
    except BadSignature:  # also SignatureExpired
        return None
    return value if isinstance(value, str) else None


# --- the web side ----------------------------------------------------------------------------


def snapshot(answers: dict[str, Any], place_label: str) -> dict[str, Any]:
    """The least of the journey's answers that makes the report; the place as worded for the patient."""
    return {
        "place": {key: answers["place"].get(key) for key in ("latitude", "longitude", "country")},
        "place_label": place_label,
        "radius_km": journey.radius_km(answers),
        "unit": answers.get("unit", "km"),
        "treatment": answers["treatment"],
        "diagnosis": answers.get("diagnosis"),
        "situation": answers.get("situation"),
        "age_band": answers.get("age_band"),
        "order": answers.get("order", DEFAULT_ORDER),
        "budget": answers.get("budget"),
        "currency": answers["currency"],
        "include_unpriced": answers.get("include_unpriced", True),
        "paper": answers.get("paper"),  # None: the place's default, decided when the report is made
    }


# What the emailed PDF will be, for the wording of the pages and the email before it is made: the
# first-visit guide alone when no clinic fits the answers, else the report (Report.guide_only).
GUIDE, REPORT = "guide", "report"


def pdf_kind(answers: dict[str, Any], language: str) -> str:
    """GUIDE or REPORT for a snapshot, by the search as it stands now.

    The PDF decides again from its own search when it is made; the directory rarely changes in between,
    and the words said before then (confirmation email, progress page) should match what the patient was offered.
    """
    return GUIDE if report_from_snapshot(answers, language, now()).guide_only else REPORT


def kind_of(row: ReportRequest | None) -> str | None:
    """The kind recorded with the request while its answers are kept (they go once it is sent)."""
    if row is None or not row.answers:
        return None
    kind = row.answers.get("kind")
    return kind if kind in (GUIDE, REPORT) else REPORT  # a request recorded before the kind was


def request_report(answers: dict[str, Any], language: str, recipient: str) -> ReportRequest | None:
    """Record an emailed report and queue its first email; None when the address has had enough today.

    The caller answers the same either way, so a stranger can't learn whether an address was used.
    """
    config = current_app.config
    if requests_for_address(recipient) >= config["REPORT_LIMIT_PER_ADDRESS"]:
        return None
    created = now()
    double_opt_in = config["REPORT_DOUBLE_OPT_IN"]
    row = ReportRequest(
        id=str(uuid.uuid4()),
        status=ReportStatus.AWAITING_CONFIRMATION if double_opt_in else ReportStatus.QUEUED,
        locale=language,
        answers=answers,
        recipient=recipient,
        recipient_hash=address_hash(recipient),
        attempts=0,
        created_at=created,
        confirm_by=created + timedelta(hours=config["REPORT_CONFIRM_HOURS"]),
        confirmed_at=None if double_opt_in else created,
        next_attempt_at=created,
        expires_at=created + timedelta(days=config["REPORT_RETENTION_DAYS"]),
    )
    db.session.add(row)
    db.session.commit()
    _enqueue(row)
    return row


def confirm(token: str) -> ReportRequest | None:
    """Use a confirmation link once: the report is queued; a second use changes nothing."""
    report_id = _read_token(token, CONFIRM_SALT, timedelta(hours=current_app.config["REPORT_CONFIRM_HOURS"]))
    row = db.session.get(ReportRequest, report_id) if report_id else None
    if row is None:
        return None
    if row.status is not ReportStatus.AWAITING_CONFIRMATION:
        return row  # already confirmed (or expired): the status page says which
    if row.confirm_by < now():
        return None
    claimed = db.session.execute(
        sa.update(ReportRequest)
        .where(ReportRequest.id == row.id, ReportRequest.status == ReportStatus.AWAITING_CONFIRMATION)
        .values(
            status=ReportStatus.QUEUED,
            confirmed_at=now(),
            next_attempt_at=now(),
            attempts=0,
            claimed_at=None,
            last_error=None,
        )
    )
    db.session.commit()
    db.session.refresh(row)
    if getattr(claimed, "rowcount", 0):
        _enqueue(row)
    return row


def confirmation_pending(token: str) -> ReportRequest | None:
    """The request a confirmation link points at, without using the link (for the confirm page)."""
    report_id = _read_token(token, CONFIRM_SALT, timedelta(hours=current_app.config["REPORT_CONFIRM_HOURS"]))
    return db.session.get(ReportRequest, report_id) if report_id else None


def erase(token: str) -> bool:
    """The email's "delete everything" link: the request, its answers, address and PDF, at once."""
    report_id = _read_token(token, ERASE_SALT, timedelta(days=max(current_app.config["REPORT_RETENTION_DAYS"], 1)))
    if report_id is None:
        return False
    delete_requests([report_id], reclaim=False)
    # The patient asked for it: the table is rewritten now, on PostgreSQL too (rare, and a small table).
    erasure.scrub(db.session, ("report_requests",))
    return True


def report_status(report_id: str) -> ReportRequest | None:
    try:
        uuid.UUID(report_id)
    except ValueError:
        return None
    return db.session.get(ReportRequest, report_id)


def _enqueue(row: ReportRequest, delay: float | None = None) -> None:
    """Hand the id to the queue. If the queue is unreachable the row still waits: the sweep finds it."""
    task = "send_confirmation" if row.status is ReportStatus.AWAITING_CONFIRMATION else "deliver_report"
    try:
        queue.enqueue(task, row.id, delay)
    except Exception:  # the queue's storage is down: log without the id's owner, keep going
        log.warning("could not enqueue a report job; the periodic sweep will pick it up", exc_info=True)


# --- the worker side -------------------------------------------------------------------------


def _claim(report_id: str, *conditions: Any, **values: Any) -> str | None:
    """Take the job if nobody else holds it: one conditional UPDATE, safe across processes and hosts.

    Returns the claim's token; every later write names it, so a worker that lost the job since
    (its lease ran out, or the patient erased the request) changes nothing and sends nothing.
    """
    token = str(uuid.uuid4())
    result = db.session.execute(
        sa.update(ReportRequest)
        .where(ReportRequest.id == report_id, ReportRequest.attempts < current_app.config["REPORT_MAX_ATTEMPTS"],
               *conditions)
        .values(claim_token=token, claimed_at=now(), attempts=ReportRequest.attempts + 1, **values)
    )  # fmt: skip
    db.session.commit()
    return token if getattr(result, "rowcount", 0) else None


def _if_still_ours(report_id: str, token: str, **values: Any) -> bool:
    result = db.session.execute(
        sa.update(ReportRequest)
        .where(ReportRequest.id == report_id, ReportRequest.claim_token == token)
        .values(**values)
    )
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


def _lease() -> timedelta:
    return leases.lease()


def _free_or_stale() -> Any:
    return sa.or_(ReportRequest.claimed_at.is_(None), ReportRequest.claimed_at < now() - _lease())


def _due() -> Any:
    # A second of slack: Huey's timer and ours are set a moment apart.
    return sa.or_(
        ReportRequest.next_attempt_at.is_(None), ReportRequest.next_attempt_at <= now() + timedelta(seconds=1)
    )


def send_confirmation(report_id: str) -> None:
    token = _claim(
        report_id,
        ReportRequest.status == ReportStatus.AWAITING_CONFIRMATION,
        ReportRequest.confirmation_sent_at.is_(None),
        ReportRequest.confirm_by > now(),  # never send a link that is already dead
        _due(),
        _free_or_stale(),
    )
    if token is None:
        return
    row = db.session.get(ReportRequest, report_id)
    if row is None or row.recipient is None:
        return  # erased between the claim and now
    try:
        message = compose(
            "confirm",
            row.recipient,
            row.locale,
            guide=kind_of(row) == GUIDE,
            confirm_url=external_url("report.confirm_page", t=confirm_token(row.id)),
            erase_url=external_url("report.erase_page", t=erase_token(row.id)),
            hours=current_app.config["REPORT_CONFIRM_HOURS"],
        )
        message.extra_headers = {"Auto-Submitted": "auto-generated"}
        if not _if_still_ours(report_id, token, claimed_at=now()):  # renew the lease, or stop: erased
            return
        mail.send(message)
    except Exception as error:  # a bug fails visibly and is retried like an outage, then gives up
        _attempt_failed(row, token, error)
        return
    _if_still_ours(report_id, token, confirmation_sent_at=now(), claimed_at=None, claim_token=None, last_error=None,
                   attempts=0, next_attempt_at=None)  # fmt: skip


def deliver_report(report_id: str) -> None:
    token = _claim(
        report_id,
        ReportRequest.sent_at.is_(None),
        sa.or_(
            sa.and_(ReportRequest.status == ReportStatus.QUEUED, _due()),
            # A worker that claimed it and then died (killed, out of memory, host lost).
            sa.and_(ReportRequest.status == ReportStatus.MAKING, ReportRequest.claimed_at < now() - _lease()),
        ),
        status=ReportStatus.MAKING,
    )
    if token is None:
        return
    row = db.session.get(ReportRequest, report_id)
    if row is None or row.recipient is None or row.answers is None:
        return  # erased between the claim and now
    with leases.heartbeat(report_id, token):
        _make_and_send(row, token)


def make_report_pdf(report: Report) -> bytes:
    from clinicfinder.pdf import renderer as pdf

    pdf.renderer.configure_from(current_app.config)
    return pdf.make_report_pdf(report)


def _make_and_send(row: ReportRequest, token: str) -> None:
    from clinicfinder.core.report.builder import file_name, summary_context

    report_id, answers, recipient = row.id, row.answers, row.recipient
    assert answers is not None and recipient is not None  # checked by the caller just after the claim
    try:
        report = report_from_snapshot(answers, row.locale, row.confirmed_at or row.created_at, emailed=True)
        pdf = stored_pdf(row.id, lambda: make_report_pdf(report))
        message = compose(
            "guide" if report.guide_only else "report",
            recipient,
            row.locale,
            attachments=[Attachment(file_name(report), "application/pdf", pdf)],
            erase_url=external_url("report.erase_page", t=erase_token(row.id)),
            **summary_context(report),  # the first page's table, readable without opening the PDF
        )
        message.extra_headers = {"Auto-Submitted": "auto-generated"}
        # The same id on every attempt: were a copy ever sent twice, mail systems could fold them.
        message.msgId = f"<report-{row.id}@{_mail_domain()}>"
        # Renew the lease just before sending, or stop: another worker has the job, or it was erased.
        if not _if_still_ours(report_id, token, claimed_at=now()):
            pdf_path(report_id).unlink(missing_ok=True)
            return
        mail.send(message)
    except Exception as error:  # a bug fails visibly and is retried like an outage, then gives up
        _attempt_failed(row, token, error)
        return
    # Sent: the answers, the address and our copy of the PDF have no reason to stay.
    _if_still_ours(report_id, token, status=ReportStatus.SENT, sent_at=now(), claimed_at=None, claim_token=None,
                   next_attempt_at=None, last_error=None, answers=None, recipient=None)  # fmt: skip
    pdf_path(report_id).unlink(missing_ok=True)
    erasure.checkpoint(db.session)  # and from the disk: no old copy of the row stays in the WAL


def _mail_domain() -> str:
    sender = str(current_app.config["MAIL_DEFAULT_SENDER"])
    return sender.rpartition("@")[2].rstrip(">").strip() or "clinicfinder.localhost"


def _attempt_failed(row: ReportRequest, token: str, error: BaseException) -> None:
    described = describe_error(error)
    if is_permanent(error) or row.attempts >= current_app.config["REPORT_MAX_ATTEMPTS"]:
        if _if_still_ours(row.id, token, status=ReportStatus.FAILED, next_attempt_at=None, answers=None,
                          recipient=None, claimed_at=None, claim_token=None, last_error=described):  # fmt: skip
            log.warning("report job gave up after %s attempt(s): %s", row.attempts, described)
        pdf_path(row.id).unlink(missing_ok=True)
        erasure.checkpoint(db.session)
        return
    delay = retry_delay(row.attempts, current_app.config["REPORT_RETRY_SECONDS"])
    retry_status = ReportStatus.QUEUED if row.status is ReportStatus.MAKING else row.status
    if _if_still_ours(row.id, token, status=retry_status, next_attempt_at=now() + delay, claimed_at=None,
                      claim_token=None, last_error=described):  # fmt: skip
        log.info(
            "report job attempt %s failed (%s); next in %s s", row.attempts, described, round(delay.total_seconds())
        )
        db.session.refresh(row)
        _enqueue(row, delay.total_seconds())


def is_delayed(row: ReportRequest) -> bool:
    """Waiting for another try after a failure that is not the recipient's: our disk, the relay, a lost worker."""
    recipients = row.last_error is not None and row.last_error.startswith("SMTPRecipientsRefused")
    return row.status is ReportStatus.QUEUED and row.last_error is not None and not recipients


def report_from_snapshot(answers: dict[str, Any], language: str, made_at: datetime, *, emailed: bool = False) -> Report:
    from clinicfinder.core.report.builder import REPORT_CLINICS, Report, ReportChoices

    budget = answers.get("budget")
    currency = answers["currency"]
    choices = ReportChoices(
        place=answers["place_label"],
        radius_km=answers.get("radius_km"),
        unit=answers.get("unit", "km"),
        treatment=Treatment(answers["treatment"]),
        diagnosis=answers.get("diagnosis"),
        situation=answers.get("situation"),
        age_band=answers.get("age_band"),
        budget=None if budget is None else Money(Decimal(budget), currency),
        currency=currency,
        include_unpriced=answers.get("include_unpriced", True),
        paper=report_paper(answers.get("paper"), answers["place"].get("country"), language),
        home=(answers["place"]["latitude"], answers["place"]["longitude"]),
    )
    query = SearchQuery(
        latitude=answers["place"]["latitude"],
        longitude=answers["place"]["longitude"],
        radius_km=choices.radius_km,
        treatment=choices.treatment,
        budget=choices.budget,
        currency=currency,
        include_unpriced=choices.include_unpriced,
        language=language,
        distance_unit=choices.unit,
        age_band=choices.age_band,
        order=answers.get("order", DEFAULT_ORDER),
        limit=REPORT_CLINICS,
    )
    outcome = services.search_clinics(query)
    return Report(language=language, made_on=made_at.date(), choices=choices, outcome=outcome, emailed=emailed)


def download_report(answers: dict[str, Any], language: str, place_label: str) -> tuple[bytes, str]:
    """The PDF made at once for the browser: nothing stored, nothing queued."""
    from clinicfinder.core.report.builder import file_name

    report = report_from_snapshot(snapshot(answers, place_label), language, now())
    return make_report_pdf(report), file_name(report)


# --- housekeeping ----------------------------------------------------------------------------


def sweep() -> int:
    """Re-enqueue jobs the queue lost or a dead worker left; returns how many."""
    _give_up_on_exhausted()
    overdue = now() - timedelta(seconds=60)  # a job enqueued a moment ago is still in the queue
    rows = db.session.scalars(
        sa.select(ReportRequest).where(
            sa.or_(
                sa.and_(ReportRequest.status == ReportStatus.AWAITING_CONFIRMATION,
                        ReportRequest.confirmation_sent_at.is_(None), ReportRequest.next_attempt_at < overdue,
                        ReportRequest.confirm_by > now()),
                sa.and_(ReportRequest.status == ReportStatus.QUEUED, ReportRequest.next_attempt_at < overdue),
                sa.and_(ReportRequest.status == ReportStatus.MAKING, ReportRequest.claimed_at < now() - _lease()),
            )
        )
    ).all()  # fmt: skip
    for row in rows:
        _enqueue(row)
    return len(rows)


def _give_up_on_exhausted() -> None:
    """Jobs whose every attempt ended in a crash (no worker lived to record the failure)."""
    result = db.session.execute(
        sa.update(ReportRequest)
        .where(
            ReportRequest.attempts >= current_app.config["REPORT_MAX_ATTEMPTS"],
            ReportRequest.status.in_([ReportStatus.AWAITING_CONFIRMATION, ReportStatus.QUEUED, ReportStatus.MAKING]),
            ReportRequest.sent_at.is_(None),
            ReportRequest.confirmation_sent_at.is_(None) | (ReportRequest.status != ReportStatus.AWAITING_CONFIRMATION),
            _free_or_stale(),
        )
        .values(status=ReportStatus.FAILED, answers=None, recipient=None, claimed_at=None, claim_token=None,
                next_attempt_at=None, last_error="gave up: no attempt finished")
    )  # fmt: skip
    db.session.commit()
    if getattr(result, "rowcount", 0):
        erasure.checkpoint(db.session)
