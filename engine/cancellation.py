"""Ending a case before its process does: the agency withdraws its request (a duplicate filing, a dispute
settled between the agencies), or a process owner or an administrator cancels it. One command, like the
others: its open steps leave the worklists, its targets stop, and the history says who ended it and why."""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select

from . import sql
from .errors import Conflict, Forbidden, Invalid, NotFound
from .execution import Execution, Mirror
from .forms import CONTROL
from .actors import Actor
from .instances import _find, visible
from .models import HumanTask, Instance, Notification, utcnow
from .notifications import CASE_ENDED, tell_ended
from .store import Store
from .tidy import blank

REASON_MAX = 1000


STATUS_AFTER = {"case_withdrawn": "withdrawn", "case_cancelled": "cancelled"}  # the case's status once ended


class Ended(NamedTuple):
    event: str  # case_withdrawn or case_cancelled
    case_id: int
    case_number: str

    @property
    def status(self) -> str:
        return STATUS_AFTER[self.event]


def may_end(actor: Actor, agency_id: int, answered: bool = False) -> bool:
    """The agency's own officers withdraw until their request is answered (what it asked may be done already);
    process owners and administrators cancel any case."""
    return actor.role in ("process_owner", "admin") or (
        actor.role == "pemohon" and actor.agency_id == agency_id and not answered)


def _reason(reason) -> str:
    """The reason as kept, or Invalid saying what is wrong with it."""
    # A browser sends a text area's line breaks as CRLF but counts them as one character, as we do.
    text = reason.replace("\r\n", "\n").strip() if isinstance(reason, str) else None
    message = ("Alasan harus berupa teks." if text is None and reason is not None else
               "Wajib diisi." if not text or blank(text) else
               f"Terlalu panjang (maksimal {REASON_MAX} karakter)." if len(text) > REASON_MAX else
               "Alasan memuat karakter kendali atau karakter tidak sah." if CONTROL.search(text) else None)
    if message:
        raise Invalid("invalid", "Sebutkan alasan kasus ini diakhiri.", [{"field": "reason", "message": message}])
    return text


class Cancellations:
    def __init__(self, store: Store, execution: Execution):
        self.store = store
        self.execution = execution

    def end(self, actor: Actor, case_ref, reason) -> Ended:
        """Withdraws (the agency) or cancels (anyone else allowed) a running case; returns the history
        event written, `case_withdrawn` or `case_cancelled`, and which case it was."""
        with self.store.command(write=True) as tx:
            found = _find(tx.session, case_ref)
            if found is None or not visible(actor, found.agency_id):
                raise NotFound("no_case", "Kasus tidak ditemukan.")
            if not may_end(actor, found.agency_id):
                raise Forbidden("not_allowed", "Kasus hanya dapat ditarik oleh petugas instansi pemohonnya atau "
                                               "dibatalkan oleh pemilik proses atau administrator.")
            locked = self.execution.lock(tx, found.id)
            now = utcnow()  # once the case is ours: a target that fired while we waited is history before this
            if locked.status != "running":
                raise Conflict("not_running", "Kasus ini sudah selesai atau diakhiri; tidak ada yang dibatalkan.")
            answered = tx.session.scalar(select(Instance.outcome).where(Instance.id == locked.id)) is not None
            if not may_end(actor, found.agency_id, answered):  # (read under the lock: an answer sent meanwhile)
                raise Conflict("answered", "Permohonan ini sudah dijawab dan tidak dapat ditarik lagi; konfirmasi "
                                           "penerimaan jawabannya.")
            reason = _reason(reason)  # last: a case one cannot end (who, or how it stands) is not asked for one
            # The open steps, locked: a claim at this moment waits for the ending and then finds the step gone,
            # instead of landing between this read and the steps' cancellation, its holder never told.
            open_steps = tx.session.execute(select(HumanTask.id, HumanTask.claimed_by).where(
                HumanTask.instance_id == locked.id, HumanTask.state == "ready").with_for_update()).all()
            told = {holder for _, holder in open_steps if holder is not None}
            if open_steps:  # and those its open steps were announced to (PANDI, the agency's other officers)
                told |= set(tx.session.scalars(select(Notification.user_id).where(
                    Notification.task_id.in_([step for step, _ in open_steps]), Notification.user_id.is_not(None),
                    Notification.escalation_id.is_(None))))
            deployed, workflow = self.execution.load(tx, locked)
            before = Mirror.of(workflow)
            workflow.cancel()
            event = "case_withdrawn" if actor.role == "pemohon" else "case_cancelled"
            row = sql.history_row(instance_id=locked.id, at=now, user_id=actor.id, event=event,
                                  detail={"reason": reason})
            self.execution.save(tx, locked, deployed, workflow, now, before, events=(row,),
                                ended=STATUS_AFTER[event])
            tx.run(sql.WITHDRAW_CASE_MAIL, {"instance_id": locked.id, "why": CASE_ENDED})
            tell_ended(tx.session, self.execution.settings, found, actor, told, event, reason, now)
        return Ended(event, found.id, found.case_number)

