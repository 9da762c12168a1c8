"""The database the engine services share: one transaction per command.

A command runs on a `Tx`: the hot statements (claim, complete, start, fire) go straight to the DBAPI
cursor, compiled once per dialect (see `sql.Prepared`); anything else goes through an ORM session
opened on the same connection, in the same transaction, only when the command asks for it."""
from __future__ import annotations

import logging
import os
import socket
import uuid
import weakref
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .checkpoint import SAFETY_NET_PAGES, Checkpointer
from .errors import Conflict, Malformed, Unavailable
from .sql import PreparedCache

SQLITE_BUSY_MS = 15000
WAL_SIZE_LIMIT = 64 * 1024 * 1024
log = logging.getLogger(__name__)


def worker_name() -> str:
    """Who holds a lease (on a timer, on a batch of mail): host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def make_sql_engine(url: str, autocheckpoint: int | None = None) -> SqlEngine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000,
                                                  "check_same_thread": False})
        _configure_sqlite(engine, autocheckpoint)
        return engine
    # set as the connection starts (no extra round trip, and kept behind a pooler that resets sessions)
    options = f"-c lock_timeout={LOCK_WAIT} -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION}"
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args={"options": options})


# A command waits this long for a case another command holds, then is told to try again (409), instead of
# hanging behind a frozen process; a session left open in a transaction that long (a process stopped mid-
# command) is ended by the server, so the case it held is free again. No command legitimately takes that long.
LOCK_WAIT = "10s"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout ran out, or NOWAIT found the row taken
IDLE_IN_TRANSACTION = "60s"


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL; None for other databases and in-memory ones."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database)


def _configure_sqlite(engine: SqlEngine, autocheckpoint: int | None) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event decide how a transaction starts (see on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        if autocheckpoint is not None:  # a Checkpointer does it; commands only past this many pages
            cur.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint}")
        cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")  # the log shrinks back after a burst
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        if conn.connection.driver_connection.in_transaction:
            return  # a command's Tx began it already, and an ORM session is joining it
        # A writer takes the write lock up front, so two writers queue on busy_timeout
        # instead of one failing when it upgrades a read lock mid-transaction.
        write = conn.get_execution_options().get("write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Tx:
    """One command's transaction, on a connection of the pool."""

    def __init__(self, store: "Store", raw):
        self._store = store
        self._raw = raw  # the pool's proxy for the DBAPI connection
        self._dbapi = raw.driver_connection
        self._prepared = store.prepared
        self.dialect = store.dialect
        self._cursor = self._dbapi.cursor()
        self._conn: Connection | None = None
        self._session: Session | None = None

    @property
    def conn(self) -> Connection:
        """SQLAlchemy's connection in this transaction, made when first asked for."""
        if self._conn is None:
            self._conn = Connection(self._store.sql, connection=self._raw)
            self._conn.begin()  # joins the transaction the Tx opened (see on_begin)
        return self._conn

    @property
    def session(self) -> Session:
        """An ORM session in this transaction, for the commands and pages that need objects."""
        if self._session is None:
            self._session = Session(bind=self.conn, expire_on_commit=False)
        return self._session

    def run(self, statement, params: dict | None = None) -> int:
        """Runs one of `sql`'s statements; returns the number of rows it changed."""
        return self._execute(statement, params).rowcount

    def many(self, statement, rows: list[dict]) -> None:
        prepared = self._prepared[statement]
        values = [prepared.bind(row) for row in rows]
        try:
            self._cursor.executemany(prepared.text, values)
        except self.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(self.dialect, prepared.text, values, exc) from exc

    def first(self, statement, params: dict | None = None):
        """The first row as a named tuple, or None."""
        row = self._execute(statement, params).fetchone()
        return self._prepared[statement].row(row) if row is not None else None

    def scalar(self, statement, params: dict | None = None):
        row = self._execute(statement, params).fetchone()
        return self._prepared[statement].row(row)[0] if row is not None else None

    def _execute(self, statement, params):
        prepared = self._prepared[statement]
        values = prepared.bind(params or {})
        try:
            self._cursor.execute(prepared.text, values)
        except self.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(self.dialect, prepared.text, values, exc) from exc
        return self._cursor

    def _begin(self, write: bool) -> None:
        if self._store.is_sqlite:  # PostgreSQL's driver begins on the first statement
            self._raw_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    def _commit(self) -> None:
        if self._session is not None:
            self._session.flush()
        if self._conn is not None:
            self._conn.commit()
        else:
            try:
                self._dbapi.commit()
            except self.dialect.loaded_dbapi.Error as exc:
                raise _wrapped(self.dialect, "COMMIT", (), exc) from exc

    def _rollback(self) -> None:
        """Never hides the error that led here: a connection that cannot roll back is thrown away."""
        try:
            if self._conn is not None:
                self._conn.rollback()
            else:
                self._dbapi.rollback()
        except Exception as exc:  # noqa: BLE001 - the original error is the one to report
            # one line, not a traceback: it follows the error that is reported (a connection lost, mostly)
            log.warning("rollback failed; the connection is discarded (%s: %s)", type(exc).__name__,
                        str(exc).splitlines()[0] if str(exc) else "")
            if self._raw.is_valid:
                self._raw.invalidate()

    def _close(self) -> None:
        """Runs after commit or rollback: a connection that fails here must not replace their outcome."""
        try:
            if self._session is not None:
                self._session.close()
            self._cursor.close()
        except Exception as exc:  # noqa: BLE001
            log.warning("closing a command's cursor failed; the connection is discarded (%s: %s)",
                        type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
            if self._raw.is_valid:  # (not twice: a failed rollback may have thrown it away already)
                self._raw.invalidate()
        finally:
            (self._conn or self._raw).close()  # back to the pool

    def _raw_sql(self, text: str) -> None:
        try:
            self._cursor.execute(text)
        except self.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(self.dialect, text, (), exc) from exc


def _wrapped(dialect, statement: str, values, exc: Exception) -> DBAPIError:
    """The DBAPI's error as SQLAlchemy would have raised it, so one set of rules maps both."""
    return DBAPIError.instance(statement, values, exc, dialect.loaded_dbapi.Error, dialect=dialect)


class Store:
    def __init__(self, url: str):
        self.url = url
        path = sqlite_file(url)
        self.checkpointer = Checkpointer(path, busy_ms=SQLITE_BUSY_MS) if path else None
        if self.checkpointer is not None:  # a store dropped without dispose() takes its thread along
            weakref.finalize(self, self.checkpointer.stop)
        self.sql = make_sql_engine(url, SAFETY_NET_PAGES if self.checkpointer else None)
        self.dialect = self.sql.dialect
        self.is_sqlite = url.startswith("sqlite")
        self.prepared = PreparedCache(self.dialect)

    @contextmanager
    def command(self, write: bool = False) -> Iterator[Tx]:
        """One unit of work: commits when the block ends, rolls back if it raises."""
        if write and self.checkpointer is not None:
            self.checkpointer.ensure_running()
        try:
            raw = self.sql.raw_connection()
        except (OperationalError, self.dialect.loaded_dbapi.OperationalError) as exc:
            # the server is down or refuses connections (the pool hands the driver's own error): nothing begun
            raise Unavailable("db_unavailable", "Basis data tidak dapat dihubungi; perubahan Anda belum tersimpan. "
                                                "Kirim sekali lagi sebentar lagi.") from exc
        try:
            tx = Tx(self, raw)
        except BaseException:
            raw.close()
            raise
        try:
            tx._begin(write)
            yield tx
            tx._commit()
        except StaleDataError as exc:
            tx._rollback()
            raise Conflict("stale", "Data telah diubah oleh pengguna lain; muat ulang dan coba lagi.") from exc
        except (DataError, OverflowError, UnicodeEncodeError) as exc:
            # The database refused a value (a NUL byte, a number out of range, a lone surrogate the driver cannot
            # encode): bad input, nothing written.
            tx._rollback()
            raise Malformed("malformed", "Nilai pada permintaan tidak dapat diproses (karakter atau angka "
                                         "di luar batas).") from exc
        except OperationalError as exc:
            tx._rollback()
            said = str(exc.orig).lower()
            if "locked" in said or "deadlock" in said or getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise Conflict("busy", "Data ini sedang diubah oleh perintah lain; coba lagi sebentar lagi.") from exc
            if exc.connection_invalidated or self.dialect.is_disconnect(exc.orig, tx._dbapi, None):
                # The server went away (a restart, a dropped connection): rolled back, safe to send again.
                raise Unavailable("db_unavailable", "Koneksi ke basis data terputus; perubahan Anda belum "
                                                    "tersimpan. Kirim sekali lagi sebentar lagi.") from exc
            raise
        except BaseException:
            tx._rollback()
            raise
        finally:
            tx._close()

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[Session]:
        """A command that works with ORM objects only."""
        with self.command(write) as tx:
            yield tx.session

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.sql.dispose()
