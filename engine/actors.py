"""Who runs a command, as the engine's rules need to know them, and the rules about who may do what."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from .errors import Forbidden
from .models import LANES, SUPERVISED_LANES, User


@dataclass(frozen=True)
class Actor:
    """Who runs a command, as the engine's rules need to know them."""
    id: int
    username: str
    role: str
    agency_id: int | None = None
    lane: str | None = None
    email: str = ""
    session_key: str = ""  # changes with the password: a login made before a change no longer holds

    def works(self, lane: str) -> bool:
        """Whether this actor may claim tasks of the lane (an agency's own: see may_work)."""
        if self.role == lane:
            return True
        return self.role == "supervisor" and self.lane == lane and lane != "pemohon"

    def worked_lanes(self) -> list[str]:
        """The lanes whose steps this actor takes from a queue."""
        return [lane for lane in LANES if self.works(lane)]

    def may_work(self, lane: str, agency_id: int) -> bool:
        """Whether this actor may work a task of the lane in a case of that agency (an agency's are its own)."""
        return self.works(lane) and (lane != "pemohon" or self.agency_id == agency_id)

    def sends_own_step(self, lane: str) -> bool:
        """An agency officer's steps are their own agency's (a correction, the receipt): they send them
        without taking them from a queue first; the step becomes theirs as it is sent."""
        return self.role == "pemohon" and lane == "pemohon"

    def assigns(self, lane: str) -> bool:
        """Whether this actor may give a step of the lane to a named officer: its supervisor, or the process
        owner (an agency's steps are its own officers', who send them without taking them)."""
        return lane in SUPERVISED_LANES and (self.role == "process_owner" or
                                             (self.role == "supervisor" and self.lane == lane))

    def sees_all_cases(self) -> bool:
        return self.role != "pemohon"


def may_see_case(user, case_agency_id):
    """SQL over a user row: still active, and may see a case of that agency (`Actor.sees_all_cases`; an
    agency's officer sees their own agency's cases only)."""
    return and_(user.active.is_(True), or_(user.role != "pemohon", user.agency_id == case_agency_id))


def actor_of(user: User) -> Actor:
    """The actor a user row is now; its session key ends the logins made before a password change."""
    key = hashlib.sha256(f"{user.password_hash}|{user.session_version or 0}".encode()).hexdigest()[:20]
    return Actor(user.id, user.username, user.role, user.agency_id, user.lane, user.email, key)


def require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("not_admin", "Hanya administrator yang dapat mengelola pengguna.")


def still_admin(session, admin: Actor) -> None:
    """Inside the command: the acting administrator is still an active one. The active administrators' rows
    are locked (PostgreSQL; SQLite serializes writers anyway), so two administrators deactivating each other
    at the same moment cannot both succeed and leave nobody to administer."""
    if admin.id not in active_admins(session):
        raise Forbidden("not_admin", "Akun administrator Anda tidak aktif lagi.")


def active_admins(session) -> list[int]:
    """The active administrators' ids, their rows locked until the command ends."""
    return session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True))
                           .order_by(User.id).with_for_update()).all()
