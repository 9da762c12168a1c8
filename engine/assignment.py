"""Giving a step to a named officer: a supervisor of its lane, or the process owner, puts it in that officer's
"Tugas saya" — from the queue, or from the officer holding it (who is away, or has too much), who is told.
The officer is told too; the history says who gave it to whom."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from . import sql
from .account_checks import USERNAME
from .actors import Actor, actor_of
from .errors import Conflict, Forbidden, Invalid, NotFound
from .execution import Execution
from .instances import visible
from .models import SUPERVISED_LANES, HumanTask, User, utcnow
from .notifications import LANE_NAMES, tell_assigned, tell_released
from .store import Store
from .tasks import TaskRow


@dataclass(frozen=True)
class Officer:
    """Someone a step can be given to, and how many open steps they hold now (to spread the work)."""
    username: str
    full_name: str | None
    holding: int
    role: str


ANYONE = object()  # give(): whoever holds the step now


class Assignments:
    def __init__(self, store: Store, execution: Execution):
        self.store = store
        self.execution = execution

    def officers(self, actor: Actor, task_id: str) -> list[Officer]:
        """The active officers who may work the step's lane (its own and its supervisors), fewest held first;
        empty for whoever may not give it."""
        with self.store.transaction() as session:
            task = session.execute(sql.TASK_FOR_COMMAND, {"task_id": str(task_id)}).first()
            if task is None or not visible(actor, task.agency_id) or not actor.assigns(task.lane):
                return []
            held = (select(func.count()).where(HumanTask.claimed_by == User.id, HumanTask.state == "ready")
                    .correlate(User).scalar_subquery())
            rows = session.execute(
                select(User.username, User.full_name, held.label("held"), User.role).where(
                    User.active.is_(True),
                    or_(User.role == task.lane, (User.role == "supervisor") & (User.lane == task.lane)))
                .order_by("held", User.username)).all()
            return [Officer(*row) for row in rows]

    def give(self, actor: Actor, task_id: str, to, seen=ANYONE) -> TaskRow:
        """Gives a waiting step to the officer named `to` (a username); giving it to its holder changes nothing.
        `seen` is the holder the giver saw (a username, None: nobody): if someone else holds it by now (a
        colleague took it from the queue a moment ago), it is not taken from them unseen."""
        with self.store.command(write=True) as tx:
            task = tx.first(sql.TASK_FOR_COMMAND, {"task_id": str(task_id)})
            if task is None or not visible(actor, task.agency_id):
                raise NotFound("no_task", "Tugas tidak ditemukan.")
            if not actor.assigns(task.lane):
                raise Forbidden("not_supervisor", "Langkah instansi tidak diberikan kepada petugas tertentu: "
                                                  "petugas instansi itu sendiri yang mengirimnya." if task.lane not in
                                SUPERVISED_LANES else "Hanya supervisor lajur langkah ini atau pemilik proses yang "
                                                      "dapat memberikannya kepada petugas tertentu.")
            # the case, as every command on it takes it (a completion, an ending, a target firing): the step is
            # read again as it is once this command has it
            self.execution.lock(tx, task.instance_id)
            task = tx.first(sql.TASK_FOR_COMMAND, {"task_id": str(task_id)})
            now = utcnow()
            if task.state != "ready":
                raise Conflict("not_ready", "Tugas ini sudah tidak menunggu dikerjakan.")
            officer = tx.session.scalar(select(User).where(User.username == to)) if isinstance(to, str) else None
            problem = _refusal(officer, to, task)
            if problem:
                raise Invalid("invalid", "Tugas belum diberikan.", [{"field": "to", "message": problem}])
            if task.claimed_by == officer.id:  # theirs already: what was asked for holds
                return TaskRow.of(task, "ready", officer.username)
            holder = tx.session.get(User, task.claimed_by) if task.claimed_by else None
            if seen is not ANYONE and seen != (holder.username if holder else None):
                raise Conflict("stale", (f"Tugas ini baru saja diambil oleh {holder.known_as}" if holder else
                                         f"Tugas ini tidak dipegang {seen}, melainkan menunggu di antrian") +
                               "; lihat lagi sebelum memberikannya.")
            statement = sql.ASSIGN_HELD if task.claimed_by else sql.CLAIM  # from its holder, or from the queue
            if tx.run(statement, {"task_id": task.id, "holder": task.claimed_by, "at": now,
                                  **sql.claimer(officer)}) != 1:
                now_is = tx.first(sql.CLAIMER_NOW, {"user_id": officer.id})
                if now_is is None or (now_is.active, now_is.role, now_is.lane, now_is.agency_id) != \
                        (True, officer.role, officer.lane, officer.agency_id):
                    raise Conflict("stale", f"Akun {officer.username} baru saja dinonaktifkan atau diubah; lihat "
                                            "lagi siapa yang dapat diberi tugas ini.")
                raise Conflict("stale", "Tugas ini baru saja berubah (diambil, dilepas atau diselesaikan); muat "
                                        "ulang dan coba lagi.")
            tx.run(sql.ADD_HISTORY, sql.history_row(
                instance_id=task.instance_id, at=now, user_id=actor.id, event="task_assigned", task_id=task.id,
                element_id=task.element_id, name=task.name,
                detail={"to": officer.username, **({"from": holder.username} if holder else {})}))
            settings = self.execution.settings
            if holder is not None and holder.id != actor.id:
                tell_released(tx.session, settings, task, holder.id, actor, now, to=officer)
            if officer.id != actor.id:
                tell_assigned(tx.session, settings, task, officer, actor, now)
            return TaskRow.of(task, "ready", officer.username)


def _refusal(officer: User | None, to, task) -> str | None:
    """Why the step cannot go to this person, in words, or None."""
    if not isinstance(to, str) or not to.strip():
        return "Pilih petugas yang diberi tugas ini."
    if officer is None or not officer.active or not actor_of(officer).may_work(task.lane, task.agency_id):
        # one answer whatever the reason: the give form is no way to learn which names exist, whose they are or
        # whether they are active (the authorization probe); what was sent is said back if it can be a name
        who = to if USERNAME.fullmatch(to) else "Pengguna itu"
        return f"{who} bukan petugas aktif lajur {LANE_NAMES[task.lane]}; pilih dari daftar petugas lajur itu."
    return None
