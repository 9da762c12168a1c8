"""SQLite only: WAL checkpoints in a thread of their own instead of inside a command's commit.

With SQLite's default, the commit that pushes the write-ahead log past 1000 pages copies the log back into
the database and waits for the disk (fsync) before it returns: one command in ~90 pays 10-20 ms for all the
others. Here a background thread checkpoints every `interval` seconds (PASSIVE: it never blocks a writer or
a reader), so the log stays small and is reused from its start. The commands' own automatic checkpoint stays
on at a higher threshold, as a safety net should this thread ever stop or fall behind: the log cannot grow
without bound either way. Nothing is less durable: a checkpoint only moves committed pages."""
from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)

SAFETY_NET_PAGES = 4_000  # the commands' own wal_autocheckpoint while this thread runs (about 16 MB)


class Checkpointer:
    def __init__(self, path: str, interval: float = 0.1, busy_ms: int = 15_000):
        self.path = path
        self.interval = interval
        self.busy_ms = busy_ms
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self.passes = 0  # checkpoints run, for tests and diagnostics

    def ensure_running(self) -> None:
        """Starts the thread on first use in this process (a forked gunicorn worker starts its own)."""
        if self._pid == os.getpid() and self._thread is not None:
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
            self._pid = os.getpid()
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread() and self._pid == os.getpid():
            thread.join(timeout=5)
        self._thread = None

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_ms / 1000, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error:
            log.exception("WAL checkpointer could not open %s; commands checkpoint on their own", self.path)
            return
        try:
            while not self._stop.wait(self.interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.passes += 1
                except sqlite3.Error:  # a busy or vanished database: the commands' safety net covers it
                    log.warning("WAL checkpoint failed; retrying in %.1f s", self.interval, exc_info=True)
        finally:
            conn.close()
