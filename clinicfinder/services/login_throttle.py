"""Login throttling that slows a guesser without letting anyone lock an admin out.

Following OWASP's Authentication Cheat Sheet, failures are counted per (account, source address):
after a few free tries that pair waits, 1 s, 2 s, 4 s … up to `MAX_DELAY`, and is told how long
instead of a worker sleeping. Nothing ever blocks a correct password from an address that has not
failed, so an attacker's guesses, from one address or from thousands, cannot lock the owner out.

Per account, failures from every address are counted too. Past `ACCOUNT_CEILING` in one
window the account is "under attack": an address then gets no free tries (its first failure
already waits), which caps a rotating-address attacker at one guess per address per delay,
while the owner's correct password from a fresh address still gets in. Past `ALERT_AFTER`
the audit log says so, once per window.

Keys are hashed, and the same rows exist for unknown emails as for real ones, so neither the
table nor the answers tell which accounts exist.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError

from clinicfinder.db.models import AuditEntry, LoginThrottle

if TYPE_CHECKING:  # a type only: db.directory (the CSV records) is not needed at run time
    from clinicfinder.db.directory import AnySession

FREE_FAILURES = 3  # per (account, address): typos cost nothing
MAX_DELAY = timedelta(minutes=15)
ACCOUNT_CEILING = 20  # failures per window from all addresses before every address loses its free tries
ALERT_AFTER = 10  # failures per window that the audit log reports
WINDOW = timedelta(hours=1)  # an account's count starts again after this long without a failure
FORGET_AFTER = timedelta(days=1)  # a pair's count (and its delay) starts again after a quiet day


@dataclass(frozen=True)
class Verdict:
    """Whether this address may try a password for this account now, and if not, for how long it waits."""

    wait_seconds: int = 0

    @property
    def allowed(self) -> bool:
        return self.wait_seconds == 0


def _key(kind: str, *parts: str) -> str:
    return hashlib.sha256("\x1f".join((kind, *parts)).encode()).hexdigest()


def pair_key(email: str, address: str) -> str:
    return _key("pair", email, address)


def account_key(email: str) -> str:
    return _key("account", email)


def _row(session: AnySession, key: str) -> LoginThrottle | None:
    return session.get(LoginThrottle, key, populate_existing=True)


def check(session: AnySession, email: str, address: str, now: datetime) -> Verdict:
    row = _row(session, pair_key(email, address))
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return Verdict()
    return Verdict(wait_seconds=max(1, int((row.blocked_until - now).total_seconds() + 0.999)))


def _count_failure(session: AnySession, key: str, now: datetime, fresh_after: timedelta) -> LoginThrottle:
    """Add one failure to `key`'s row, atomically in SQL so parallel workers never lose one."""
    stale = now - fresh_after
    # A quiet row starts again from zero; the CASE keeps this a single statement.
    restart = LoginThrottle.last_failure_at < stale
    changed = session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(
            failures=case((restart, 1), else_=LoginThrottle.failures + 1),
            first_failure_at=case((restart, now), else_=LoginThrottle.first_failure_at),
            blocked_until=case((restart, None), else_=LoginThrottle.blocked_until),
            alerted_at=case((restart, None), else_=LoginThrottle.alerted_at),
            last_failure_at=now,
        )
    )
    if not getattr(changed, "rowcount", 0):
        try:
            with session.begin_nested():
                session.add(LoginThrottle(key=key, failures=1, first_failure_at=now, last_failure_at=now))
        except IntegrityError:  # another worker inserted it first: count on its row
            return _count_failure(session, key, now, fresh_after)
    row = _row(session, key)
    assert row is not None  # just written in this transaction
    return row


def delay_after(failures: int, free: int) -> timedelta:
    """The wait after the `failures`-th failure: none for the free ones, then doubling from one second."""
    if failures <= free:
        return timedelta(0)
    return min(MAX_DELAY, timedelta(seconds=2 ** min(failures - free - 1, 20)))


def record_failure(session: AnySession, email: str, address: str, now: datetime, *, account_exists: bool) -> None:
    """Count a wrong password (or unknown email) from `address`; commits."""
    account = _count_failure(session, account_key(email), now, WINDOW)
    pair = _count_failure(session, pair_key(email, address), now, FORGET_AFTER)
    free = 0 if account.failures > ACCOUNT_CEILING else FREE_FAILURES
    wait = delay_after(pair.failures, free)
    if wait:
        pair.blocked_until = now + wait
    if account_exists and account.failures >= ALERT_AFTER and account.alerted_at is None:
        # Claimed in SQL so that two workers crossing the threshold together write one entry.
        claimed = session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == account.key, LoginThrottle.alerted_at.is_(None))
            .values(alerted_at=now)
        )
        if getattr(claimed, "rowcount", 0):
            session.add(
                AuditEntry(
                    actor_id=None,
                    actor_label="login throttle",
                    action="login.many_failures",
                    field="user",
                    new_value=f"{email}: {account.failures} failed logins since "
                    f"{account.first_failure_at:%Y-%m-%d %H:%M} UTC",
                )
            )
    session.commit()


def record_success(session: AnySession, email: str, address: str) -> None:
    """The right password from this address: its own count starts again. The account's does not,
    so a guesser elsewhere still meets the ceiling and the alert."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == pair_key(email, address)))
    session.commit()


def purge(session: AnySession, now: datetime) -> int:
    """Delete rows quiet for longer than any count or delay lasts."""
    cutoff = now - max(FORGET_AFTER, WINDOW, MAX_DELAY)
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < cutoff))
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def failures_for(session: AnySession, email: str) -> int:
    """The account's failures in the current window (for tests and the admin's curiosity)."""
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.key == account_key(email)))
    return row.failures if row else 0
