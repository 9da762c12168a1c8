"""Logins to the pages: each one a row, so that logging out ends it on the server (a copied cookie no longer
opens anything) and a login lasts a working day at most; and a name that keeps failing is made to wait, so a
password cannot be guessed at the speed of the network."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .actors import Actor, actor_of
from .errors import Throttled
from .models import LoginAttempt, LoginSession, User, utcnow
from .store import Store

LIFETIME = timedelta(hours=12)
FREE_FAILURES = 5  # then each attempt waits: 1 minute, doubling, at most WAIT_MOST
WAIT_MOST = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)  # failures this old are forgotten (and their rows removed)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key(username: str) -> str:
    return username.strip().lower()[:80]


class Logins:
    def __init__(self, store: Store, identity):
        self.store = store
        self.identity = identity

    def log_in(self, username: str, password: str) -> tuple[Actor, str] | None:
        """The actor and the login's token, or None for a wrong name or password. A name that failed
        FREE_FAILURES times in a row is refused for a while, known account or not (a refusal that said which
        names exist would help the guesser), right password or not."""
        key, now = _key(username), utcnow()
        with self.store.transaction() as session:
            attempt = session.get(LoginAttempt, key)
            if attempt is not None and attempt.blocked_until is not None and attempt.blocked_until > now:
                raise _throttled(attempt.blocked_until - now)
        actor = self.identity.authenticate(username, password)
        if actor is None:
            self._failed(key)
            return None
        token = secrets.token_urlsafe(32)
        with self.store.transaction(write=True) as session:
            session.execute(delete(LoginAttempt).where(LoginAttempt.username == key))
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

    def _failed(self, key: str) -> None:
        now = utcnow()
        for _try in range(2):  # two first failures of one name at once: one inserts, the other counts on it
            try:
                with self.store.transaction(write=True) as session:
                    session.execute(delete(LoginAttempt).where(LoginAttempt.last_failed_at < now - FORGET_AFTER))
                    attempt = session.scalar(select(LoginAttempt).where(LoginAttempt.username == key)
                                             .with_for_update())
                    if attempt is None:
                        session.add(LoginAttempt(username=key, failures=1, last_failed_at=now))
                        return
                    attempt.failures += 1
                    attempt.last_failed_at = now
                    over = attempt.failures - FREE_FAILURES
                    if over >= 0:
                        attempt.blocked_until = now + min(timedelta(minutes=2 ** over), WAIT_MOST)
                    return
            except IntegrityError:
                continue


def _throttled(left: timedelta) -> Throttled:
    minutes = max(1, -(-int(left.total_seconds()) // 60))
    return Throttled("throttled", "Terlalu banyak percobaan masuk yang gagal dengan nama pengguna ini; "
                                  f"coba lagi dalam {minutes} menit.")
