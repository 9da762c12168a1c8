"""The database the engine services share: one session per command, one transaction per session."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from .errors import Conflict, Malformed

SQLITE_BUSY_MS = 15000


def make_sql_engine(url: str) -> SqlEngine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000,
                                                  "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _configure_sqlite(engine: SqlEngine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event decide how a transaction starts (see on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # A writer takes the write lock up front, so two writers queue on busy_timeout
        # instead of one failing when it upgrades a read lock mid-transaction.
        write = conn.get_execution_options().get("write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Store:
    def __init__(self, url: str):
        self.url = url
        self.sql = make_sql_engine(url)
        self.is_sqlite = url.startswith("sqlite")
        self._sessions = sessionmaker(self.sql, expire_on_commit=False)

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls back if it raises."""
        session = self._sessions()
        try:
            session.connection(execution_options={"write": write})
            yield session
            session.commit()
        except StaleDataError as exc:
            session.rollback()
            raise Conflict("stale", "Data telah diubah oleh pengguna lain; muat ulang dan coba lagi.") from exc
        except (DataError, OverflowError) as exc:
            # The database refused a value (a NUL byte, a number out of range): bad input, nothing written.
            session.rollback()
            raise Malformed("malformed", "Nilai pada permintaan tidak dapat diproses (karakter atau angka "
                                         "di luar batas).") from exc
        except OperationalError as exc:
            session.rollback()
            if "locked" in str(exc.orig).lower() or "deadlock" in str(exc.orig).lower():
                raise Conflict("busy", "Basis data sedang sibuk; coba lagi sebentar lagi.") from exc
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.sql.dispose()
