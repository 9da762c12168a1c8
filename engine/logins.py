"""Logins to the pages: each one a row, so that logging out ends it on the server (a copied cookie no longer
opens anything) and a login lasts a working day at most; and a name that keeps failing is made to wait, so a
password cannot be guessed at the speed of the network."""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .actors import Actor, actor_of
from .errors import Throttled
from .models import LoginAttempt, LoginSession, User, utcnow
from .store import Store

log = logging.getLogger(__name__)
LIFETIME = timedelta(hours=12)
FREE_FAILURES = 5  # attempts in a row; then each waits: 1 minute, doubling, at most WAIT_MOST
WAIT_MOST = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)  # failures this old are forgotten (and their rows removed)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key(secret: bytes, username: str, address: str) -> str:
    """The row's key: a hash, so a password typed into the name box is not kept in the clear; keyed with the
    app's secret, so a copy of the database cannot be checked against guessed names and addresses. Rows written
    under an earlier key (the unkeyed SHA-256 of before, a replaced SECRET_KEY) simply stop counting: a wait
    lasts minutes at most, and they are removed after FORGET_AFTER."""
    return hmac.new(secret, f"{_name(username)}|{address[:64]}".encode(), hashlib.sha256).hexdigest()


def _name(username: str) -> str:
    return username.strip().lower()[:80]


class Logins:
    def __init__(self, store: Store, identity, secret: str | bytes | None = None):
        """`secret`: the app's secret key. Without one (an engine built outside the app: tests, benchmarks) a
        random key, so failures count within this engine only."""
        self.store = store
        self.identity = identity
        secret = secret.encode() if isinstance(secret, str) else secret or secrets.token_bytes(32)
        # a key of its own, derived: the secret also signs the app's session cookies
        self._secret = hmac.new(secret, b"sengketa login attempts", hashlib.sha256).digest()

    def log_in(self, username: str, password: str, address: str = "") -> tuple[Actor, str] | None:
        """The actor and the login's token, or None for a wrong name or password. Each attempt is counted
        before its password is compared, so attempts sent at once cannot slip past the count; a name that
        failed FREE_FAILURES times in a row from one address waits there (a guesser elsewhere does not lock
        the officer out at their desk), known account or not (a refusal that said which names exist would
        help the guesser), right password or not."""
        key = _key(self._secret, username, address)
        self._count(key, username, address)
        actor = self.identity.authenticate(username, password)
        if actor is None:
            return None
        token, now = secrets.token_urlsafe(32), utcnow()
        with self.store.transaction(write=True) as session:
            session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))
            # logins nobody ended (a browser closed) go when any login is made: the table holds the day's logins
            session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
            session.add(LoginSession(id=_hash(token), user_id=actor.id, created_at=now, expires_at=now + LIFETIME))
        return actor, token

    def actor(self, user_id: int, token: str) -> Actor | None:
        """Who a login is, while it lasts and its account is active."""
        with self.store.transaction() as session:
            user = session.scalar(select(User).join(LoginSession, LoginSession.user_id == User.id)
                                  .where(User.id == user_id, User.active.is_(True),
                                         LoginSession.id == _hash(token), LoginSession.expires_at > utcnow()))
            return actor_of(user) if user is not None else None

    def log_out(self, token: str) -> None:
        with self.store.transaction(write=True) as session:
            session.execute(delete(LoginSession).where(LoginSession.id == _hash(token)))

    def _count(self, key: str, username: str, address: str) -> None:
        """Counts an attempt (a success removes the count), or refuses it while its name and address wait."""
        now = utcnow()
        for _try in range(2):  # two first attempts at once: one inserts, the other counts on it
            try:
                with self.store.transaction(write=True) as session:
                    session.execute(delete(LoginAttempt).where(LoginAttempt.last_failed_at < now - FORGET_AFTER))
                    attempt = session.scalar(select(LoginAttempt).where(LoginAttempt.key == key).with_for_update())
                    if attempt is None:
                        session.add(LoginAttempt(key=key, failures=1, last_failed_at=now))
                        return
                    if attempt.blocked_until is not None and attempt.blocked_until > now:
                        log.warning("login held back for %s from %s (%d failures in a row)",
                                    _logged(session, username), address or "?", attempt.failures)
                        raise _throttled(attempt.blocked_until - now)
                    attempt.failures += 1
                    attempt.last_failed_at = now
                    over = attempt.failures - FREE_FAILURES
                    if over >= 0:  # this attempt is still compared; the next ones wait
                        attempt.blocked_until = now + min(timedelta(minutes=2 ** over), WAIT_MOST)
                    return
            except IntegrityError:
                continue


def _logged(session, username: str) -> str:
    """An account's name as the log says it; a name that is no account is not written down (it may be a
    password typed into the wrong box)."""
    known = session.scalar(select(User.username).where(User.username == _name(username)))
    return f"account {known}" if known else "a name that is no account"


def _throttled(left: timedelta) -> Throttled:
    minutes = max(1, -(-int(left.total_seconds()) // 60))
    return Throttled("throttled", "Terlalu banyak percobaan masuk yang gagal dengan nama pengguna ini; "
                                  f"coba lagi dalam {minutes} menit.")
