from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from clinicfinder.domain import ClinicStatus
from clinicfinder.extensions import db
from clinicfinder.models import Clinic

blueprint = Blueprint("patient", __name__)


@blueprint.get("/")
def landing() -> str:
    open_clinics = db.session.scalar(select(func.count()).select_from(Clinic).where(Clinic.status == ClinicStatus.OPEN))
    return render_template("patient/landing.html", open_clinics=open_clinics or 0)
