"""Identity service: users, their role, agency and lane; passwords (scrypt) and API tokens (hashed)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from .errors import Conflict, Invalid, NotFound
from .models import LANES, ROLES, Agency, ApiToken, User
from .store import Store

SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
USERNAME = re.compile(r"^[a-z0-9_.\-]{3,80}$")


@dataclass(frozen=True)
class Actor:
    """Who runs a command, as the engine's rules need to know them."""
    id: int
    username: str
    role: str
    agency_id: int | None = None
    lane: str | None = None
    email: str = ""

    def works(self, lane: str) -> bool:
        """Whether this actor may claim tasks of the lane (for the agency lane see also may_work)."""
        if self.role == lane:
            return True
        return self.role == "supervisor" and self.lane == lane and lane != "pemohon"

    def sees_all_cases(self) -> bool:
        return self.role != "pemohon"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return "scrypt${n}${r}${p}$".format(**SCRYPT) + base64.b64encode(salt).decode() + "$" + \
        base64.b64encode(digest).decode()


def check_password(stored: str, password: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=32,
                                n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _actor(user: User) -> Actor:
    return Actor(user.id, user.username, user.role, user.agency_id, user.lane, user.email)


class Identity:
    def __init__(self, store: Store):
        self.store = store

    def ensure_agency(self, code: str, name: str | None = None) -> int:
        with self.store.transaction(write=True) as session:
            agency = session.scalar(select(Agency).where(Agency.code == code))
            if agency is None:
                agency = Agency(code=code, name=name or code)
                session.add(agency)
                session.flush()
            return agency.id

    def add_user(self, username: str, role: str, email: str, password: str,
                 agency: str | None = None, lane: str | None = None) -> Actor:
        errors = []
        if not USERNAME.match(username or ""):
            errors.append({"field": "username", "message": "Nama pengguna 3-80 karakter: huruf kecil, angka, . _ -"})
        if role not in ROLES:
            errors.append({"field": "role", "message": f"Peran tidak dikenal; pilih salah satu: {', '.join(ROLES)}."})
        if "@" not in (email or ""):
            errors.append({"field": "email", "message": "Alamat e-mail tidak valid."})
        if len(password or "") < 8:
            errors.append({"field": "password", "message": "Kata sandi minimal 8 karakter."})
        if role == "pemohon" and not agency:
            errors.append({"field": "agency", "message": "Pengguna pemohon harus terikat pada instansi (--agency)."})
        if lane is not None and (lane not in LANES or role != "supervisor"):
            errors.append({"field": "lane", "message": "--lane hanya untuk supervisor: pemohon, tim_layanan "
                                                       "atau pandi."})
        if errors:
            raise Invalid("invalid", errors[0]["message"], errors)
        agency_id = self.ensure_agency(agency) if agency else None
        with self.store.transaction(write=True) as session:
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                raise Conflict("user_exists", f"Pengguna {username} sudah ada.")
            user = User(username=username, role=role, email=email, password_hash=hash_password(password),
                        agency_id=agency_id, lane=lane)
            session.add(user)
            session.flush()
            return _actor(user)

    def authenticate(self, username: str, password: str) -> Actor | None:
        with self.store.transaction() as session:
            user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
            if user is None or not check_password(user.password_hash, password):
                return None
            return _actor(user)

    def actor(self, user_id: int) -> Actor | None:
        with self.store.transaction() as session:
            user = session.get(User, user_id)
            return _actor(user) if user is not None and user.active else None

    def by_username(self, username: str) -> Actor:
        with self.store.transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound("no_user", f"Pengguna {username} tidak ditemukan.")
            return _actor(user)

    def new_token(self, username: str) -> str:
        """A new API token; only its hash is stored, so this is the one time it can be read."""
        token = secrets.token_urlsafe(32)
        with self.store.transaction(write=True) as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound("no_user", f"Pengguna {username} tidak ditemukan.")
            session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token)))
        return token

    def by_token(self, token: str) -> Actor | None:
        with self.store.transaction() as session:
            user = session.scalar(select(User).join(ApiToken, ApiToken.user_id == User.id)
                                  .where(ApiToken.token_hash == _token_hash(token), User.active.is_(True)))
            return _actor(user) if user is not None else None

    def agency_names(self) -> dict[int, str]:
        with self.store.transaction() as session:
            return dict(session.execute(select(Agency.id, Agency.name)).all())
