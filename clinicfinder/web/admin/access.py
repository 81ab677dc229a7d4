"""Who may call which admin view, declared on the view and enforced on every object.

Every view under /admin and /account carries an `access` mark, and the access-control
test walks the URL map and fails on a view without one:
- "public": anyone (login, password links);
- "admin": any logged-in admin; the view itself scopes what it shows to `visible_clinic_ids`;
- "clinic": the clinic in the URL must be one the admin manages (site admins: any), else 404,
  so another clinic's admin can't even learn which ids exist;
- "site": site admins only, else 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Literal

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import Select, select

from clinicfinder.core.domain import Role
from clinicfinder.db.models import Clinic, User, clinic_admins
from clinicfinder.extensions import db

Access = Literal["public", "admin", "clinic", "site"]
View = Callable[..., ResponseReturnValue]


def _mark(view: Any, access: Access) -> None:
    view.access = access


def public_view(view: View) -> View:
    _mark(view, "public")
    return view


def admin_view(view: View) -> View:
    wrapped: View = login_required(view)
    _mark(wrapped, "admin")
    return wrapped


def site_admin_view(view: View) -> View:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not is_site_admin(current_user):
            abort(403)
        return view(*args, **kwargs)

    wrapped: View = login_required(wrapper)
    _mark(wrapped, "site")
    return wrapped


def clinic_view(view: Callable[..., ResponseReturnValue]) -> View:
    """The view receives the Clinic object instead of `clinic_id`, already checked against the user."""

    @wraps(view)
    def wrapper(clinic_id: str, **kwargs: Any) -> ResponseReturnValue:
        return view(clinic_for(current_user, clinic_id), **kwargs)

    wrapped: View = login_required(wrapper)
    _mark(wrapped, "clinic")
    return wrapped


def is_site_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role is Role.SITE_ADMIN


def clinic_for(user: User, clinic_id: str) -> Clinic:
    clinic = db.session.scalar(visible_clinics(user).where(Clinic.id == clinic_id))
    if clinic is None:
        abort(404)
    return clinic


def visible_clinics(user: User) -> Select[Clinic]:
    """Every query for an admin's clinics starts here: one place decides the scope."""
    query = select(Clinic)
    if user.role is not Role.SITE_ADMIN:
        query = query.join(clinic_admins, clinic_admins.c.clinic_id == Clinic.id).where(
            clinic_admins.c.user_id == user.id
        )
    return query


def visible_clinic_ids(user: User) -> list[str] | None:
    """None means every clinic (a site admin)."""
    if user.role is Role.SITE_ADMIN:
        return None
    return [clinic.id for clinic in user.clinics]


def expired_form(error: CSRFError) -> ResponseReturnValue:
    """An admin form with a missing or stale CSRF token: nothing is done; back to the page, in English."""
    if request.method != "POST":
        return error.description or "Bad request", 400
    flash("That form had expired, so nothing was saved. Please try again.", "error")
    rule = request.url_rule
    if rule is None or "GET" not in (rule.methods or ()):
        return redirect(url_for("admin.home"))
    return redirect(request.full_path.rstrip("?"))
