"""Notifications: written in the same transaction as the engine step that raised them (the outbox),
shown in the app at once, and mailed by the sender (outbox.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from . import sql
from .actors import Actor
from .models import Agency, Escalation, HumanTask, Instance, Notification, User, utcnow
from .store import Store, Tx

LANE_NAMES = {"pemohon": "Instansi", "tim_layanan": "Tim Layanan Domain", "pandi": "PANDI"}
# Why a notification's mail is `withdrawn` (kept as its last_error and shown beside it).
NOT_AUTHORISED = "Tidak dikirim: penerima tidak lagi berwenang atas kasus ini (akun nonaktif atau pindah instansi)."
STEP_DONE = "Tidak dikirim: langkahnya sudah dikerjakan sebelum pesan ini terkirim."
CASE_ENDED = "Tidak dikirim: kasusnya diakhiri sebelum pesan ini terkirim."
# Parties outside the helpdesk: they do not watch the worklist, so a step that reaches them is announced.
ANNOUNCED_LANES = ("pemohon", "pandi")
SENT_BY = "Pesan ini dikirim otomatis oleh Sengketa"  # the mail's own sign-off, which the app's page leaves out


@dataclass(frozen=True)
class Settings:
    public_url: str = "http://127.0.0.1:8000"
    mail_domain: str = "sengketa.local"
    zone: ZoneInfo = ZoneInfo("Asia/Jakarta")
    announced_lanes: tuple[str, ...] = ANNOUNCED_LANES

    def link(self, path: str) -> str:
        return f"{self.public_url.rstrip('/')}{path}"

    def when(self, at: datetime) -> str:
        return at.astimezone(self.zone).strftime("%d-%m-%Y %H:%M %Z")


@dataclass(frozen=True)
class NotificationView:
    id: int
    subject: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None
    delivery: str
    case_id: int
    note: str | None = None  # why its mail was not sent (withdrawn)
    step: StepNow | None = None  # the step it is about, as it is now (the message is as it was then)


class StepNow(NamedTuple):
    state: str                   # ready / completed / cancelled
    lane: str
    holder: str | None           # who holds it, by the name people know them by
    done_by: str | None
    done_at: datetime | None


def notify_escalation(session: Session, settings: Settings, escalation: Escalation, now: datetime) -> int:
    """One notification per supervisor of the escalation's lane (or one for the lane if it has none)."""
    task = session.get(HumanTask, escalation.human_task_id) if escalation.human_task_id else None
    instance = session.get(Instance, escalation.instance_id)
    agency = session.get(Agency, instance.agency_id)
    recipients = session.scalars(select(User).where(User.role == "supervisor", User.lane == escalation.lane,
                                                    User.active.is_(True)).order_by(User.id)).all()
    step = task.name if task else escalation.element_id
    link = settings.link(f"/tasks/{task.id}" if task else f"/cases/{instance.case_number}")
    late = max(int((now - escalation.due_at).total_seconds() // 60), 0) if escalation.due_at else 0
    due = settings.when(escalation.due_at) if escalation.due_at else "-"
    subject = " ".join(f"[Sengketa] Target terlewati: {step} — {instance.case_number}".split())[:300]
    still_open = task is None or task.state == "ready"
    body = "\n".join([
        f"Target waktu layanan terlewati pada lajur {LANE_NAMES.get(escalation.lane, escalation.lane)}.",
        "",
        f"Nomor kasus : {instance.case_number}",
        f"Langkah     : {' '.join(step.split())}",
        f"Instansi    : {agency.name}",
        f"Domain      : {instance.domain_name}",
        f"Tenggat     : {due}",
        f"Terlambat   : {f'{late} menit' if late else 'kurang dari 1 menit'}",
        f"Diambil oleh: {_claimer(session, task)}",
        "",
        f"Buka tugas: {link}",
        "",
        ("Tugas ini tetap terbuka sampai diselesaikan." if still_open else
         "Tugas ini diselesaikan setelah tenggatnya.") + f" {SENT_BY}.",
    ])
    for user in recipients or [None]:
        session.add(Notification(
            escalation_id=escalation.id, user_id=user.id if user else None, instance_id=instance.id,
            task_id=task.id if task else None, subject=subject, body=body, link=link, created_at=now,
            message_id=f"<sengketa.{escalation.id}.{user.id if user else 'lajur'}@{settings.mail_domain}>",
            delivery="pending" if user is not None and user.email else "no_address", next_attempt_at=now))
    return len(recipients) or 1


class CaseFacts(NamedTuple):
    """What an announcement says of its case (a command that has them at hand saves looking them up)."""
    case_number: str | None
    domain_name: str
    agency_id: int
    name: str  # the agency's


def announce_step(tx: Tx, settings: Settings, instance_id: int, task, case_number: str | None = None,
                  case: CaseFacts | None = None, sent: tuple[str, list[str]] | None = None) -> None:
    """A step that reached the agency or PANDI (`task`: a new human task) is announced to each active officer
    who may work it — for the agency's lane, its own agency's officers — in the app and by mail, in the
    transaction of the command that created it: the step and its announcement exist together or not at all.
    `sent` is what the step acts on (described.sent_to): the message carries it, so that the deficiencies to
    complete or the answer can be read without signing in."""
    case = case or tx.first(sql.CASE_FACTS, {"instance_id": instance_id})
    number = case_number or case.case_number
    step = " ".join(task.name.split())
    link = settings.link(f"/tasks/{task.id}")
    opening = ("Kasus sengketa nama domain instansi Anda menunggu tindakan Anda."
               if task.lane == "pemohon" else
               f"Kasus sengketa nama domain menunggu tindakan {LANE_NAMES.get(task.lane, task.lane)}.")
    body = "\n".join([
        opening,
        "",
        f"Nomor kasus : {number}",
        f"Langkah     : {step}",
        f"Instansi    : {case.name}",
        f"Domain      : {case.domain_name}",
        *([f"Tenggat     : {settings.when(task.due_at)}"] if task.due_at else []),  # a time, as the worklist says
        *(["", f"{sent[0]}:", *(f"  {line}" for line in sent[1])] if sent else []),
        "",
        f"Buka tugas: {link}",
        "",
        f"{SENT_BY}; tidak perlu dibalas.",
    ])
    params = {"instance_id": instance_id, "task_id": task.id, "at": task.created_at, "role": task.lane,
              "subject": " ".join(f"[Sengketa] Menunggu tindakan Anda: {step} — {number}".split())[:300],
              "body": body, "link": link, "message_prefix": f"<sengketa.tugas.{task.id}.",
              "message_suffix": f"@{settings.mail_domain}>"}
    if task.lane == "pemohon":
        told = tx.run(sql.ANNOUNCE_TO_AGENCY, {**params, "agency_id": case.agency_id})
    else:
        told = tx.run(sql.ANNOUNCE, params)
    if not told:
        _nobody_to_tell(tx, settings, instance_id, task, number, case)


def _nobody_to_tell(tx: Tx, settings: Settings, instance_id: int, task, number: str, case: CaseFacts) -> None:
    """A step that nobody active may work waits unseen: the administrators are told who is missing."""
    step = " ".join(task.name.split())
    who = f"petugas aktif {case.name}" if task.lane == "pemohon" else \
        f"petugas aktif {LANE_NAMES.get(task.lane, task.lane)}"
    body = "\n".join([
        f"Langkah ini belum dapat dikerjakan siapa pun: tidak ada {who} di Sengketa.",
        "Tambahkan atau aktifkan akun petugasnya (menu Pengguna); langkah ini lalu muncul di daftar kerja mereka.",
        "",
        f"Nomor kasus : {number}",
        f"Langkah     : {step}",
        f"Instansi    : {case.name}",
        f"Domain      : {case.domain_name}",
    ])
    tx.run(sql.ANNOUNCE_UNHEARD, {
        "instance_id": instance_id, "task_id": task.id, "at": task.created_at, "body": body,
        "subject": " ".join(f"[Sengketa] Tidak ada petugas untuk: {step} — {number}".split())[:300],
        "link": settings.link(f"/cases/{number}"),
        "message_id": f"<sengketa.tugas.{task.id}.tanpa-petugas@{settings.mail_domain}>"})


def tell_released(session: Session, settings: Settings, task, holder_id: int, by: Actor, now: datetime,
                  to: User | None = None) -> None:
    """A supervisor released a step its holder was working on, or gave it to another officer (`to`): the
    holder hears it now, not when their form is refused."""
    holder = session.get(User, holder_id)
    if holder is None or not holder.active:
        return
    who = f"{title_of(by.role)} {known_as(session, by)}"
    if to is None:
        what, news = (f"{who} melepas langkah yang Anda ambil ke antrian; petugas lain kini dapat mengambilnya. "
                      "Bila Anda masih mengerjakannya, ambil lagi selama belum diambil orang lain."), \
            "Tugas Anda dilepas ke antrian"
    elif to.id == by.id:  # the supervisor gave it to themself
        what, news = (f"{who} mengambil alih langkah yang Anda ambil; langkah itu kini bukan tugas Anda lagi."), \
            "Tugas Anda diambil alih supervisor"
    else:
        what, news = (f"{who} memberikan langkah yang Anda ambil kepada {to.known_as}; langkah itu "
                      "kini bukan tugas Anda lagi."), "Tugas Anda diberikan kepada petugas lain"
    _tell(session, settings, task, holder, what, news, "lepas", now)


def tell_assigned(session: Session, settings: Settings, task, officer: User, by: Actor, now: datetime) -> None:
    """A supervisor gave a step to a named officer: it is in their 'Tugas saya' now, and they hear it."""
    what = (f"{title_of(by.role)} {known_as(session, by)} memberikan langkah ini kepada Anda; langkah ini kini ada di "
            "\"Tugas saya\" dan tercatat atas nama Anda.")
    _tell(session, settings, task, officer, what, "Tugas diberikan kepada Anda", "beri", now)


def _tell(session, settings, task, user: User, what: str, news: str, kind: str, now: datetime) -> None:
    step, link = " ".join(task.name.split()), settings.link(f"/tasks/{task.id}")
    body = "\n".join([
        what,
        "",
        f"Nomor kasus : {task.case_number}",
        f"Langkah     : {step}",
        f"Instansi    : {task.agency}",
        f"Domain      : {task.domain_name}",
        "",
        f"Buka tugas: {link}",
    ])
    session.add(Notification(
        user_id=user.id, instance_id=task.instance_id, task_id=task.id, link=link, body=body, created_at=now,
        subject=" ".join(f"[Sengketa] {news}: {step} — {task.case_number}".split())[:300],
        message_id=f"<sengketa.{kind}.{task.id}.{int(now.timestamp() * 1000)}.{user.id}@{settings.mail_domain}>",
        delivery="pending" if user.email else "no_address", next_attempt_at=now))


def title_of(role: str) -> str:
    """How a message names who acted on someone's step: their supervisor, the process owner, a colleague."""
    return {"supervisor": "Supervisor", "pemohon": "Rekan instansi Anda"}.get(role, "Pemilik proses")


def tell_ended(session: Session, settings: Settings, case, actor: Actor, told: set[int], event: str, reason: str,
               now: datetime) -> None:
    """A case ended early (engine/cancellation.py) is told to those whose work it took away: the officers
    holding its open steps (their task left 'Tugas saya' unannounced otherwise), those the open steps were
    announced to, and, when the helpdesk side cancels, the agency that filed it."""
    wanted = [User.id.in_(told)] if told else []
    if event == "case_cancelled":
        wanted.append((User.role == "pemohon") & (User.agency_id == case.agency_id))
    if not wanted:
        return
    recipients = session.scalars(select(User).where(User.active.is_(True), User.id != actor.id, or_(*wanted))
                                 .order_by(User.id)).all()
    agency = session.get(Agency, case.agency_id)
    what = "ditarik oleh instansi pemohonnya" if event == "case_withdrawn" else "dibatalkan"
    link = settings.link(f"/cases/{case.case_number}")
    body = "\n".join([
        f"Kasus sengketa nama domain {what}; langkahnya yang terbuka ditutup dan tidak perlu dikerjakan lagi.",
        "",
        f"Nomor kasus : {case.case_number}",
        f"Instansi    : {agency.name}",
        f"Domain      : {case.domain_name}",
        f"Oleh        : {known_as(session, actor)}",
        f"Alasan      : {' '.join(reason.split())}",
        "",
        f"Buka kasus: {link}",
        "",
        f"{SENT_BY}; tidak perlu dibalas.",
    ])
    subject = " ".join(f"[Sengketa] Kasus {what}: {case.case_number}".split())[:300]
    for user in recipients:
        session.add(Notification(
            user_id=user.id, instance_id=case.id, subject=subject, body=body, link=link, created_at=now,
            message_id=f"<sengketa.akhir.{case.id}.{user.id}@{settings.mail_domain}>",
            delivery="pending" if user.email else "no_address", next_attempt_at=now))


def known_as(session, actor: Actor) -> str:
    """How a message names a user: their full name when they have one, else their username."""
    return session.scalar(select(User.full_name).where(User.id == actor.id)) or actor.username


def _claimer(session, task) -> str:
    if task is None or task.claimed_by is None:
        return "belum diambil"
    user = session.get(User, task.claimed_by)
    return user.known_as if user else "-"


class Notifications:
    """The in-app list: each user sees their own; admins also see those of lanes without a supervisor."""

    def __init__(self, store: Store):
        self.store = store

    def _mine(self, actor: Actor):
        if actor.role == "admin":
            return or_(Notification.user_id == actor.id, Notification.user_id.is_(None))
        if not actor.sees_all_cases():  # an officer moved to another agency no longer reads the old one's cases
            return and_(Notification.user_id == actor.id, Notification.instance_id.in_(
                select(Instance.id).where(Instance.agency_id == actor.agency_id)))
        return Notification.user_id == actor.id

    def list(self, actor: Actor, unread_only: bool = False, limit: int = 50, offset: int = 0,
             only: int | None = None) -> list[NotificationView]:
        """One's notifications, newest first (`only`: just that one, if it is one's own)."""
        holder, doer = aliased(User), aliased(User)
        with self.store.transaction() as session:
            stmt = (select(Notification, HumanTask.state, HumanTask.lane,
                           holder.known_as, doer.known_as, HumanTask.completed_at)
                    .outerjoin(HumanTask, HumanTask.id == Notification.task_id)
                    .outerjoin(holder, holder.id == HumanTask.claimed_by)
                    .outerjoin(doer, doer.id == HumanTask.completed_by).where(self._mine(actor)))
            if only is not None:
                stmt = stmt.where(Notification.id == only)
            if unread_only:
                stmt = stmt.where(Notification.read_at.is_(None))
            rows = session.execute(stmt.order_by(Notification.id.desc()).limit(limit).offset(offset)).all()
            return [NotificationView(n.id, n.subject, n.body, n.link, n.created_at, n.read_at, n.delivery,
                                     n.instance_id, n.last_error if n.delivery == "withdrawn" else None,
                                     StepNow(state, lane, held, done_by, done_at) if state else None)
                    for n, state, lane, held, done_by, done_at in rows]

    def unread_count(self, actor: Actor) -> int:
        with self.store.transaction() as session:
            return session.scalar(select(func.count()).select_from(Notification)
                                  .where(self._mine(actor), Notification.read_at.is_(None)))

    def mark_read(self, actor: Actor, notification_id: int | None = None) -> int:
        """Marks one notification (or all of them) as read; returns how many changed."""
        with self.store.transaction(write=True) as session:
            stmt = update(Notification).where(self._mine(actor), Notification.read_at.is_(None))
            if notification_id is not None:
                stmt = stmt.where(Notification.id == notification_id)
            return session.execute(stmt.values(read_at=utcnow())).rowcount
