"""SLA targets on the real diagram: a missed target tells the lane's supervisor, once, in the app and by mail."""
from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import time_machine
from sqlalchemy import func, select, update

from engine.errors import Conflict
from engine.models import Escalation, HistoryEvent, Notification, Timer, utcnow
from engine.worker import Worker
from samples import CHECK_COMPLETE
from smtp import SmtpServer, free_port, mail_fixtures
from test_pages import login
from test_sop_api import file_case, open_task

SMTP_PORT = free_port()
smtp, app_settings = mail_fixtures(SMTP_PORT)


def count(engine, what, *where):
    with engine.store.transaction() as session:
        return session.scalar(select(func.count()).select_from(what).where(*where))


def count_timer_id(engine) -> str:
    with engine.store.transaction() as session:
        return session.scalar(select(Timer.id).where(Timer.element_id == "Timer_Periksa"))


def test_a_missed_check_tells_the_supervisor_once_and_the_task_stays_open(engine, people, smtp, caplog):
    case = file_case(people["ani"])
    step2 = open_task(people["citra"], case)
    with time_machine.travel(utcnow() + timedelta(minutes=9, seconds=50), tick=False):
        assert engine.timers.run_pass("w1") == 0                     # not yet due
    with time_machine.travel(utcnow() + timedelta(minutes=10, seconds=5), tick=False):
        with caplog.at_level("INFO", logger="engine.timers"):
            assert engine.timers.run_pass("w1") == 1
        assert [r.getMessage() for r in caplog.records if r.name == "engine.timers"] == [
            f"timer {count_timer_id(engine)} (Target 10 menit) of case {case['id']} fired"]  # the worker's log says so
        assert engine.timers.run_pass("w1") == 0                     # and never again
        assert engine.outbox.deliver_due() == 1
        assert engine.outbox.deliver_due() == 0

    fajar = engine.identity.by_username("fajar")
    [note] = engine.notifications.list(fajar)
    assert case["case_number"] in note.subject and "Periksa permohonan" in note.subject
    for words in ("Pemerintah Kabupaten Contoh", "contoh.go.id", "Terlambat", "WIB",
                  f"https://sengketa.example.go.id/tasks/{step2['id']}"):
        assert words in note.body
    assert note.delivery == "sent" and engine.notifications.unread_count(fajar) == 1
    assert engine.notifications.list(engine.identity.by_username("citra")) == []

    [mail] = smtp.messages
    assert mail["To"] == "fajar@contoh.go.id" and mail["From"] == "helpdesk@komdigi.go.id"
    assert mail["Message-ID"].startswith("<sengketa.") and case["case_number"] in mail["Subject"]
    assert "Terlambat" in mail.get_payload(decode=True).decode()

    # The task is still open, shows as overdue, and can be completed.
    citra = people["citra"]
    assert citra.get("/tasks?overdue=1").get_json()["items"] == []
    with time_machine.travel(utcnow() + timedelta(minutes=10, seconds=5), tick=False):
        overdue = citra.get("/tasks?overdue=1").get_json()["items"]
    assert [t["id"] for t in overdue] == [step2["id"]]
    citra.post(f"/tasks/{step2['id']}/claim")
    assert citra.post(f"/tasks/{step2['id']}/complete", json={"data": CHECK_COMPLETE}).status_code == 200
    history = [h["event"] for h in citra.get(f"/cases/{case['id']}").get_json()["history"]]
    assert history.count("timer_fired") == 1 and history.count("sla_escalated") == 1
    assert engine.notifications.mark_read(fajar) == 1 and engine.notifications.unread_count(fajar) == 0


def test_a_late_completion_records_the_missed_target_as_the_worker_would(client, engine, people):
    """No worker ran before the officer completed the step 11 minutes in: the completion itself escalates,
    and the history says the target was missed, and by how much, before it says who completed the step."""
    citra = people["citra"]
    case = file_case(people["ani"])
    step2 = open_task(citra, case)
    citra.post(f"/tasks/{step2['id']}/claim")
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        assert citra.post(f"/tasks/{step2['id']}/complete", json={"data": CHECK_COMPLETE}).status_code == 200
    history = citra.get(f"/cases/{case['id']}").get_json()["history"]
    events = [h["event"] for h in history]
    assert events[-4:] == ["timer_fired", "sla_escalated", "task_completed", "task_created"]
    assert history[events.index("timer_fired")]["task_id"] == step2["id"]
    with engine.store.transaction() as session:
        detail = session.scalar(select(HistoryEvent.detail).where(HistoryEvent.event == "timer_fired"))
    assert 60_000 <= detail["late_ms"] < 70_000 and detail["due_at"].startswith(step2["due_at"][:16])
    # the case page says which step missed its target, not only the timer's own name
    login(client, "citra")
    page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert "Target waktu terlewati</strong>: Periksa permohonan (Target 10 menit)" in page
    assert "Supervisor diberi tahu</strong>: Periksa permohonan —" not in page  # nobody acted: no user after it
    assert "Supervisor diberi tahu</strong>: Periksa permohonan" in page


def test_a_step_completed_in_time_escalates_nothing(engine, people):
    case = file_case(people["ani"])
    citra = people["citra"]
    step2 = open_task(citra, case)
    citra.post(f"/tasks/{step2['id']}/claim")
    citra.post(f"/tasks/{step2['id']}/complete", json={"data": CHECK_COMPLETE})
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        assert engine.timers.run_pass("w1") == 0        # step 3's 15 minutes are not over
    assert count(engine, Escalation) == 0
    with engine.store.transaction() as session:
        states = dict(session.execute(select(Timer.element_id, Timer.state)).all())
    assert states == {"Timer_Periksa": "cancelled", "Timer_Analisa": "waiting"}


def test_fire_versus_complete_race_loses_nothing(app, engine, people):
    """Over and over: the timer fires while the officer completes the same task."""
    citra = people["citra"]
    for round_ in range(6):
        case = file_case(people["ani"])
        step2 = open_task(citra, case)
        citra.post(f"/tasks/{step2['id']}/claim")
        with engine.store.transaction() as session:
            timer_id = session.scalar(select(Timer.id).where(Timer.human_task_id == step2["id"]))
        results = {}
        with time_machine.travel(utcnow() + timedelta(minutes=10, seconds=1), tick=True):
            client = app.test_client()
            barrier = threading.Barrier(2)

            def complete():
                barrier.wait()
                results["complete"] = client.post(f"/api/v1/tasks/{step2['id']}/complete",
                                                  json={"data": CHECK_COMPLETE},
                                                  headers={"Authorization": f"Bearer {citra.token}"})

            def fire():
                barrier.wait()
                try:
                    results["fire"] = engine.timers.fire(timer_id)
                except Conflict:  # the completion holds the case: a worker takes the timer up on a later pass
                    results["fire"] = "busy"

            threads = [threading.Thread(target=complete), threading.Thread(target=fire)]
            [t.start() for t in threads]
            [t.join(60) for t in threads]
        assert results["complete"].status_code == 200, (round_, results["complete"].get_json())
        view = citra.get(f"/cases/{case['id']}").get_json()
        assert [t["element_id"] for t in view["open_tasks"]] == ["Task_Analisa"]
        # Whoever came first, the target was missed before completion: escalated exactly once.
        with engine.store.transaction() as session:
            assert session.get(Timer, timer_id).state == "fired"
            assert session.scalar(select(func.count()).select_from(Escalation)
                                  .where(Escalation.timer_id == timer_id)) == 1
            assert session.scalar(select(func.count()).select_from(Notification)
                                  .where(Notification.instance_id == case["id"])) == 1


def test_mail_waits_while_smtp_is_down_and_is_delivered_once_when_it_returns(engine, people):
    file_case(people["ani"])
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        assert engine.timers.run_pass("w1") == 1
        assert engine.outbox.deliver_due() == 0                      # nobody listens on the port
    with engine.store.transaction() as session:
        note = session.scalar(select(Notification))
        assert (note.delivery, note.attempts) == ("pending", 1) and note.last_error
        retry_at = note.next_attempt_at
    server = SmtpServer(SMTP_PORT).start()
    try:
        with time_machine.travel(retry_at - timedelta(seconds=1), tick=False):
            assert engine.outbox.deliver_due() == 0                  # backing off
        with time_machine.travel(retry_at + timedelta(seconds=1), tick=False):
            assert engine.outbox.deliver_due() == 1
            assert engine.outbox.deliver_due() == 0
        assert len(server.messages) == 1
    finally:
        server.stop()
    with engine.store.transaction() as session:
        assert session.scalar(select(Notification.delivery)) == "sent"


def test_two_workers_at_once_fire_each_timer_once(app, engine, people):
    """On SQLite one worker is enough, but a second one must not fire anything twice (PostgreSQL too)."""
    for _ in range(12):
        file_case(people["ani"])
    with engine.store.transaction(write=True) as session:
        session.execute(update(Timer).values(due_at=utcnow() - timedelta(seconds=1)))
    fired = []
    barrier = threading.Barrier(2)

    def work(name):
        barrier.wait()
        total = 0
        while True:
            n = engine.timers.run_pass(name, limit=3)
            total += n
            if n == 0 and engine.timers.next_due() is None:
                break
        fired.append(total)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    [t.start() for t in threads]
    [t.join(120) for t in threads]
    assert sum(fired) == 12
    assert count(engine, Escalation) == 12 and count(engine, Notification) == 12
    assert count(engine, HistoryEvent, HistoryEvent.event == "timer_fired") == 12


def test_the_worker_sleeps_until_the_next_due_time_not_a_fixed_period(engine, people):
    file_case(people["ani"])
    with engine.store.transaction(write=True) as session:
        session.execute(update(Timer).values(due_at=utcnow() + timedelta(seconds=1.5)))
    worker = Worker(engine.timers, engine.outbox, max_sleep=60)       # a fixed 60 s poll would miss it
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while count(engine, Escalation) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.stop()
        thread.join(10)
    assert count(engine, Escalation) == 1
    assert not thread.is_alive()


def test_restarting_the_app_keeps_timers_and_fires_none_twice(app, database_url, people):
    from web import create_app
    case = file_case(people["ani"])
    app.extensions["engine"].close()
    restarted = create_app({"DATABASE_URL": database_url, "TESTING": True, "SMTP_HOST": None})
    engine = restarted.extensions["engine"]
    try:
        assert engine.timers.next_due() is not None
        with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
            assert engine.timers.run_pass("after-restart") == 1
        again = create_app({"DATABASE_URL": database_url, "TESTING": True, "SMTP_HOST": None})
        with time_machine.travel(utcnow() + timedelta(minutes=12), tick=False):
            assert again.extensions["engine"].timers.run_pass("after-second-restart") == 0
        again.extensions["engine"].close()
        assert count(engine, Escalation, Escalation.instance_id == case["id"]) == 1
    finally:
        engine.close()


def test_sla_is_visible_on_pages_and_in_the_api(app, engine, people):
    from test_pages import login
    case = file_case(people["ani"])
    citra = people["citra"]
    step2 = open_task(citra, case)
    citra.post(f"/tasks/{step2['id']}/claim")
    with time_machine.travel(utcnow() + timedelta(minutes=12), tick=False):
        engine.timers.run_pass("w1")
        client = app.test_client()
        login(client, "citra")
        worklist = client.get("/worklist?tab=saya&terlambat=1").get_data(as_text=True)
        assert 'class="overdue"' in worklist and "terlambat" in worklist
        citra.post(f"/tasks/{step2['id']}/complete", json={"data": CHECK_COMPLETE})
        page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
        assert "/ 10 mnt" in page and "terlambat 2 mnt" in page and "target 15 mnt" in page
        login(client, "fajar")
        header = client.get("/worklist").get_data(as_text=True)
        assert 'class="unread-count"' in header
        notes = client.get("/notifications").get_data(as_text=True)
        assert case["case_number"] in notes and "Periksa permohonan" in notes
        # the button opens the task in this app (marking the notification read), whatever PUBLIC_URL the
        # e-mail links carry
        note = engine.notifications.list(engine.identity.by_username("fajar"), limit=1)[0]
        assert f'href="/notifications/{note.id}/buka"' in notes
        assert "menunggu dikirim" in notes  # this module's app has an SMTP server to send it to
    api_case = citra.get(f"/cases/{case['id']}").get_json()
    assert api_case["targets_minutes"]["Task_PeriksaPermohonan"] == 10
    fajar_token = engine.tokens.new("fajar")
    listed = app.test_client().get("/api/v1/notifications?unread=1",
                                   headers={"Authorization": f"Bearer {fajar_token}"}).get_json()
    assert listed["unread"] == 1 and case["case_number"] in listed["items"][0]["subject"]
    login(client, "fajar")  # (the login above was made at the travelled time)
    assert client.get(f"/notifications/{note.id}/buka").headers["Location"] == f"/tasks/{step2['id']}"


def test_one_unsendable_message_does_not_stall_the_others(engine, people, smtp):
    file_case(people["ani"])
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        engine.timers.run_pass("w1")
    with engine.store.transaction(write=True) as session:
        good = session.scalar(select(Notification))
        session.add(Notification(instance_id=good.instance_id, user_id=good.user_id, subject="Baris\nrusak",
                                 body="x", link="x", message_id="<rusak@sengketa.local>", delivery="pending",
                                 next_attempt_at=utcnow() - timedelta(seconds=1), created_at=utcnow()))
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        assert engine.outbox.deliver_due() == 1
    assert len(smtp.messages) == 1
    with engine.store.transaction() as session:
        assert dict(session.execute(select(Notification.message_id, Notification.delivery)).all())[
            "<rusak@sengketa.local>"] == "failed"


def test_a_mail_server_that_never_answers_does_not_delay_timers(engine, people):
    """A server that accepts connections but never greets (each send waits out the SMTP timeout, 10 s):
    mail waits, and timers still fire when due."""
    import socket
    silent = socket.socket()
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    silent.bind(("127.0.0.1", SMTP_PORT))
    silent.listen(16)
    first, second = file_case(people["ani"]), file_case(people["ani"])
    with engine.store.transaction(write=True) as session:
        session.execute(update(Timer).where(Timer.instance_id == first["id"])
                        .values(due_at=utcnow() - timedelta(seconds=1)))
        session.execute(update(Timer).where(Timer.instance_id == second["id"])
                        .values(due_at=utcnow() + timedelta(seconds=2)))
    worker = Worker(engine.timers, engine.outbox, max_sleep=0.2)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while count(engine, Escalation) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(30)
        silent.close()
    with engine.store.transaction() as session:
        fired_at, due_at = session.execute(select(Timer.fired_at, Timer.due_at)
                                           .where(Timer.instance_id == second["id"])).one()
        assert session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.delivery == "sent")) == 0
    # Behind a blocked send it would have waited ~10 s; on its own it fires within the worker's sleep.
    assert (fired_at - due_at) < timedelta(seconds=5)


def test_the_supervisors_alert_says_what_the_step_is_now(client, engine, people):
    """The UX walk-through: the 'Target terlewati' card still said 'Diambil oleh layanan2' after the step had
    been released and done; the message stays as sent, and beside it the page says what the step is now."""
    citra, fajar = people["citra"], people["fajar"]
    engine.identity.change_user(None, "citra", "tim_layanan", "citra@contoh.go.id", full_name="Citra Lestari")
    case = file_case(people["ani"])
    step = open_task(citra, case)
    citra.post(f"/tasks/{step['id']}/claim")
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        assert engine.timers.run_pass("w1") == 1
    login(client, "fajar")

    def now_says():
        page = client.get("/notifications").get_data(as_text=True)
        return " ".join(re.search(r'<p class="step-now"[^>]*>(.*?)</p>', page, re.S).group(1).split())
    assert now_says() == "<strong>Kini:</strong> dikerjakan oleh Citra Lestari."
    assert fajar.post(f"/tasks/{step['id']}/unclaim").status_code == 200
    assert now_says() == "<strong>Kini:</strong> menunggu di antrian, belum diambil siapa pun."
    fajar.post(f"/tasks/{step['id']}/claim")
    fajar.post(f"/tasks/{step['id']}/complete", json={"data": CHECK_COMPLETE})
    assert now_says().startswith("<strong>Kini:</strong> langkah ini sudah diselesaikan oleh fajar pada ")


def test_an_agencys_step_waits_for_the_agency_not_in_a_queue(client, people):
    from samples import CHECK_INCOMPLETE
    citra = people["citra"]
    case = file_case(people["ani"])
    step = open_task(citra, case)
    citra.post(f"/tasks/{step['id']}/claim")
    citra.post(f"/tasks/{step['id']}/complete", json={"data": CHECK_INCOMPLETE})
    login(client, "ani")
    page = client.get("/notifications").get_data(as_text=True)
    now = " ".join(re.search(r'<p class="step-now"[^>]*>(.*?)</p>', page, re.S).group(1).split())
    assert now == "<strong>Kini:</strong> menunggu dikerjakan instansi Anda."
