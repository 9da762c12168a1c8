"""Identity service: users, their role, agency and lane, and their passwords (scrypt); API tokens: tokens.py."""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .account_checks import KEEP, USERNAME, account_problems, name_problems, password_problems, tidy_name
from .actors import Actor, actor_of, active_admins, require_admin, still_admin
from .errors import Conflict, Forbidden, Invalid, NotFound
from . import sql
from .models import Agency, ApiToken, HumanTask, Instance, LoginSession, User, utcnow
from .store import Store

SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
audit = logging.getLogger("sengketa.audit")  # who changed which account (the case history covers cases)


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


# A wrong name is checked against this, so it takes as long as a wrong password: the time does not tell
# which names exist.
_NOBODY = hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Account:
    """A user as an administrator sees them."""
    username: str
    role: str
    email: str
    agency: str | None
    lane: str | None
    active: bool
    created_at: datetime
    tokens: int
    agency_code: str | None = None
    full_name: str | None = None


class Identity:
    def __init__(self, store: Store):
        self.store = store

    def ensure_agency(self, code: str, name: str | None = None) -> int:
        with self.store.transaction(write=True) as session:
            return _agency_id(session, code, name)

    def add_user(self, username: str, role: str, email: str, password: str,
                 agency: str | None = None, lane: str | None = None, by: Actor | None = None,
                 full_name: str | None = None, new_agency: bool = True) -> Actor:
        """`by` is the administrator adding the user from the pages (operators use the CLI). `new_agency` False:
        an agency code that does not exist yet is refused (the pages ask it to be confirmed as new, so a typo
        makes no agency)."""
        if by is not None:
            require_admin(by)
        full_name = tidy_name(full_name)
        errors = name_problems(full_name)
        if not USERNAME.fullmatch(username or ""):
            errors.append({"field": "username", "message": "Gunakan 3–80 karakter: huruf kecil, angka, titik, garis "
                                                          "bawah atau tanda hubung (tanpa spasi dan huruf besar)."})
        errors += self._account_problems(role, email, agency, lane, new_agency)
        errors += password_problems(password)
        if errors:
            raise Invalid("invalid", "Pengguna belum ditambahkan.", errors)
        password_hash = hash_password(password)
        for attempt in (1, 2):
            try:
                with self.store.transaction(write=True) as session:  # a refused user leaves no new agency behind
                    if session.scalar(select(User.id).where(User.username == username)) is not None:
                        raise Conflict("user_exists", f"Pengguna {username} sudah ada.")
                    agency_id = _agency_id(session, agency) if agency else None
                    user = User(username=username, role=role, email=email, password_hash=password_hash,
                                agency_id=agency_id, lane=lane, full_name=full_name)
                    session.add(user)
                    session.flush()
                    audit.info("user %s (%s) added by %s", username, role, by.username if by else "the command line")
                    return actor_of(user)
            except IntegrityError:
                # The same name or new agency added by someone else in between (PostgreSQL checks only at the
                # insert): once more, and the first check then sees it; a second clash is not expected.
                if attempt == 2:
                    raise Conflict("user_exists", f"Pengguna {username} baru saja ditambahkan bersamaan; "
                                                  "muat ulang daftar pengguna.") from None

    def _account_problems(self, role, email, agency, lane, new_agency: bool) -> list[dict]:
        """account_problems, and an agency code that does not exist yet unless it may be made — in one round with
        the others (a wrong e-mail and a mistyped code are both said at once)."""
        errors = account_problems(role, email, agency, lane)
        if new_agency or any(e["field"] == "agency" for e in errors) or not self.is_new_agency(agency):
            return errors
        return errors + [{"field": "agency", "message": f"Kode instansi {agency} belum ada. Periksa ejaannya, atau "
                                                        "nyatakan bahwa ini instansi baru."}]

    def authenticate(self, username: str, password: str) -> Actor | None:
        """The actor, or None for a wrong name or password (alike, and as slow); a deactivated account with
        its right password is told so, rather than sent to retry a password that is right."""
        with self.store.transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            if not check_password(user.password_hash if user is not None else _NOBODY, password) or user is None:
                return None
            if not user.active:
                raise Forbidden("inactive", "Akun Anda dinonaktifkan; hubungi administrator untuk mengaktifkannya.")
            return actor_of(user)

    def by_username(self, username: str) -> Actor:
        with self.store.transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound("no_user", f"Pengguna {username} tidak ditemukan.")
            return actor_of(user)

    # -- one's own account ----------------------------------------------------------------------
    def change_password(self, actor: Actor, current: str, new: str, repeated: str) -> Actor:
        """Every problem in one round; the returned actor carries the new session key (other logins end)."""
        errors = password_problems(new, "new")
        if new != repeated:
            errors.append({"field": "repeated", "message": "Ulangan kata sandi baru tidak sama."})
        with self.store.transaction(write=True) as session:
            user = session.get(User, actor.id)
            if user is None or not user.active:
                raise NotFound("no_user", "Pengguna tidak ditemukan.")
            if not check_password(user.password_hash, current or ""):
                errors.insert(0, {"field": "current", "message": "Kata sandi saat ini salah."})
            elif new and new == current:
                errors.append({"field": "new", "message": "Kata sandi baru harus berbeda dari yang sekarang."})
            if errors:
                raise Invalid("invalid", "Kata sandi belum diubah.", errors)
            user.password_hash = hash_password(new)
            session.flush()
            audit.info("password changed by %s", user.username)
            return actor_of(user)

    # -- administration -------------------------------------------------------------------------
    def accounts(self, admin: Actor | None, username: str | None = None) -> list[Account]:
        """Every user (or the one named), as the administrator's pages show them (None: the command line)."""
        if admin is not None:
            require_admin(admin)
        with self.store.transaction() as session:
            tokens = (select(ApiToken.user_id, func.count().label("n")).group_by(ApiToken.user_id).subquery())
            stmt = (select(User, Agency.name, Agency.code, tokens.c.n).outerjoin(Agency, Agency.id == User.agency_id)
                    .outerjoin(tokens, tokens.c.user_id == User.id).order_by(User.role, User.username))
            if username is not None:
                stmt = stmt.where(User.username == username)
            return [Account(u.username, u.role, u.email, agency, u.lane, u.active, u.created_at, n or 0, code,
                            u.full_name) for u, agency, code, n in session.execute(stmt).all()]

    def full_names(self, usernames=None) -> dict[str, str]:
        """The full names of those of these users (or of all users) who have one."""
        wanted = None if usernames is None else {u for u in usernames if u}
        if wanted is not None and not wanted:
            return {}
        stmt = select(User.username, User.full_name).where(User.full_name.is_not(None))
        if wanted is not None:
            stmt = stmt.where(User.username.in_(wanted))
        with self.store.transaction() as session:
            return dict(session.execute(stmt).all())

    def set_active(self, admin: Actor, username: str, active: bool) -> int:
        """Deactivating ends the user's logins, revokes their API tokens and puts the tasks they hold back in
        their lanes' queues (each release in its case's history), so no case waits on someone who has left;
        their cases and history stay. Returns how many tasks went back."""
        require_admin(admin)
        if username == admin.username and not active:
            raise Conflict("own_account", "Anda tidak dapat menonaktifkan akun Anda sendiri.")
        released = 0
        with self.store.command(write=True) as tx:
            session = tx.session
            still_admin(session, admin)
            user = self._user(session, username)
            user.active = active
            if not active:
                user.session_version = (user.session_version or 0) + 1  # reactivating does not revive logins
                session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
                session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
                released = _give_back(tx, user.id, admin, "deactivated")
            audit.info("%s %s by %s (%d tasks back in the queue)", username,
                       "activated" if active else "deactivated", admin.username, released)
        return released

    def change_user(self, admin: Actor | None, username: str, role: str, email: str, agency: str | None = None,
                    lane: str | None = None, full_name: str | None = KEEP, new_agency: bool = True) -> int:
        """An administrator corrects a user's role, e-mail, agency or supervised lane, by the rules of adding
        one. Tasks the user holds but may no longer work go back to their lanes' queues (each release in its
        case's history); the change holds from the user's next request. An administrator's own role stays
        (another administrator changes it), so nobody removes the last administration by mistake. Returns how
        many tasks went back. `admin` None: an operator on the command line. `new_agency`: as for add_user."""
        if admin is not None:
            require_admin(admin)
        if full_name is not KEEP:
            full_name = tidy_name(full_name)
        errors = self._account_problems(role, email, agency, lane, new_agency) + \
            name_problems(None if full_name is KEEP else full_name)
        if errors:
            raise Invalid("invalid", "Pengguna belum diubah.", errors)
        for attempt in (1, 2):
            try:
                return self._change_user(admin, username, role, email, agency, lane, full_name)
            except IntegrityError:
                # The new agency added by someone else in between (PostgreSQL checks only at the insert):
                # once more, and the lookup then finds it; a second clash is not expected.
                if attempt == 2:
                    raise Conflict("agency_exists", f"Instansi {agency} baru saja ditambahkan bersamaan; "
                                                    "coba lagi.") from None

    def _change_user(self, admin, username, role, email, agency, lane, full_name) -> int:
        with self.store.command(write=True) as tx:
            session = tx.session
            if admin is not None:
                still_admin(session, admin)
            user = self._user(session, username)
            if admin is not None and user.id == admin.id and role != user.role:
                raise Conflict("own_account", "Anda tidak dapat mengubah peran Anda sendiri; minta administrator "
                                              "lain mengubahnya.")
            if user.role == "admin" and role != "admin" and user.active:
                # (From the pages another, active administrator acts; from the command line, nobody might.)
                if active_admins(session) == [user.id]:
                    raise Conflict("last_admin", f"{username} adalah satu-satunya administrator aktif; "
                                                 "tambahkan administrator lain lebih dulu.")
            was = (user.role, user.email, user.agency_id, user.lane)
            user.role, user.email, user.lane = role, email, lane
            if full_name is not KEEP:
                user.full_name = full_name
            user.agency_id = _agency_id(session, agency) if agency else None
            now_is = actor_of(user)
            released = _give_back(tx, user.id, admin, "changed", keep=lambda t: now_is.may_work(t.lane, t.agency_id))
            audit.info("%s changed by %s: %s -> %s (%d tasks back in the queue)", username,
                       admin.username if admin else "the command line", was,
                       (role, email, user.agency_id, lane), released)
        return released

    def reset_password(self, admin: Actor | None, username: str, password: str) -> int:
        """A new password the administrator hands over, for an account that may be in the wrong hands: its
        logins end and its API tokens are revoked. Returns how many tokens were. One's own password is changed
        on one's account page, which asks for the current one. `admin` None: an operator on the command line
        (who may reset any account, the last administrator's included: there is nobody else to ask)."""
        if admin is not None:
            require_admin(admin)
            if username == admin.username:
                raise Conflict("own_account", "Kata sandi Anda sendiri diubah di halaman Akun, dengan kata sandi "
                                              "saat ini.")
        errors = password_problems(password)
        if errors:
            raise Invalid("invalid", errors[0]["message"], errors)
        with self.store.transaction(write=True) as session:
            if admin is not None:
                still_admin(session, admin)
            user = self._user(session, username)
            user.password_hash = hash_password(password)
            revoked = session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount
            # the key check already ends them; their rows go too, so nothing of a possibly stolen login stays
            session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
            audit.info("password of %s reset by %s (%d api tokens revoked)", username,
                       admin.username if admin else "the command line", revoked)
        return revoked

    @staticmethod
    def _user(session, username: str) -> User:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound("no_user", f"Pengguna {username} tidak ditemukan.")
        return user

    def agencies(self) -> list[tuple[str, str]]:
        """(code, name) of every agency, for choosing one."""
        with self.store.transaction() as session:
            return [tuple(row) for row in session.execute(select(Agency.code, Agency.name).order_by(Agency.name))]

    def is_new_agency(self, code: str | None) -> bool:
        """Whether a user given this agency code would make a new agency (a code no agency has yet)."""
        if not code:
            return False
        with self.store.transaction() as session:
            return session.scalar(select(Agency.id).where(Agency.code == code)) is None

    def agency_names(self) -> dict[int, str]:
        with self.store.transaction() as session:
            return dict(session.execute(select(Agency.id, Agency.name)).all())


def _agency_id(session, code: str, name: str | None = None) -> int:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        agency = Agency(code=code, name=name or code)
        session.add(agency)
        session.flush()
    return agency.id


def _give_back(tx, user_id: int, by: Actor | None, why: str, keep=lambda task: False) -> int:
    """The tasks a user holds go back to their lanes' queues (all, or those `keep` does not keep), each release
    in its case's history; the same conditional release as a command's, so a task completed meanwhile is left
    alone. `why`: "deactivated" or "changed" (its role, agency or lane), as the history says. Returns how many
    went back."""
    held = tx.session.execute(
        select(HumanTask.id, HumanTask.instance_id, HumanTask.element_id, HumanTask.name, HumanTask.lane,
               Instance.agency_id).join(Instance, Instance.id == HumanTask.instance_id)
        .where(HumanTask.claimed_by == user_id, HumanTask.state == "ready")).all()
    released = [t for t in held if not keep(t) and tx.run(sql.UNCLAIM, {"task_id": t.id, "holder": user_id}) == 1]
    if released:
        now = utcnow()
        tx.many(sql.ADD_HISTORY, [sql.history_row(
            instance_id=t.instance_id, at=now, user_id=by.id if by else None, event="task_released",
            task_id=t.id, element_id=t.element_id, name=t.name, detail={"why": why}) for t in released])
    return len(released)
