"""The report from the results page: download it now, or have it emailed after a confirmation.

No id, token or answer is ever needed in a URL except the emailed links' own tokens: the
report being followed lives in the session, so the progress page is /report/progress for
everyone, and a request refused for abuse looks exactly like one accepted.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from clinicfinder.db.models import ReportRequest, ReportStatus
from clinicfinder.extensions import limiter
from clinicfinder.services import delivery, journey
from clinicfinder.web.language import current_language
from clinicfinder.web.patient.forms import ConfirmReportForm, ReportDownloadForm, ReportEmailForm
from clinicfinder.web.patient.views import place_label

blueprint = Blueprint("report", __name__, url_prefix="/report")

SESSION_KEY = "report"
# Shown while a request is unknown to us (a bot's, or one over the address's daily limit): the
# page must look the same as for a real request, so nobody learns whether an address was used.
UNDISCLOSED = "undisclosed"
# GUIDE or REPORT, kept beside the followed id: the request's own record of it goes with its answers once sent.
KIND_KEY = "report_kind"

# One limit shared by downloads and emailed requests: both make a PDF, the costly part.
report_limit = limiter.shared_limit(lambda: current_app.config["REPORT_LIMIT_PER_IP"], scope="report", methods=["POST"])


def _answers_or_none() -> dict[str, Any] | None:
    answers = journey.load()
    return answers if journey.first_missing_step(answers) is None else None


@blueprint.post("/download")
@report_limit
def download() -> BaseResponse:
    answers = _answers_or_none()
    if not ReportDownloadForm().validate_on_submit() or answers is None:
        return redirect(url_for("patient.results"))
    pdf, name = delivery.download_report(answers, current_language(), place_label(answers["place"]))
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blueprint.post("/email")
@report_limit
def email() -> BaseResponse:
    answers = _answers_or_none()
    if answers is None:
        return redirect(url_for("patient.results"))
    form = ReportEmailForm()
    if not form.validate_on_submit():
        typed = {"email": (request.form.get("email") or "")[:300]}
        errors = {field.name: [str(message) for message in field.errors] for field in form if field.errors}
        journey.update(rejected={"step": "report_email", "typed": typed, "errors": errors})
        return redirect(url_for("patient.results", _anchor="report"))
    if form.leave_blank.data:
        session[SESSION_KEY] = UNDISCLOSED  # a bot: answer as if it worked, make nothing
        session.pop(KIND_KEY, None)
        return redirect(url_for(".progress"))
    snapshot = delivery.snapshot(answers, place_label(answers["place"]))
    # Decided before the address check: a request refused for the address's limit is worded as an accepted one.
    snapshot["kind"] = delivery.pdf_kind(snapshot, current_language())
    row = delivery.request_report(snapshot, current_language(), form.email.data)
    session[SESSION_KEY] = row.id if row is not None else UNDISCLOSED
    session[KIND_KEY] = snapshot["kind"]
    return redirect(url_for(".progress"))


def _follow(row: ReportRequest) -> None:
    """This browser follows `row` from now on (it may not be the one that asked: the link was emailed)."""
    session[SESSION_KEY] = row.id
    if kind := delivery.kind_of(row):
        session[KIND_KEY] = kind


def _is_guide(row: ReportRequest | None) -> bool:
    """Whether the pages speak of the guide alone; the report's wording when nothing says otherwise."""
    return (delivery.kind_of(row) or session.get(KIND_KEY)) == delivery.GUIDE


def _followed() -> tuple[str | None, ReportRequest | None]:
    """What this browser follows (an id, UNDISCLOSED or None) and its request, if it still exists."""
    followed = session.get(SESSION_KEY)
    if not isinstance(followed, str):
        return None, None
    if followed == UNDISCLOSED:
        return followed, None
    return followed, delivery.report_status(followed)


def _stage(followed: str, row: ReportRequest | None) -> str:
    """awaiting_confirmation | queued | delayed | making | sent | failed | expired | gone — for the progress page."""
    if followed == UNDISCLOSED:
        return ReportStatus.AWAITING_CONFIRMATION.value  # exactly what a real request shows
    if row is None:
        return "gone"  # erased through the email's link, or purged after REPORT_RETENTION_DAYS
    if delivery.is_delayed(row):
        return "delayed"  # not "waiting for its turn": an attempt failed on our side and will be retried
    return row.status.value


@blueprint.get("/progress")
def progress() -> str | BaseResponse:
    followed, row = _followed()
    if followed is None:
        return redirect(url_for("patient.results"))
    return render_template(
        "report/progress.html",
        stage=_stage(followed, row),
        guide=_is_guide(row),
        limit=current_app.config["REPORT_LIMIT_PER_ADDRESS"],
        hours=current_app.config["REPORT_CONFIRM_HOURS"],
        download_form=ReportDownloadForm(),
    )


@blueprint.get("/progress.json")
def progress_json() -> BaseResponse | tuple[BaseResponse, int]:
    followed, row = _followed()
    if followed is None:
        return jsonify(error={"parameter": None, "message": "no report is being followed"}), 404
    stage = _stage(followed, row)
    return jsonify(stage=stage, message=stage_message(stage, guide=_is_guide(row)))


@blueprint.app_template_global("report_stage_message")
def stage_message(stage: str, guide: bool = False) -> str:
    if guide:  # the first-visit guide alone (no clinic fitted): the stages that name what is being made
        for_the_guide = {
            "queued": _("Address confirmed. Your guide is waiting for its turn."),
            "delayed": _(
                "Delayed — we are retrying. A problem on our side stopped your guide for now; "
                "we keep trying and send it as soon as it works."
            ),
            "making": _("Making your guide and sending it…"),
            "sent": _("Sent. Check your inbox for your first-visit guide."),
            "failed": _("We could not send your guide. Nothing was kept; you can download it instead."),
        }
        if stage in for_the_guide:
            return str(for_the_guide[stage])
    messages = {
        "awaiting_confirmation": _(
            "Waiting for you to confirm your address: open the email we sent and follow its link."
        ),
        "queued": _("Address confirmed. Your report is waiting for its turn."),
        "delayed": _(
            "Delayed — we are retrying. A problem on our side stopped your report for now; "
            "we keep trying and send it as soon as it works."
        ),
        "making": _("Making your report and sending it…"),
        "sent": _("Sent. Check your inbox for your report."),
        "failed": _("We could not send your report. Nothing was kept; you can download it instead."),
        "expired": _("The confirmation link was not used in time, so nothing was sent and your request was deleted."),
        "gone": _("This request no longer exists: it was deleted, with everything we held about it."),
    }
    return str(messages[stage])


@blueprint.get("/confirm")
def confirm_page() -> str | BaseResponse | tuple[str, int]:
    # Mail scanners open links to check them: a GET only shows a button, the POST sends.
    token = request.args.get("t", "")
    row = delivery.confirmation_pending(token) if token else None
    if row is None or row.status is ReportStatus.EXPIRED:
        return render_template("report/link_invalid.html"), 410
    if row.status is ReportStatus.FAILED:
        _follow(row)
        return redirect(url_for(".progress"))  # says so, and offers the download
    if row.status is not ReportStatus.AWAITING_CONFIRMATION:
        _follow(row)
        return render_template("report/already_confirmed.html", guide=_is_guide(row))
    if row.confirm_by < delivery.now():
        return render_template("report/link_invalid.html"), 410
    return render_template("report/confirm.html", form=ConfirmReportForm(token=token), guide=_is_guide(row))


@blueprint.post("/confirm")
def confirm() -> BaseResponse | tuple[str, int]:
    form = ConfirmReportForm()
    row = delivery.confirm(form.token.data) if form.validate_on_submit() else None
    if row is None:
        return render_template("report/link_invalid.html"), 410
    _follow(row)
    return redirect(url_for(".progress"))


@blueprint.get("/erase")
def erase_page() -> str:
    return render_template("report/erase.html", form=ConfirmReportForm(token=request.args.get("t", "")))


@blueprint.post("/erase")
def erase() -> str | tuple[str, int]:
    form = ConfirmReportForm()
    if not form.validate_on_submit() or not delivery.erase(form.token.data):
        return render_template("report/link_invalid.html"), 410
    if session.get(SESSION_KEY) not in (None, UNDISCLOSED):
        session.pop(SESSION_KEY)
        session.pop(KIND_KEY, None)
    return render_template("report/erased.html")
