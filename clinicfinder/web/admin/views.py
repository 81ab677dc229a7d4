"""Admin pages. Thin: parse the form, call one service function (listing, imports, health, accounts), render."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError

from clinicfinder.core.domain import ClinicStatus, Role
from clinicfinder.db.models import AuditEntry, Clinic, User, utcnow
from clinicfinder.extensions import db
from clinicfinder.services import account_emails as emails
from clinicfinder.services import accounts, listing
from clinicfinder.services import delivery_health as health
from clinicfinder.web.admin.access import (
    admin_view,
    clinic_for,
    clinic_view,
    expired_form,
    is_site_admin,
    site_admin_view,
    visible_clinic_ids,
    visible_clinics,
)

if TYPE_CHECKING:
    from clinicfinder.services.imports import UploadStore

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
blueprint.register_error_handler(CSRFError, expired_form)

CLINICS_PER_PAGE = 50
AUDIT_ROWS = 200


# The CSV import and export (services.imports, db.directory, core.directory.csvfile) are imported by the
# views that use them: only a site admin's directory pages need them, not a web process's start-up.
# So are the admin forms (with the directory's field rules, core.directory.records): only an admin's pages
# build one, and a patient-serving worker would otherwise import them at start.


def _uploads() -> UploadStore:
    from clinicfinder.services.imports import UploadStore

    return UploadStore(Path(current_app.config.get("ADMIN_UPLOADS_DIR") or Path(current_app.instance_path) / "uploads"))


@blueprint.route("/")
@admin_view
def home() -> ResponseReturnValue:
    from clinicfinder.web.admin.forms import ClinicFilterForm

    form = ClinicFilterForm(request.args)
    query = visible_clinics(current_user).order_by(Clinic.name)
    if form.validate() and form.q.data:
        like = f"%{form.q.data.strip()}%"
        query = query.where(or_(Clinic.name.ilike(like), Clinic.id.ilike(like), Clinic.city.ilike(like)))
    clinics = db.session.scalars(query.limit(CLINICS_PER_PAGE)).all()
    return render_template("admin/home.html", clinics=clinics, form=form, site_admin=is_site_admin(current_user))


@blueprint.route("/clinics/<clinic_id>", methods=["GET", "POST"])
@clinic_view
def edit_clinic(clinic: Clinic) -> ResponseReturnValue:
    from clinicfinder.web.admin.forms import ListingForm, StatusForm, VerifyClaimsForm, listing_form_data

    form = ListingForm(data=listing_form_data(listing.current_edit(clinic)), locked=listing.locked_fields(clinic))
    conflict = None
    if form.validate_on_submit():
        try:
            result = listing.save_listing(
                db.session,
                clinic,
                form.to_edit(),
                actor=current_user,
                loaded_version=form.loaded_version(),
                loaded_snapshot=listing.load_snapshot(form.snapshot.data),
                today=datetime.now(UTC).date(),
            )
        except listing.LockedFact as locked:
            form[locked.field_name].errors = [str(locked)]
        else:
            if isinstance(result, listing.Conflict):
                conflict = result
            else:
                flash(f"Saved. {len(result)} change(s) recorded; the listing is confirmed as of today.", "info")
                return redirect(url_for("admin.edit_clinic", clinic_id=clinic.id))
    if conflict is not None:
        # Start again from the listing as it now is, so a second save can't undo the first one.
        current = listing_form_data(listing.current_edit(clinic))
        form = ListingForm(formdata=None, data=current, locked=listing.locked_fields(clinic))
    if conflict is not None or not form.is_submitted():
        # The base of the next save: the current version, and what the page shows as "before".
        form.version.data = str(clinic.version)
        form.snapshot.data = listing.dump_snapshot(listing.snapshot(clinic))
    return render_template(
        "admin/edit_clinic.html",
        clinic=clinic,
        form=form,
        conflict=conflict,
        cdc_accreditations=listing.cdc_accreditations(clinic),
        site_admin=is_site_admin(current_user),
        status_form=StatusForm(status=clinic.status.value),
        verify_form=VerifyClaimsForm(shown=listing.claims_fingerprint(listing.pending_claims(clinic))),
        claims=listing.pending_claims(clinic),
    )


@blueprint.route("/clinics/<clinic_id>/history")
@clinic_view
def clinic_history(clinic: Clinic) -> ResponseReturnValue:
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.clinic_id == clinic.id).order_by(AuditEntry.id.desc()).limit(AUDIT_ROWS)
    ).all()
    return render_template("admin/audit.html", entries=entries, clinic=clinic)


@blueprint.route("/audit")
@admin_view
def audit() -> ResponseReturnValue:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_ROWS)
    clinic_ids = visible_clinic_ids(current_user)
    if clinic_ids is not None:  # a clinic admin: their clinics' history only, never account events
        query = query.where(AuditEntry.clinic_id.in_(clinic_ids))
    return render_template("admin/audit.html", entries=db.session.scalars(query).all(), clinic=None)


@blueprint.route("/clinics/<clinic_id>/status", methods=["POST"])
@site_admin_view
def clinic_status(clinic_id: str) -> ResponseReturnValue:
    from clinicfinder.web.admin.forms import StatusForm

    clinic = clinic_for(current_user, clinic_id)
    form = StatusForm()
    if form.validate_on_submit():
        listing.set_status(db.session, clinic, ClinicStatus(form.status.data), current_user)
        flash(f"{clinic.name} is now {clinic.status.value}.", "info")
    else:
        flash("Choose a status.", "error")
    return redirect(url_for("admin.edit_clinic", clinic_id=clinic.id))


@blueprint.route("/clinics/<clinic_id>/verify", methods=["POST"])
@site_admin_view
def verify_claims(clinic_id: str) -> ResponseReturnValue:
    from clinicfinder.web.admin.forms import VerifyClaimsForm

    clinic = clinic_for(current_user, clinic_id)
    form = VerifyClaimsForm()
    if form.validate_on_submit():
        if form.shown.data != listing.claims_fingerprint(listing.pending_claims(clinic)):
            flash("The clinic's claims changed after this page was shown, so nothing was verified. "
                  "Review them again below.", "error")  # fmt: skip
        else:
            count = listing.verify_claims(db.session, clinic, current_user, utcnow())
            flash(f"{count} claim(s) verified.", "info")
    return redirect(url_for("admin.edit_clinic", clinic_id=clinic.id))


@blueprint.route("/claims")
@site_admin_view
def claims() -> ResponseReturnValue:
    clinics = db.session.scalars(select(Clinic).order_by(Clinic.name)).all()
    pending = [(clinic, found) for clinic in clinics if (found := listing.pending_claims(clinic))]
    return render_template("admin/claims.html", pending=pending)


@blueprint.route("/users", methods=["GET", "POST"])
@site_admin_view
def users() -> ResponseReturnValue:
    from clinicfinder.web.admin.forms import ActiveForm, InviteForm, split_list

    form = InviteForm()
    if form.validate_on_submit():
        try:
            invited = accounts.invite(
                db.session, current_user, form.email.data, Role(form.role.data), split_list(form.clinics.data)
            )
        except accounts.AccountError as error:
            db.session.rollback()
            form[error.field].errors = [str(error)]
        else:
            if emails.queue_invitation(invited):
                flash(f"Invitation on its way to {invited.email}.", "info")
            else:
                flash("The account was created but the invitation could not be queued. Invite again.", "error")
            return redirect(url_for("admin.users"))
    everyone = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("admin/users.html", form=form, users=everyone, active_form=ActiveForm())


@blueprint.route("/users/<int:user_id>/active", methods=["POST"])
@site_admin_view
def user_active(user_id: int) -> ResponseReturnValue:
    from clinicfinder.web.admin.forms import ActiveForm

    if not 0 < user_id < 2**31:  # beyond any id, and beyond what the database's integer can hold
        abort(404)
    user = db.get_or_404(User, user_id)
    form = ActiveForm()
    if form.validate_on_submit():
        try:
            accounts.set_active(db.session, current_user, user, form.active.data == "1")
        except accounts.AccountError as error:
            flash(str(error), "error")
        else:
            flash(f"{user.email} is {'enabled' if user.active else 'disabled'}.", "info")
    return redirect(url_for("admin.users"))


@blueprint.route("/directory/import", methods=["GET", "POST"])
@site_admin_view
def upload() -> ResponseReturnValue:
    from clinicfinder.services import imports
    from clinicfinder.web.admin.forms import UploadForm

    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
        if len(data) > current_app.config["MAX_CONTENT_LENGTH"]:
            form.file.errors = [f"The file is larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes."]
        else:
            upload_id = _uploads().save(
                data,
                owner_id=current_user.id,
                revision=imports.directory_revision(db.session),
                filename=form.file.data.filename or "clinics.csv",
            )
            return redirect(url_for("admin.import_preview", upload_id=upload_id))
    return render_template("admin/upload.html", form=form)


@blueprint.errorhandler(413)
def upload_too_large(_error: Exception) -> ResponseReturnValue:
    from clinicfinder.web.admin.forms import UploadForm

    # Werkzeug stops reading at MAX_CONTENT_LENGTH (MAX_IMPORT_BYTES); say so next to the file field.
    form = UploadForm(formdata=None)
    form.file.errors = [f"The file is larger than the limit of {current_app.config['MAX_CONTENT_LENGTH']} bytes."]
    return render_template("admin/upload.html", form=form), 413


@blueprint.route("/directory/import/<upload_id>", methods=["GET", "POST"])
@site_admin_view
def import_preview(upload_id: str) -> ResponseReturnValue:
    from clinicfinder.services import imports
    from clinicfinder.web.admin.forms import ConfirmForm

    store = _uploads()
    stored = store.load(upload_id, owner_id=current_user.id)
    if stored is None:
        flash("That upload has expired or was already imported. Please upload the file again.", "error")
        return redirect(url_for("admin.upload"))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            summary = imports.commit(db.session, stored.data, previewed_revision=stored.revision, actor=current_user)
        except imports.StaleDirectory:
            store.delete(upload_id)
            flash("The directory changed since this preview, so nothing was imported. Upload the file again.", "error")
            return redirect(url_for("admin.upload"))
        except (SQLAlchemyError, ValueError):
            current_app.logger.exception("import failed")
            flash("The import failed and nothing was changed. Please try again.", "error")
            return redirect(url_for("admin.import_preview", upload_id=upload_id))
        store.delete(upload_id)
        flash(f"Imported: {summary.describe()}.", "info")
        return redirect(url_for("admin.upload"))
    preview = imports.preview(db.session, stored.data)
    fresh = preview.revision == stored.revision
    return render_template("admin/preview.html", preview=preview, stored=stored, form=form, fresh=fresh)


@blueprint.route("/directory/export")
@site_admin_view
def export() -> ResponseReturnValue:
    from clinicfinder.core.directory.csvfile import write_directory
    from clinicfinder.db.directory import export_directory

    stream = io.StringIO()
    write_directory(export_directory(db.session), stream)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    return Response(
        stream.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="clinics-{stamp}.csv"'},
    )


@blueprint.route("/health")
@site_admin_view
def delivery_health() -> ResponseReturnValue:
    return render_template("admin/health.html", health=health.delivery_health(db.session, utcnow()))
