"""SQLite only: WAL checkpoints in a thread of their own instead of inside a command's commit.

With SQLite's default, the commit that pushes the write-ahead log past 1000 pages copies the log back into
the database and waits for the disk (fsync) before it returns: one command in ~90 pays 10-20 ms for all the
others. Here a background thread checkpoints every `interval` seconds (PASSIVE: it never blocks a writer or
a reader), so the log is reused from its start whenever a checkpoint catches up. The commands' own automatic
checkpoint stays on at a higher threshold, as a safety net should this thread stop or fall behind, and
`journal_size_limit` shrinks the log file again after a burst. Nothing is less durable: a checkpoint only
moves committed pages."""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref

log = logging.getLogger(__name__)

SAFETY_NET_PAGES = 4_000  # the commands' own wal_autocheckpoint while this thread runs (about 16 MB)
RETRY_AFTER_S = 30.0  # a thread that could not open the database is started again at most this often
MAX_BACKOFF_S = 30.0  # failing passes (a busy or damaged database) wait longer and longer, up to this


_LIVE: "weakref.WeakSet[Checkpointer]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked process (a gunicorn worker under --preload) has none of its parent's threads, and a lock
    some other parent thread held at the fork would stay held forever: each checkpointer starts afresh."""
    for checkpointer in list(_LIVE):
        checkpointer._lock = threading.Lock()
        checkpointer._stop = threading.Event()
        checkpointer._thread = None


os.register_at_fork(after_in_child=_after_fork_in_child)


class Checkpointer:
    def __init__(self, path: str, interval: float = 0.1, busy_ms: int = 15_000):
        self.path = os.path.abspath(path)  # the commands resolved it when the store was made, so do we
        self.interval = interval
        self.busy_ms = busy_ms
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._closed = False
        self._started_at = 0.0
        self.passes = 0  # checkpoints run, for tests and diagnostics
        _LIVE.add(self)

    def ensure_running(self) -> None:
        """Starts the thread on first use in this process (a forked gunicorn worker starts its own), and
        again if it died; never after stop()."""
        thread = self._thread
        if thread is not None and self._pid == os.getpid() and thread.is_alive():
            return
        with self._lock:
            thread = self._thread
            if self._closed or (thread is not None and self._pid == os.getpid() and thread.is_alive()):
                return
            if thread is not None and self._pid == os.getpid() and \
                    time.monotonic() - self._started_at < RETRY_AFTER_S:
                return  # it died moments ago (could not open the database): the safety net covers until then
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
            self._pid = os.getpid()
            self._started_at = time.monotonic()
            self._thread.start()

    def stop(self) -> None:
        """Final: the thread ends and no later command starts another."""
        with self._lock:
            self._closed = True
            self._stop.set()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread() and self._pid == os.getpid():
            thread.join(timeout=5)

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_ms / 1000, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error:
            log.exception("WAL checkpointer could not open %s; commands checkpoint on their own", self.path)
            return
        failures, wait = 0, self.interval
        try:
            while not self._stop.wait(wait):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:  # busy or damaged: the commands' safety net covers; say so once
                    failures += 1
                    if failures == 1:
                        log.warning("WAL checkpoint of %s failed; retrying with back-off", self.path, exc_info=True)
                    wait = min(wait * 2, MAX_BACKOFF_S)
                    continue
                if failures:
                    log.info("WAL checkpoint of %s works again after %d failed passes", self.path, failures)
                failures, wait = 0, self.interval
                self.passes += 1
        finally:
            conn.close()
