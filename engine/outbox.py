"""The mail sender: delivers pending notifications by SMTP with retries and backoff, and records it.

A notification's Message-ID is fixed when it is written, so a message sent again after a crash (sent,
but not yet recorded as sent) is recognisably the same message to the receiving side."""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import case, func, or_, select, update

from .actors import may_see_case
from .notifications import NOT_AUTHORISED
from .models import Instance, Notification, User, utcnow
from .store import Store, worker_name

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 20
FAILED_SHOWN_DAYS = 7


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    mail_from: str = "sengketa@localhost"
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: dict) -> "SmtpSettings | None":
        """SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_STARTTLS, MAIL_FROM; None without a host."""
        host = settings.get("SMTP_HOST")
        if not host:
            return None
        port = str(settings.get("SMTP_PORT") or 25).strip()
        if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            raise ValueError(f"SMTP_PORT harus nomor port 1-65535, bukan {port!r}.")
        return cls(host=host, port=int(port),
                   username=settings.get("SMTP_USERNAME") or None, password=settings.get("SMTP_PASSWORD") or None,
                   starttls=str(settings.get("SMTP_STARTTLS", "")).lower() in ("1", "true", "yes", "ya"),
                   mail_from=settings.get("MAIL_FROM") or "sengketa@localhost")


@dataclass(frozen=True)
class MailStatus:
    """How mail fares, for the administrator (who gets no notifications, so would never see a mail not sent)."""
    server: str | None  # "host:port", or None: no mail server is set, mail waits
    pending: int
    failed: int  # in the last FAILED_SHOWN_DAYS: a failure long fixed does not stay on the page for ever
    oldest_pending: datetime | None


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s, … capped at 30 minutes."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 1800))


class Outbox:
    def __init__(self, store: Store, smtp: SmtpSettings | None, lease: timedelta = timedelta(seconds=60)):
        self.store = store
        self.smtp = smtp
        self.lease = lease

    def status(self) -> MailStatus:
        since = utcnow() - timedelta(days=FAILED_SHOWN_DAYS)
        with self.store.transaction() as session:  # (by the outbox's index: what waits or failed, not all mail)
            pending, failed, oldest = session.execute(select(
                func.count().filter(Notification.delivery == "pending"),
                func.count().filter(Notification.delivery == "failed", Notification.created_at >= since),
                func.min(Notification.created_at).filter(Notification.delivery == "pending"))
                .where(Notification.delivery.in_(("pending", "failed")))).one()
        server = f"{self.smtp.host}:{self.smtp.port}" if self.smtp else None
        return MailStatus(server, pending, failed, oldest)

    def next_attempt(self) -> datetime | None:
        if self.smtp is None:
            return None
        # A message another sender has leased is due again only when its lease runs out, not before: a
        # second worker would otherwise wake for it at once, again and again, for the whole lease.
        due = case((Notification.lease_until > Notification.next_attempt_at, Notification.lease_until),
                   else_=Notification.next_attempt_at)
        with self.store.transaction() as session:
            return session.scalar(select(func.min(due)).where(Notification.delivery == "pending"))

    def deliver_due(self, now: datetime | None = None, limit: int = 50) -> int:
        """Sends what is due over one SMTP connection; returns how many were delivered.

        A message is charged an attempt only when it was the one being sent (or first in line when the
        server could not be reached): the others of a batch a lost connection ends go back to the queue
        uncharged, to wait as long as the charged one does."""
        if self.smtp is None:
            return 0
        now = now or utcnow()
        owner = worker_name()  # this batch's own, not the process's
        batch = self._lease(now, limit, owner)
        if not batch:
            return 0
        delivered, sending = 0, None
        try:
            with self._connect() as smtp:
                for notification_id, message in batch:
                    if not self._renew(notification_id, owner):
                        continue  # our lease ran out and another sender has it now, or it was settled
                    sending = notification_id
                    try:
                        smtp.send_message(message)
                    except (smtplib.SMTPException, OSError) as exc:
                        if _ends_batch(exc):
                            raise
                        self._failed(notification_id, owner, exc, permanent=_permanent(exc))
                        sending = None
                        continue
                    sending = None
                    self._sent(notification_id)
                    log.info("mail %s sent (notification %d)", message["Message-ID"], notification_id)
                    delivered += 1
        except (smtplib.SMTPException, OSError) as exc:
            # unreachable, refused our login or sender, or dropped the connection: the whole batch waits
            log.warning("SMTP %s:%s: pengiriman terhenti (%s: %s)", self.smtp.host, self.smtp.port,
                        type(exc).__name__, exc)
            charged = sending if sending is not None else batch[0][0]
            retry_at = self._failed(charged, owner, exc)
            self._release([i for i, _ in batch if i != charged], owner, retry_at or utcnow() + backoff(1))
        return delivered

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.smtp.timeout)
        if self.smtp.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if self.smtp.username:
            smtp.login(self.smtp.username, self.smtp.password or "")
        return smtp

    def _hold(self) -> timedelta:
        """How long a lease holds: a connection's setup (connect, EHLO, STARTTLS, EHLO, AUTH) or one message's
        exchange (MAIL, RCPT, DATA, the data), each reply allowed the full timeout, with room to spare."""
        return max(self.lease, timedelta(seconds=self.smtp.timeout * 6 + 30))

    def _lease(self, now: datetime, limit: int, owner: str) -> list[tuple[int, EmailMessage]]:
        with self.store.transaction(write=True) as session:
            rows = session.execute(
                select(Notification, User.email, may_see_case(User, Instance.agency_id).label("allowed"))
                .join(User, User.id == Notification.user_id).join(Instance, Instance.id == Notification.instance_id)
                .where(Notification.delivery == "pending", Notification.next_attempt_at <= now,
                       or_(Notification.lease_until.is_(None), Notification.lease_until < now))
                .order_by(Notification.next_attempt_at, Notification.id).limit(limit)
                .with_for_update(skip_locked=True, of=Notification)).all()
            until = now + self._hold()  # each message's lease is renewed just before it is sent (_renew)
            batch = []
            for notification, email, allowed in rows:
                if not allowed:  # deactivated, or moved off the case's agency, since it was written
                    notification.delivery, notification.last_error = "withdrawn", NOT_AUTHORISED
                    continue
                try:
                    batch.append((notification.id, self._message(notification, email)))
                except (ValueError, TypeError) as exc:  # a header no mail can carry: give up on this one only
                    notification.delivery, notification.last_error = "failed", f"{type(exc).__name__}: {exc}"[:1000]
                    continue
                notification.lease_until, notification.lease_owner = until, owner
            return batch

    def _renew(self, notification_id: int, owner: str) -> bool:
        """The message is still this sender's to send, for one more exchange: whatever came before it in the
        batch took, another sender cannot take it over (and send it again) while it is being sent.
        The recipient is checked again here, not only when the batch was leased: an officer deactivated or
        moved while earlier messages went out is not mailed."""
        with self.store.transaction(write=True) as session:
            row = session.execute(
                select(Notification, may_see_case(User, Instance.agency_id))
                .join(User, User.id == Notification.user_id).join(Instance, Instance.id == Notification.instance_id)
                .where(Notification.id == notification_id, Notification.lease_owner == owner,
                       Notification.delivery == "pending")
                .with_for_update(of=Notification)).first()
            if row is None:
                return False
            notification, allowed = row
            if not allowed:
                notification.delivery, notification.last_error = "withdrawn", NOT_AUTHORISED
                notification.lease_until = notification.lease_owner = None
                return False
            notification.lease_until = utcnow() + self._hold()
            return True

    def _release(self, notification_ids: list[int], owner: str, not_before: datetime) -> None:
        """Back to the queue, uncharged, due no earlier than `not_before`."""
        if not notification_ids:
            return
        with self.store.transaction(write=True) as session:
            session.execute(
                update(Notification).where(Notification.id.in_(notification_ids), Notification.lease_owner == owner,
                                           Notification.delivery == "pending")
                .values(lease_owner=None, lease_until=None,
                        next_attempt_at=case((Notification.next_attempt_at < not_before, not_before),
                                             else_=Notification.next_attempt_at)))

    def _message(self, notification: Notification, to: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.smtp.mail_from
        message["To"] = to
        message["Subject"] = notification.subject
        message["Message-ID"] = notification.message_id
        message["Date"] = format_datetime(notification.created_at)
        message["Content-Language"] = "id"
        message.set_content(notification.body)
        return message

    def _sent(self, notification_id: int) -> None:
        """Recorded even if the lease was lost, or the mail withdrawn, while it was being sent: the server
        has the message."""
        with self.store.transaction(write=True) as session:
            session.execute(update(Notification).where(Notification.id == notification_id,
                                                       Notification.delivery.in_(("pending", "withdrawn"))).values(
                delivery="sent", sent_at=utcnow(), attempts=Notification.attempts + 1, lease_until=None,
                lease_owner=None, last_error=None))

    def _failed(self, notification_id: int, owner: str, exc: Exception, permanent: bool = False) -> datetime | None:
        """One attempt more, and when the next is due (None once given up, or if it is no longer ours)."""
        with self.store.transaction(write=True) as session:
            notification = session.get(Notification, notification_id)
            if notification is None or notification.delivery != "pending" or notification.lease_owner != owner:
                return None
            notification.attempts += 1
            notification.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            notification.lease_until = notification.lease_owner = None
            if permanent or notification.attempts >= MAX_ATTEMPTS:
                notification.delivery = "failed"
                log.warning("mail of notification %d given up after %d attempt(s): %s", notification_id,
                            notification.attempts, notification.last_error)
                return None
            notification.next_attempt_at = utcnow() + backoff(notification.attempts)
            log.info("mail of notification %d not sent (%s); tried again at %s", notification_id,
                     notification.last_error, notification.next_attempt_at.isoformat(timespec="seconds"))
            return notification.next_attempt_at


def _ends_batch(exc: Exception) -> bool:
    """A failure of the connection, not of one message: it was lost or closed (421), or the server refuses
    our envelope sender, which it would do for every message (authentication needed, sender not allowed)."""
    if not isinstance(exc, smtplib.SMTPException):
        return True  # OSError: a timeout, a reset
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPSenderRefused)):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421


def _permanent(exc: smtplib.SMTPException) -> bool:
    """A refusal that sending again will not change: a 5xx reply (an unknown recipient, a message refused),
    every recipient refused with one, or an address the server cannot carry (non-ASCII without SMTPUTF8)."""
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500
