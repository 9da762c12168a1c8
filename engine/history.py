"""History service: what happened to a case, who did it and when."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import HistoryEvent, User

EVENT_LABELS = {
    "case_started": "Permohonan diajukan",
    "task_created": "Tugas dibuat",
    "task_claimed": "Tugas diambil",
    "task_unclaimed": "Tugas dilepas",
    "task_released": "Tugas dikembalikan ke antrian (akun pemegangnya dinonaktifkan atau diubah)",
    "task_assigned": "Tugas diberikan",
    "task_completed": "Tugas diselesaikan",
    "case_completed": "Kasus selesai",
    "case_withdrawn": "Permohonan ditarik oleh instansi",
    "case_cancelled": "Kasus dibatalkan",
    "timer_fired": "Target waktu terlewati",
    "sla_escalated": "Supervisor diberi tahu",  # of the step whose target was missed
}
# A release says why, since the account change that caused it (older rows do not: the label above covers both).
RELEASED_BECAUSE = {"deactivated": "Tugas dikembalikan ke antrian (akun pemegangnya dinonaktifkan)",
                    "changed": "Tugas dikembalikan ke antrian (peran, lajur atau instansi pemegangnya diubah)"}


def label(event: str, detail: dict | None) -> str:
    if event == "task_released" and isinstance(detail, dict) and detail.get("why") in RELEASED_BECAUSE:
        return RELEASED_BECAUSE[detail["why"]]
    return EVENT_LABELS.get(event, event)


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: datetime
    event: str
    label: str
    user: str | None
    task_id: str | None
    element_id: str | None
    name: str | None
    detail: dict | None
    decided: tuple = ()  # a completed step: what it decided, in its form's words (outcome.Decision)


class History:
    def entries(self, session: Session, instance_id: int) -> list[HistoryEntry]:
        rows = session.execute(
            select(HistoryEvent, User.username).outerjoin(User, User.id == HistoryEvent.user_id)
            .where(HistoryEvent.instance_id == instance_id).order_by(HistoryEvent.at, HistoryEvent.id)).all()
        return [HistoryEntry(e.id, e.at, e.event, label(e.event, e.detail), username, e.task_id,
                             e.element_id, e.name, e.detail) for e, username in rows]
