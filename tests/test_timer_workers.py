"""Exactly once under concurrency, on PostgreSQL: separate timer-worker processes (the real
`flask --app wsgi timers` command) against one database, one of them killed mid-run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from conftest import BACKENDS, ROOT, _pg_admin, _pg_url
from engine.forms import Upload
from engine.models import Escalation, HistoryEvent, Notification, Timer, utcnow
from samples import make_pdf, request_data
from web import create_app

TIMERS = 500
WORKERS = 4


@pytest.fixture
def pg_app(templates):
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL does not answer here (in CI it is required and this runs)")
    name = f"sengketa_w_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{templates["postgresql"]}"')
    app = create_app({"DATABASE_URL": _pg_url(name), "TESTING": True, "SMTP_HOST": None})
    yield app
    app.extensions["engine"].close()
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def due_cases(engine, n):
    """n filed cases whose step-2 target has just passed."""
    engine.identity.add_user("ani", "pemohon", "ani@contoh.go.id", "rahasia-123", "kab-contoh")
    engine.identity.add_user("fajar", "supervisor", "fajar@contoh.go.id", "rahasia-123", lane="tim_layanan")
    ani = engine.identity.by_username("ani")
    letter = {"letter": [Upload("surat.pdf", make_pdf())]}
    for _ in range(n):
        engine.instances.start(ani, request_data(), letter)
    with engine.store.transaction(write=True) as session:
        session.execute(update(Timer).values(due_at=utcnow() - timedelta(seconds=1)))


def start_workers(url, n, logs):
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "SMTP_HOST": ""}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "timers", "--exit-when-idle",
               "--max-sleep", "0.2", "--lease-seconds", "3"]
    workers = []
    for i in range(n):
        log = open(logs / f"worker-{i}.log", "w")
        workers.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        workers[-1].log = logs / f"worker-{i}.log"
    return workers


def counts(engine):
    with engine.store.transaction() as session:
        def n(what, *where):
            return session.scalar(select(func.count()).select_from(what).where(*where))
        return {
            "fired": n(Timer, Timer.state == "fired"),
            "waiting": n(Timer, Timer.state == "waiting", Timer.element_id == "Timer_Periksa"),
            "escalations": n(Escalation),
            "notifications": n(Notification),
            "fired_events": n(HistoryEvent, HistoryEvent.event == "timer_fired"),
            "distinct_notified": session.scalar(select(func.count(func.distinct(Notification.escalation_id)))),
        }


def wait_all(workers, timeout=300):
    deadline = time.monotonic() + timeout
    try:
        for worker in workers:
            worker.wait(max(deadline - time.monotonic(), 1))
    finally:
        for worker in workers:  # bounded: never leave a worker behind
            if worker.poll() is None:
                worker.kill()


def assert_exactly_once(engine):
    c = counts(engine)
    assert c == {"fired": TIMERS, "waiting": 0, "escalations": TIMERS, "notifications": TIMERS,
                 "fired_events": TIMERS, "distinct_notified": TIMERS}, c


def test_four_workers_fire_500_timers_exactly_once(pg_app, tmp_path):
    engine = pg_app.extensions["engine"]
    due_cases(engine, TIMERS)
    workers = start_workers(pg_app.config["DATABASE_URL"], WORKERS, tmp_path)
    wait_all(workers)
    for worker in workers:
        assert worker.returncode == 0, worker.log.read_text()[-2000:]
    assert_exactly_once(engine)


def test_a_worker_killed_mid_run_loses_nothing_and_doubles_nothing(pg_app, tmp_path):
    engine = pg_app.extensions["engine"]
    due_cases(engine, TIMERS)
    workers = start_workers(pg_app.config["DATABASE_URL"], WORKERS, tmp_path)
    deadline = time.monotonic() + 120
    while counts(engine)["fired"] < TIMERS // 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    victim = workers[0]
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    assert victim.returncode == -signal.SIGKILL
    assert counts(engine)["fired"] < TIMERS, "the kill came too late to test anything"
    wait_all(workers[1:])
    for worker in workers[1:]:
        assert worker.returncode == 0, worker.log.read_text()[-2000:]
    assert_exactly_once(engine)
