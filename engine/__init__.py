"""The workflow engine of Sengketa: SpiffWorkflow behind five narrow services, persisted with SQLAlchemy.

Knows nothing of Flask or HTML; every command is one database transaction."""
from __future__ import annotations

from .definitions import Definitions
from .execution import Execution
from .history import History
from .identity import Actor, Identity
from .instances import Instances
from .store import Store
from .tasks import Tasks

PROCESS_KEY = "sengketa_domain"


class Engine:
    def __init__(self, database_url: str, process_key: str = PROCESS_KEY):
        self.store = Store(database_url)
        self.definitions = Definitions(self.store)
        self.execution = Execution(self.definitions)
        self.history = History()
        self.identity = Identity(self.store)
        self.instances = Instances(self.store, self.execution, self.history, process_key)
        self.tasks = Tasks(self.store, self.execution)

    def create_schema(self) -> None:
        """For tests and benchmarks only; deployments migrate with Alembic."""
        from .models import Base
        Base.metadata.create_all(self.store.sql)

    def close(self) -> None:
        self.store.dispose()


__all__ = ["Engine", "Actor", "PROCESS_KEY"]
