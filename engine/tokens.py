"""API tokens: made for an account (only their hash is kept), listed and revoked by their owner, and
recognised on every API request — with what uses each, when it was last used, and when it ends."""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, or_, select, update

from .actors import Actor, actor_of
from .errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated, Unavailable
from .forms import CONTROL
from .models import ApiToken, User, utcnow
from .store import Store
from .tidy import unseen_removed

audit = logging.getLogger("sengketa.audit")  # who changed which account (the case history covers cases)
log = logging.getLogger(__name__)

TOKEN_DAYS_MAX = 3650
TOKEN_LABEL_MAX = 100
TOKEN_USE_NOTED_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    created_at: datetime
    expires_at: datetime | None  # None: until revoked
    last_used_at: datetime | None  # to the nearest TOKEN_USE_NOTED_EVERY; None: never used
    label: str | None = None  # what uses it, as its owner said


def _when(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")  # (PostgreSQL answers in its own zone)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens:
    def __init__(self, store: Store):
        self.store = store

    def new(self, username: str, after: int | None = None, days: int | None = None,
            label: str | None = None) -> str:
        """A new API token; only its hash is stored, so this is the one time it can be read. `after` is the
        newest token id the caller saw (0: none): if another was made since, this request was sent twice
        (a reload, a replayed form) and makes nothing. The account row is locked, so of two at once one wins.
        `days`: it ends by itself that many days from now (None: when revoked). `label`: what uses it."""
        if days is not None and not (isinstance(days, int) and 1 <= days <= TOKEN_DAYS_MAX):
            raise Invalid("bad_days", "Masa berlaku token tidak valid.",
                          [{"field": "days", "message": f"Masa berlaku token 1–{TOKEN_DAYS_MAX} hari."}])
        label = " ".join(unseen_removed(label or "").split()) or None
        if label is not None and CONTROL.search(label):  # (PostgreSQL refuses a NUL; no page should show one)
            raise Invalid("bad_label", "Keterangan token tidak valid.",
                          [{"field": "label", "message": "Keterangan berisi karakter kendali; tulis teks biasa."}])
        if label is not None and len(label) > TOKEN_LABEL_MAX:
            raise Invalid("bad_label", "Keterangan token terlalu panjang.",
                          [{"field": "label", "message": f"Keterangan paling panjang {TOKEN_LABEL_MAX} karakter."}])
        token = secrets.token_urlsafe(32)
        with self.store.transaction(write=True) as session:
            user = session.scalar(select(User).where(User.username == username).with_for_update())
            if user is None:
                raise NotFound("no_user", f"Pengguna {username} tidak ditemukan.")
            if not user.active:  # else it would wake with the account: reactivating revives no token
                raise Forbidden("inactive", f"Akun {username} tidak aktif; aktifkan dulu, lalu buat tokennya.")
            if after is not None and self._newest_token(session, user.id) != after:
                raise Conflict("token_sent_twice", "Token baru sudah dibuat dari formulir ini.")
            now = utcnow()
            session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=now, label=label,
                                 expires_at=now + timedelta(days=days) if days else None))
        audit.info("api token made for %s%s", username, f" for {days} days" if days else "")
        return token

    @staticmethod
    def _newest_token(session, user_id: int) -> int:
        return session.scalar(select(func.max(ApiToken.id)).where(ApiToken.user_id == user_id)) or 0

    def of(self, actor: Actor) -> list[TokenInfo]:
        """One's own API tokens, newest first; the tokens themselves are not kept."""
        with self.store.transaction() as session:
            return [TokenInfo(*row) for row in session.execute(
                select(ApiToken.id, ApiToken.created_at, ApiToken.expires_at, ApiToken.last_used_at, ApiToken.label)
                .where(ApiToken.user_id == actor.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))]

    def revoke(self, actor: Actor, token_id: int) -> None:
        """Ends one of one's own tokens (someone else's is "not found", as if it did not exist)."""
        with self.store.transaction(write=True) as session:
            gone = session.execute(delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == actor.id))
            if gone.rowcount != 1:
                raise NotFound("no_token", "Token ini tidak ditemukan; mungkin sudah dicabut.")
            audit.info("api token %d revoked by %s", token_id, actor.username)

    def actor(self, token: str) -> Actor | None:
        """Whose token this is (None: no such token, or its account is inactive); a token past its end is
        refused in words that say so. Its use is noted at most every few minutes (a write, not one a request)."""
        now = utcnow()
        with self.store.transaction() as session:
            found = session.execute(select(User, ApiToken.id, ApiToken.expires_at, ApiToken.last_used_at)
                                    .join(ApiToken, ApiToken.user_id == User.id)
                                    .where(ApiToken.token_hash == _token_hash(token), User.active.is_(True))).first()
        if found is None:
            return None
        user, token_id, expires_at, last_used_at = found
        if expires_at is not None and expires_at <= now:
            raise Unauthenticated("token_expired", f"Token API ini berakhir pada {_when(expires_at)}; buat token "
                                                   "baru di halaman Akun dan pasang di sistem yang memakainya.")
        if last_used_at is None or now - last_used_at >= TOKEN_USE_NOTED_EVERY:
            try:  # bookkeeping: a request is not refused because the note could not be written
                with self.store.transaction(write=True) as session:  # (two at once both write the same minute)
                    session.execute(update(ApiToken).where(ApiToken.id == token_id, or_(
                        ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOKEN_USE_NOTED_EVERY))
                        .values(last_used_at=now))
            except (Conflict, Unavailable) as exc:  # the database busy with a long write, or gone a moment
                log.warning("api token %d: its use not noted (%s)", token_id, exc.code)
        return actor_of(user)
