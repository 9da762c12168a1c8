"""Schema migrations (Alembic), callable from the CLI and from tests."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class BrokenReferences(Exception):
    """Rows that refer to rows that do not exist, found before an upgrade committed (SQLite, whose tables
    are copied with foreign keys off): the upgrade is rolled back. `rows`: (table, rowid, parent, fk index)."""

    def __init__(self, rows: list):
        super().__init__(f"{len(rows)} rows refer to missing rows")
        self.rows = rows

    def tables(self) -> list[str]:
        return sorted({f"{table} → {parent}" for table, _rowid, parent, _fk in self.rows})


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def current(database_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from .store import make_sql_engine
    engine = make_sql_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
