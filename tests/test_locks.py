"""Waiting on a case another command holds (the crash and race probe): the time a command records is when it ran,
not when it started to wait; a command waits a bounded time; the timer worker does not wait at all, so one
held case does not hold up every other case's targets; a lost database connection is a 503 to send again."""
from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.engine import make_url

from engine import Engine, sql, store, timers
from engine.errors import Conflict, Unavailable
from engine.models import HistoryEvent, HumanTask, Timer, utcnow
from conftest import on_postgresql
from samples import CHECK_COMPLETE
from test_sop_api import file_case, open_task


@contextmanager
def case_held(database_url: str, case_id: int):
    """Another session holds the case: on PostgreSQL its row lock, on SQLite the database's write lock."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        holder = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"))
        holder.execute("SELECT id FROM process_instance WHERE id = %s FOR NO KEY UPDATE", (case_id,))
    try:
        yield
    finally:
        holder.commit()
        holder.close()


def test_a_completion_that_waited_for_the_case_is_recorded_when_it_ran(database_url, engine, people):
    citra = people["citra"]
    case = file_case(people["ani"])
    step = open_task(citra, case)
    citra.post(f"/tasks/{step['id']}/claim")
    officer, answers = engine.identity.by_username("citra"), []
    with case_held(database_url, case["id"]):
        worker = threading.Thread(target=lambda: answers.append(
            engine.tasks.complete(officer, step["id"], CHECK_COMPLETE)))
        worker.start()
        time.sleep(1.5)
        released = utcnow()
    worker.join(30)
    assert answers and answers[0].state == "completed"
    with engine.store.transaction() as session:
        completed_at = session.scalar(select(HumanTask.completed_at).where(HumanTask.id == step["id"]))
    assert completed_at >= released - timedelta(milliseconds=200), (completed_at, released)




@on_postgresql
def test_the_timer_worker_leaves_a_held_case_for_later_and_fires_the_others(pg_only, engine, people):
    held, free = file_case(people["ani"]), file_case(people["ani"])
    later = utcnow() + timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        with case_held(pg_only, held["id"]):
            started = time.monotonic()
            assert engine.timers.run_pass("w1") == 1  # the free case's target, without waiting on the held one
            assert time.monotonic() - started < 5
        with engine.store.transaction() as session:
            states = dict(session.execute(select(Timer.instance_id, Timer.state)).all())
            assert states == {held["id"]: "waiting", free["id"]: "fired"}
        # tried again shortly, not at once: an immediate retry would spin while the command holds the case
        assert engine.timers.run_pass("w1") == 0
        assert engine.timers.next_due() == later + timers.BUSY_RETRY
    with time_machine.travel(later + timers.BUSY_RETRY + timedelta(seconds=1), tick=False):
        assert engine.timers.run_pass("w1") == 1
    with engine.store.transaction() as session:
        assert set(session.scalars(select(Timer.state))) == {"fired"}
        assert len(session.scalars(select(HistoryEvent.id).where(HistoryEvent.event == "sla_escalated")).all()) == 2


@on_postgresql
def test_a_command_waits_a_bounded_time_for_a_held_case_then_is_told_to_try_again(pg_only, people, monkeypatch):
    citra = people["citra"]
    case = file_case(people["ani"])
    step = open_task(citra, case)
    citra.post(f"/tasks/{step['id']}/claim")
    monkeypatch.setattr(store, "LOCK_WAIT", "300ms")  # the product waits 10 s; read as each connection opens
    impatient = Engine(pg_only)
    try:
        officer = impatient.identity.by_username("citra")
        with case_held(pg_only, case["id"]):
            started = time.monotonic()
            with pytest.raises(Conflict) as refused:
                impatient.tasks.complete(officer, step["id"], CHECK_COMPLETE)
            assert time.monotonic() - started < 5
        assert refused.value.code == "busy" and "coba lagi sebentar lagi" in refused.value.message
        assert impatient.tasks.complete(officer, step["id"], CHECK_COMPLETE).state == "completed"  # and then it is
    finally:
        impatient.close()


@on_postgresql
def test_a_rollback_on_a_lost_connection_is_one_line_in_the_log(pg_only, engine, people, caplog):
    """The race probe: with connections cut once a second, gunicorn's log carried 65 tracebacks of rollbacks that
    failed after the error already reported. One line each now."""
    task = open_task(people["citra"], file_case(people["ani"]))
    admin = psycopg.connect(pg_only.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    try:
        with pytest.raises(Unavailable), caplog.at_level("WARNING", logger="engine.store"):
            with engine.store.command(write=True) as tx:
                tx.first(sql.TASK_NOW, {"task_id": task["id"]})
                tx._cursor.execute("SELECT pg_backend_pid()")  # this command's own connection (no ORM session)
                admin.execute("SELECT pg_terminate_backend(%s)", (tx._cursor.fetchone()[0],))
                tx.first(sql.TASK_NOW, {"task_id": task["id"]})
    finally:
        admin.close()
    [failed] = [r for r in caplog.records if "rollback failed" in r.getMessage()]
    assert failed.exc_info is None and "connection is lost" in failed.getMessage()


@on_postgresql
def test_a_connection_lost_mid_command_is_unavailable_and_writes_nothing(pg_only, engine, people):
    case = file_case(people["ani"])
    admin = psycopg.connect(pg_only.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    try:
        with pytest.raises(Unavailable) as lost:
            with engine.store.command(write=True) as tx:
                tx.session.execute(select(HumanTask.id).where(HumanTask.instance_id == case["id"])).all()
                pid = tx.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
                tx.session.get(HumanTask, open_task(people["citra"], case)["id"]).claimed_by = None
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                tx.session.connection().exec_driver_sql("SELECT 1")
        assert "belum tersimpan" in lost.value.message
    finally:
        admin.close()
    nowhere = store.Store("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    try:
        with pytest.raises(Unavailable):
            with nowhere.command():
                pass
    finally:
        nowhere.dispose()
    assert open_task(people["citra"], case)["state"] == "ready"  # the app goes on with new connections


def test_the_same_form_sent_twice_is_told_it_was_already_done(people):
    citra = people["citra"]
    step = open_task(citra, file_case(people["ani"]))
    citra.post(f"/tasks/{step['id']}/claim")
    assert citra.post(f"/tasks/{step['id']}/complete", json={"data": CHECK_COMPLETE}).status_code == 200
    again = citra.post(f"/tasks/{step['id']}/complete", json={"data": CHECK_COMPLETE})
    assert again.status_code == 409 and "sudah Anda selesaikan" in again.get_json()["detail"]
    other = people["dodi"].post(f"/tasks/{step['id']}/complete", json={"data": CHECK_COMPLETE})
    assert other.status_code == 409 and "sudah Anda selesaikan" not in other.get_json()["detail"]


def test_the_same_page_form_sent_twice_leads_to_the_case_not_to_a_lost_entries_page(app, people):
    """The review: the second send showed "Isian Anda belum tersimpan" beside "sudah Anda selesaikan"."""
    from test_pages import login
    citra = people["citra"]
    case = file_case(people["ani"])
    step = open_task(citra, case)
    citra.post(f"/tasks/{step['id']}/claim")
    page = app.test_client()
    login(page, "citra")
    form = {**CHECK_COMPLETE, "letter_valid": "on"}
    assert page.post(f"/tasks/{step['id']}", data=form).status_code == 302
    again = page.post(f"/tasks/{step['id']}", data=form)
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/cases/{case['case_number']}")
    shown = page.get(again.headers["Location"]).get_data(as_text=True)
    assert "sudah Anda selesaikan" in shown and "belum tersimpan" not in shown


@on_postgresql
def test_giving_a_step_waits_for_its_case_as_every_command_does(pg_only, engine, people):
    """The review: a gift landed between a completion's check and its update (it took no case lock); now it
    waits for a command that holds the case, and judges the step as that command left it."""
    citra = people["citra"]
    case = file_case(people["ani"])
    step = open_task(citra, case)
    citra.post(f"/tasks/{step['id']}/claim")
    fajar, answers = engine.identity.by_username("fajar"), []

    def give():
        try:
            answers.append(engine.assignments.give(fajar, step["id"], "dodi", seen="citra").claimed_by)
        except Conflict as exc:
            answers.append(exc.code)
    with case_held(pg_only, case["id"]):
        giver = threading.Thread(target=give)
        giver.start()
        time.sleep(1.0)
        assert answers == []  # waiting for the case, not done behind the holder's back
        citra.post(f"/tasks/{step['id']}/unclaim")  # (the API's own command does not need the case lock)
    giver.join(30)
    assert answers == ["stale"]  # Citra let it go meanwhile: the step is not what the giver saw
