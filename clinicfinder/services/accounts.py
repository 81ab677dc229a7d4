"""Account rules, without Flask: who may log in, throttling, single-use links, enabling and disabling.

Every function takes the SQLAlchemy session and `now`, so tests can move the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from clinicfinder.core.domain import Role
from clinicfinder.db.models import AuditEntry, Clinic, TokenPurpose, User, UserToken
from clinicfinder.services import login_throttle
from clinicfinder.services.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, needs_rehash, verify_password

if TYPE_CHECKING:  # a type only: db.directory (the CSV records) is not needed at run time
    from clinicfinder.db.directory import AnySession

TOKEN_LIFETIMES = {
    TokenPurpose.INVITATION: timedelta(days=3),
    TokenPurpose.PASSWORD_RESET: timedelta(hours=1),
}


class AccountError(ValueError):
    """A request the rules refuse; the message is safe to show to the admin who asked, next to `field`."""

    def __init__(self, message: str, field: str = "email") -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_rules(password: str) -> str | None:
    """The problem with a new password, in words, or None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    return None


def find_user(session: AnySession, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(
    session: AnySession, email: str, role: Role, *, password: str | None = None, clinic_ids: Iterable[str] = ()
) -> User:
    if find_user(session, email) is not None:
        raise AccountError(f"{normalise_email(email)} already has an account.")
    if password is not None and (problem := check_password_rules(password)):
        raise AccountError(problem, field="password")
    user = User(email=normalise_email(email), role=role, active=True)
    user.password_hash = hash_password(password) if password is not None else None
    user.clinics = _clinics(session, clinic_ids)
    session.add(user)
    session.flush()
    return user


def _clinics(session: AnySession, clinic_ids: Iterable[str]) -> list[Clinic]:
    wanted = sorted(set(clinic_ids))
    clinics = list(session.scalars(select(Clinic).where(Clinic.id.in_(wanted)))) if wanted else []
    missing = sorted(set(wanted) - {clinic.id for clinic in clinics})
    if missing:
        raise AccountError(f"No clinic has the id {', '.join(missing)}.", field="clinics")
    return clinics


@dataclass(frozen=True)
class LoginOutcome:
    """The user who logged in, or None; `wait_seconds` when this address must wait before trying again."""

    user: User | None = None
    wait_seconds: int = 0


def authenticate(session: AnySession, email: str, password: str, address: str, now: datetime) -> LoginOutcome:
    """Check a password tried from `address`, throttled per (account, address) by login_throttle.

    The caller shows one generic message for every failure, so the answer never tells an
    attacker which emails exist or which accounts are disabled: an unknown email costs the
    same hash and is throttled the same way as a real one.
    """
    email = normalise_email(email)
    verdict = login_throttle.check(session, email, address, now)
    if not verdict.allowed:
        return LoginOutcome(wait_seconds=verdict.wait_seconds)
    user = find_user(session, email)
    if user is None or not verify_password(user.password_hash, password) or not user.active:
        if user is None:
            verify_password(None, password)  # the same work as for a real account
        login_throttle.record_failure(session, email, address, now, account_exists=user is not None)
        return LoginOutcome()
    login_throttle.record_success(session, email, address)
    user.last_login_at = now
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.commit()
    return LoginOutcome(user=user)


def start_session(session: AnySession, user: User) -> str:
    """A fresh nonce for the new login's cookie; it also ends the user's previous login anywhere else."""
    nonce = secrets.token_urlsafe(32)
    user.session_nonce_hash = _digest(nonce)
    session.commit()
    return nonce


def session_is_current(user: User, nonce: str | None) -> bool:
    if not nonce or not user.session_nonce_hash:
        return False
    return hmac.compare_digest(user.session_nonce_hash, _digest(nonce))


def end_session(session: AnySession, user: User) -> None:
    user.session_nonce_hash = None
    session.commit()


def issue_token(session: AnySession, user: User, purpose: TokenPurpose, now: datetime) -> str:
    """A new single-use link token; earlier unused links of the same kind stop working."""
    session.execute(
        update(UserToken)
        .where(UserToken.user_id == user.id, UserToken.purpose == purpose, UserToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + TOKEN_LIFETIMES[purpose],
        )
    )
    session.commit()
    return token


def valid_token(session: AnySession, token: str, now: datetime) -> UserToken | None:
    row = session.scalar(select(UserToken).where(UserToken.token_hash == _digest(token)))
    if row is None or row.used_at is not None or row.expires_at <= now or not row.user.active:
        return None
    return row


def set_password_with_token(session: AnySession, token: str, password: str, now: datetime) -> User | None:
    """Use the link once: set the password and end every existing login."""
    row = valid_token(session, token, now)
    if row is None:
        return None
    if problem := check_password_rules(password):
        raise AccountError(problem, field="password")
    # Used once even by two requests at the same moment: only one UPDATE finds it unused.
    used = session.execute(
        update(UserToken).where(UserToken.id == row.id, UserToken.used_at.is_(None)).values(used_at=now)
    )
    if not getattr(used, "rowcount", 0):
        session.rollback()
        return None
    user = row.user
    user.password_hash = hash_password(password)
    user.session_nonce_hash = None
    session.add(_audit(None, user.email, f"user.{row.purpose.value}_used", user.email))
    session.commit()
    return user


def invite(session: AnySession, actor: User, email: str, role: Role, clinic_ids: Iterable[str]) -> User:
    """Create (or re-invite) an admin without a password; the worker then mails the link (account_emails)."""
    clinic_ids = list(clinic_ids)
    if role is Role.CLINIC_ADMIN and not clinic_ids:
        raise AccountError("Choose at least one clinic for a clinic admin.", field="clinics")
    user = find_user(session, email)
    if user is not None and user.password_hash is not None:
        raise AccountError(f"{user.email} already has an account; use “Disable” or a password reset instead.")
    if user is None:
        user = create_user(session, email, role, clinic_ids=clinic_ids if role is Role.CLINIC_ADMIN else ())
    else:
        user.role = role
        user.clinics = _clinics(session, clinic_ids if role is Role.CLINIC_ADMIN else ())
    session.add(_audit(actor, actor.email, "user.invite", user.email, detail=f"{role.value} {' '.join(clinic_ids)}"))
    session.commit()
    return user


def request_reset(session: AnySession, email: str, now: datetime) -> tuple[User, str] | None:
    user = find_user(session, email)
    if user is None or not user.active or user.password_hash is None:
        return None
    return user, issue_token(session, user, TokenPurpose.PASSWORD_RESET, now)


def set_active(session: AnySession, actor: User, user: User, active: bool) -> None:
    if user.id == actor.id:
        raise AccountError("You cannot disable your own account.")
    if user.active == active:
        return
    user.active = active
    if not active:
        user.session_nonce_hash = None  # logged out on the next request
    session.add(_audit(actor, actor.email, "user.enable" if active else "user.disable", user.email))
    session.commit()


def _audit(actor: User | None, label: str, action: str, email: str, detail: str | None = None) -> AuditEntry:
    return AuditEntry(
        actor_id=actor.id if actor else None,
        actor_label=label,
        action=action,
        field="user",
        old_value=None,
        new_value=f"{email} {detail}".strip() if detail else email,
    )
