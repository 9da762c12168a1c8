"""A command is one transaction, whether its statements went through the cursor or the ORM session."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import sql
from engine.models import Agency, HistoryEvent
from engine.sql import Prepared


def count(engine, model) -> int:
    with engine.store.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_cursor_and_session_writes_commit_or_roll_back_together(engine):
    agencies, events = count(engine, Agency), count(engine, HistoryEvent)
    with pytest.raises(RuntimeError, match="gagal"):
        with engine.store.command(write=True) as tx:
            tx.session.add(Agency(code="kab-uji", name="Kabupaten Uji"))
            tx.session.flush()
            tx.run(sql.NAME_AGENCY, {"agency_id": tx.session.scalar(select(Agency.id).where(Agency.code == "kab-uji")),
                                     "name": "Kabupaten Uji Baru"})
            raise RuntimeError("gagal")
    assert (count(engine, Agency), count(engine, HistoryEvent)) == (agencies, events)

    with engine.store.command(write=True) as tx:
        tx.session.add(Agency(code="kab-uji", name="Kabupaten Uji"))
        tx.session.flush()
        tx.run(sql.NAME_AGENCY, {"agency_id": tx.session.scalar(select(Agency.id).where(Agency.code == "kab-uji")),
                                 "name": "Kabupaten Uji Baru"})
    with engine.store.transaction() as session:
        assert session.scalar(select(Agency.name).where(Agency.code == "kab-uji")) == "Kabupaten Uji Baru"


def test_a_parameter_not_given_is_refused_not_stored_as_null(engine):
    prepared = Prepared(sql.CLAIM, engine.store.dialect)
    with pytest.raises(KeyError, match="'at'"):
        prepared.bind({"task_id": "x", "user_id": 1})


def test_a_broken_connection_does_not_hide_the_error_that_broke_the_command(engine):
    with pytest.raises(ValueError, match="asli"):
        with engine.store.command(write=True) as tx:
            tx._dbapi.close()
            raise ValueError("asli")
    with engine.store.command() as tx:  # the pool hands out a working connection afterwards
        assert tx.scalar(sql.AGENCY, {"agency_id": -1}) is None


def test_sqlite_checkpoints_in_the_background_not_in_the_commands(database_url, tmp_path):
    """The commands' own checkpoint waits for SAFETY_NET_PAGES; a thread moves committed pages into the
    database file meanwhile, so the file alone (no -wal beside it) already holds what was committed."""
    import shutil
    import sqlite3
    import time

    from engine.checkpoint import SAFETY_NET_PAGES
    from engine.store import Store, sqlite_file

    if not database_url.startswith("sqlite"):
        postgresql = Store(database_url)
        assert postgresql.checkpointer is None  # PostgreSQL checkpoints by itself
        postgresql.dispose()
        return
    store = Store(database_url)
    try:
        with store.command() as tx:
            tx._cursor.execute("PRAGMA wal_autocheckpoint")
            assert tx._cursor.fetchone()[0] == SAFETY_NET_PAGES
        with store.command(write=True) as tx:
            tx.session.add(Agency(code="kab-wal", name="Kabupaten WAL"))
        passes = store.checkpointer.passes
        deadline = time.monotonic() + 10
        while store.checkpointer.passes < passes + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.checkpointer.passes >= passes + 2
        alone = tmp_path / "alone.db"
        shutil.copyfile(sqlite_file(database_url), alone)  # the main file only, without its -wal
        with sqlite3.connect(alone) as copy:
            assert copy.execute("SELECT name FROM agency WHERE code = 'kab-wal'").fetchone() == ("Kabupaten WAL",)
        thread = store.checkpointer._thread
    finally:
        store.dispose()
    assert thread is not None and not thread.is_alive()


def test_the_checkpointer_follows_the_file_the_commands_use_and_stops_for_good(tmp_path, monkeypatch):
    from engine import migrate
    from engine.store import Store

    migrate.upgrade(f"sqlite:///{tmp_path / 'rel.db'}")
    monkeypatch.chdir(tmp_path)
    store = Store("sqlite:///rel.db")
    monkeypatch.chdir(tmp_path.parent)  # a later change of directory must not send checkpoints elsewhere
    try:
        assert store.checkpointer.path == str(tmp_path / "rel.db")
        with store.command(write=True) as tx:
            tx.session.add(Agency(code="kab-rel", name="Kabupaten Relatif"))
        assert store.checkpointer._thread.is_alive()
    finally:
        store.dispose()
    assert store.checkpointer._thread is None
    with store.command(write=True) as tx:  # a store used after dispose() starts no thread again
        tx.session.add(Agency(code="kab-rel-2", name="Kabupaten Relatif 2"))
    assert store.checkpointer._thread is None
    store.sql.dispose()
    assert not (tmp_path.parent / "rel.db").exists()


def test_a_failing_checkpoint_is_reported_once_and_backs_off(tmp_path, caplog):
    import logging
    import time

    from engine.checkpoint import Checkpointer

    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is not a database" * 500)
    checkpointer = Checkpointer(str(damaged), interval=0.01)
    with caplog.at_level(logging.WARNING, logger="engine.checkpoint"):
        checkpointer.ensure_running()
        time.sleep(0.5)  # at a fixed 10 ms, ~50 failing passes; backing off, about six
        checkpointer.stop()
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 1 and checkpointer.passes == 0


def test_a_forked_worker_starts_its_own_checkpointer_even_if_the_fork_caught_the_lock_held(tmp_path):
    """Under gunicorn --preload, workers are forked from a process whose checkpointer lock another thread
    may hold at that moment: the child must not inherit it held (it would wait forever)."""
    import os
    import sqlite3
    import time

    from engine.checkpoint import Checkpointer

    path = tmp_path / "forked.db"
    sqlite3.connect(path).close()
    checkpointer = Checkpointer(str(path), interval=0.01)
    # (The parent's own thread is not started: a fork that catches it inside SQLite could leave SQLite's
    # mutexes held in the child, a hazard of forking a threaded process that no Python code can undo.)
    with checkpointer._lock:  # as if another thread were inside ensure_running() at the fork
        pid = os.fork()
        if pid == 0:  # the child: exit code 0 only if its own thread runs checkpoints
            code = 1
            try:
                checkpointer.ensure_running()
                deadline = time.monotonic() + 10
                while checkpointer.passes < 3 and time.monotonic() < deadline:
                    time.sleep(0.01)
                code = 0 if checkpointer.passes >= 3 and checkpointer._pid == os.getpid() else 2
            finally:
                os._exit(code)
    deadline = time.monotonic() + 20
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if not done:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    checkpointer.stop()
    assert done and os.waitstatus_to_exitcode(status) == 0
