"""The tables the engine persists. Alembic migrations are the only way this schema changes."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text,
    UniqueConstraint, func, text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

ROLES = ("pemohon", "tim_layanan", "pandi", "supervisor", "process_owner", "admin")
# A lane is named by the role that works it (see definitions.lane_role).
LANES = ("pemohon", "tim_layanan", "pandi")
SUPERVISED_LANES = ("tim_layanan", "pandi")  # the lanes with service targets


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores aware UTC datetimes; SQLite hands back naive ones, so they are made aware again."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class Agency(Base):
    __tablename__ = "agency"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="ck_user_role"),
        CheckConstraint(f"lane IS NULL OR lane IN {LANES!r}", name="ck_user_lane"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))  # shown where people read who did what
    email: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    lane: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every login's key: raised when the account is deactivated, so a reactivated account's old
    # logins stay ended (a new password ends them through the password hash).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    @hybrid_property
    def known_as(self) -> str:
        """How pages and messages name the person: their full name when they have one, else their username
        (in queries too, as the same expression)."""
        return self.full_name or self.username

    @known_as.inplace.expression
    @classmethod
    def _known_as_expression(cls):
        return func.coalesce(func.nullif(cls.full_name, ""), cls.username)  # as `or` does in Python


class LoginSession(Base):
    """A login to the pages, while it lasts: logging out removes it, so a copy of its cookie opens nothing."""
    __tablename__ = "login_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """Logins tried in a row under one name (an account or not) from one address, and until when they wait."""
    __tablename__ = "login_attempt"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)  # HMAC-SHA256 of "name|address", name lower case
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)    # None: until revoked
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # to the nearest few minutes
    label: Mapped[str | None] = mapped_column(String(100))  # what uses it, in its owner's words


class Definition(Base):
    """One deployed version of a process: the BPMN and the forms it references, as a snapshot."""
    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("process_key", "version", name="uq_definition_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict] = mapped_column(JSON)
    checksum: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deployed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


# A case runs, completes, or is ended early: cancelled (process owner, administrator) or withdrawn (its agency).
CASE_STATUSES = ("running", "completed", "cancelled", "withdrawn")


class Instance(Base):
    """A case: one running (or finished) process instance and its serialized engine state."""
    __tablename__ = "process_instance"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in CASE_STATUSES)})", name="ck_instance_status"),
        Index("uq_instance_filing_key", "started_by", "filing_key", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    domain_name: Mapped[str] = mapped_column(String(253), index=True)
    # What the request says that people search for (engine/search.py), lower-cased.
    search_text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    state: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # What the filer named this filing (API Idempotency-Key, the page form's own): one case per key and filer.
    filing_key: Mapped[str | None] = mapped_column(String(200))
    filing_hash: Mapped[str | None] = mapped_column(String(64))  # what it said: a key sent again must say the same
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the case ended, as the form field marked `x-outcome` said it (its value, title and `x-tone`).
    outcome: Mapped[str | None] = mapped_column(String(100))
    outcome_title: Mapped[str | None] = mapped_column(String(300))
    outcome_tone: Mapped[str | None] = mapped_column(String(20))
    # Optimistic lock: an UPDATE that finds another revision fails instead of overwriting.
    __mapper_args__ = {"version_id_col": revision}


class HumanTask(Base):
    """A user task as the worklist sees it, so listing work never deserializes a workflow."""
    __tablename__ = "human_task"
    __table_args__ = (
        CheckConstraint("state IN ('ready', 'completed', 'cancelled')", name="ck_task_state"),
        Index("ix_task_state_lane", "state", "lane"),
        Index("ix_task_claimed_state", "claimed_by", "state"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(20))
    form_key: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="ready")
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Timer(Base):
    """A waiting timer event; due_at is indexed so finding due timers never scans instances."""
    __tablename__ = "timer"
    __table_args__ = (
        CheckConstraint("state IN ('waiting', 'fired', 'cancelled')", name="ck_timer_state"),
        Index("ix_timer_state_due", "state", "due_at"),
        # Only leased rows: few, and no planner (SQLite's, or PostgreSQL's before it has statistics) is
        # tempted to use it instead of (state, due_at) for "the earliest unleased due time".
        Index("ix_timer_leased", "lease_until", postgresql_where=text("lease_until IS NOT NULL"),
              sqlite_where=text("lease_until IS NOT NULL")),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(100))
    human_task_id: Mapped[str | None] = mapped_column(ForeignKey("human_task.id"))
    state: Mapped[str] = mapped_column(String(20), default="waiting")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A worker leases due timers before firing them; a crashed worker's lease runs out and another takes over.
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Document(Base):
    """An uploaded file, kept in the database so it commits with the step that brought it."""
    __tablename__ = "document"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(200))  # the upload field's, in the form that received it
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # read when downloaded, not when listed
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class HistoryEvent(Base):
    """The audit trail of a case: one row per command, with who and when."""
    __tablename__ = "history_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    event: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict | None] = mapped_column(JSON)


class Escalation(Base):
    """A missed target, as the diagram's escalation event raised it: recorded once per event."""
    __tablename__ = "escalation"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the escalation event's task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    human_task_id: Mapped[str | None] = mapped_column(ForeignKey("human_task.id"))
    timer_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(100))
    lane: Mapped[str | None] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """The outbox: shown in the app at once, mailed by the sender with retries."""
    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("escalation_id", "user_id", name="uq_notification_escalation_user"),
        CheckConstraint("delivery IN ('pending', 'sent', 'failed', 'no_address', 'withdrawn')",
                        name="ck_notification_delivery"),
        Index("ix_notification_outbox", "delivery", "next_attempt_at"),
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_user_id_id", "user_id", "id"),  # one's notifications, newest first
        Index("ix_notification_task", "task_id"),  # a step's announcements, settled when it ends
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[str | None] = mapped_column(ForeignKey("escalation.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
