"""The agencies that file cases: what an administrator sees of them, and their names.

An agency is made from the code an administrator gives its first officer; until it is named it reads as
that code, and its first filing names it from the request. An administrator names or renames it here
(a ministry renamed by a reorganisation, a typo)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from .errors import Invalid, NotFound
from .account_checks import name_problem
from .actors import Actor, require_admin, still_admin
from .identity import audit
from .models import Agency, Instance, User
from .store import Store

NAME_MAX = 200


@dataclass(frozen=True)
class AgencyRow:
    code: str
    name: str
    officers: int   # active agency officers (pemohon)
    cases: int
    named: bool     # False while it still reads as its code


class Agencies:
    def __init__(self, store: Store):
        self.store = store

    def list(self, admin: Actor | None) -> list[AgencyRow]:
        """`admin` None: an operator on the command line."""
        if admin is not None:
            require_admin(admin)
        officers = (select(User.agency_id, func.count().label("n")).where(User.role == "pemohon", User.active.is_(True))
                    .group_by(User.agency_id).subquery())
        cases = select(Instance.agency_id, func.count().label("n")).group_by(Instance.agency_id).subquery()
        with self.store.transaction() as session:
            rows = session.execute(
                select(Agency.code, Agency.name, officers.c.n, cases.c.n)
                .outerjoin(officers, officers.c.agency_id == Agency.id).outerjoin(cases, cases.c.agency_id == Agency.id)
                .order_by(Agency.name)).all()
        return [AgencyRow(code, name, o or 0, c or 0, name != code) for code, name, o, c in rows]

    def rename(self, admin: Actor | None, code: str, name) -> str:
        """Returns the name as kept (spaces made single). `admin` None: an operator on the command line."""
        if admin is not None:
            require_admin(admin)
        name = " ".join(name.split()) if isinstance(name, str) else ""
        problem = agency_name_problem(name)
        if problem:
            raise Invalid("invalid", "Nama instansi belum diubah.", [{"field": "name", "message": problem}])
        with self.store.transaction(write=True) as session:
            if admin is not None:
                still_admin(session, admin)
            agency = session.scalar(select(Agency).where(Agency.code == code))
            if agency is None:
                raise NotFound("no_agency", f"Instansi dengan kode {code} tidak ditemukan.")
            twin = named_elsewhere(session, name, agency.id)
            if twin is not None:  # two agencies of one name cannot be told apart in any list
                raise Invalid("invalid", "Nama instansi belum diubah.", [{"field": "name", "message": (
                    f"Nama ini sudah dipakai instansi berkode {twin}; beri nama yang membedakan keduanya (misalnya "
                    "dengan nama provinsinya).")}])
            was, agency.name = agency.name, name
            audit.info("agency %s renamed by %s: %r -> %r", code, admin.username if admin else "the command line",
                       was, name)
        return name


def agency_name_problem(name: str) -> str | None:
    """What is wrong with a name typed for an agency (spaces already made single), or None."""
    return "Nama instansi wajib diisi." if not name else name_problem(name, "Nama instansi", 2, NAME_MAX)


def named_elsewhere(session, name: str, agency_id: int) -> str | None:
    """The code of another agency already called this (in any case): two agencies of one name cannot be told
    apart in any list, so neither an administrator nor a filing gives a second one that name."""
    return session.scalar(select(Agency.code).where(func.lower(Agency.name) == name.lower(), Agency.id != agency_id))
