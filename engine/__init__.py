"""The workflow engine of Sengketa: SpiffWorkflow behind a few narrow services, persisted with SQLAlchemy.

Knows nothing of Flask or HTML; every command is one database transaction."""
from __future__ import annotations

from email.utils import parseaddr
from zoneinfo import ZoneInfo

from . import calendar
from .agencies import Agencies
from .assignment import Assignments
from .cancellation import Cancellations
from .definitions import Definitions
from .execution import Execution
from .history import History
from .actors import Actor
from .identity import Identity
from .logins import Logins
from .instances import Instances
from .notifications import Notifications, Settings
from .outbox import Outbox, SmtpSettings
from .store import Store
from .tasks import Tasks
from .timers import Timers
from .tokens import Tokens

PROCESS_KEY = "sengketa_domain"


class Engine:
    """`settings` are plain strings, as from the environment: PUBLIC_URL, DISPLAY_TIMEZONE, SLA_* (calendar),
    SMTP_* and MAIL_FROM (mail). `secret`: the app's secret key, which keys what the engine stores hashed but
    must not let a copy of the database confirm by guessing (the login attempts' names and addresses)."""

    def __init__(self, database_url: str, process_key: str = PROCESS_KEY, settings: dict | None = None,
                 secret: str | bytes | None = None):
        settings = settings or {}
        self.store = Store(database_url)
        self.definitions = Definitions(self.store)
        mail_from = settings.get("MAIL_FROM") or "sengketa@localhost"
        notify = Settings(public_url=settings.get("PUBLIC_URL") or "http://127.0.0.1:8000",
                          mail_domain=parseaddr(mail_from)[1].rpartition("@")[2] or "sengketa.local",
                          zone=ZoneInfo(settings.get("DISPLAY_TIMEZONE") or "Asia/Jakarta"))
        self.execution = Execution(self.definitions, calendar.from_settings(settings), notify)
        self.history = History()
        self.identity = Identity(self.store)
        self.tokens = Tokens(self.store)
        self.logins = Logins(self.store, self.identity, secret)
        self.agencies = Agencies(self.store)
        self.instances = Instances(self.store, self.execution, self.history, process_key)
        self.tasks = Tasks(self.store, self.execution)
        self.timers = Timers(self.store, self.execution)
        self.cancellations = Cancellations(self.store, self.execution)
        self.assignments = Assignments(self.store, self.execution)
        self.notifications = Notifications(self.store)
        self.outbox = Outbox(self.store, SmtpSettings.from_settings(settings))

    def create_schema(self) -> None:
        """For tests and benchmarks only; deployments migrate with Alembic."""
        from .models import Base
        Base.metadata.create_all(self.store.sql)

    def close(self) -> None:
        self.store.dispose()


__all__ = ["Engine", "Actor", "PROCESS_KEY"]
