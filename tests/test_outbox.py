"""Mail delivery against a real SMTP server on loopback: what one refused message does to the others, what a
lost connection or a refused sender does to a batch, and how two senders share the outbox without sending one
message twice."""
from __future__ import annotations

import threading
from datetime import timedelta

import time_machine
from sqlalchemy import select

from conftest import PASSWORD
from engine.models import Notification, User, utcnow
from engine.outbox import Outbox
from samples import CHECK_INCOMPLETE
from smtp import free_port, mail_fixtures
from test_sop_api import file_case, open_task, work

SMTP_PORT = free_port()
smtp, app_settings = mail_fixtures(SMTP_PORT)
OFFICERS = {"ani2": "ani2@contohkab.go.id", "ani3": "ani3@contohkab.go.id", "ani4": "ani4@contohkab.go.id"}


def announce_to_four(engine, people):
    """Ani and three colleagues: a case sent back as incomplete is announced to each of them."""
    for name, email in OFFICERS.items():
        engine.identity.add_user(name, "pemohon", email, PASSWORD, "kab-contoh")
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)


def deliveries(engine) -> dict[str, tuple[str, int]]:
    with engine.store.transaction() as session:
        return {email: (delivery, attempts) for email, delivery, attempts in session.execute(
            select(User.email, Notification.delivery, Notification.attempts)
            .join(User, User.id == Notification.user_id))}


def test_a_refused_recipient_fails_alone_and_at_once(engine, people, smtp, caplog):
    """A 550 for one address is that message's failure: the others in the batch are sent in the same round,
    and what the server will never accept is not tried twenty times more."""
    smtp.mailbox.refused.add("ani2@contohkab.go.id")
    smtp.mailbox.busy.add("ani3@contohkab.go.id")
    announce_to_four(engine, people)
    with caplog.at_level("INFO", logger="engine.outbox"):
        assert engine.outbox.deliver_due() == 2
    # the operator reads in the worker's log what went, what waits and what was given up (the operator probe)
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "engine.outbox"]
    assert sum(1 for level, text in said if level == "INFO" and " sent (notification " in text) == 2
    assert any(level == "WARNING" and "given up after 1 attempt(s)" in text and "550" in text for level, text in said)
    assert any(level == "INFO" and "not sent" in text and "tried again at" in text for level, text in said)
    assert sorted(m["To"] for m in smtp.messages) == ["ani4@contohkab.go.id", "ani@contoh.go.id"]
    assert deliveries(engine) == {"ani@contoh.go.id": ("sent", 1), "ani2@contohkab.go.id": ("failed", 1),
                                  "ani3@contohkab.go.id": ("pending", 1), "ani4@contohkab.go.id": ("sent", 1)}
    with engine.store.transaction() as session:
        error = session.scalar(select(Notification.last_error).join(User, User.id == Notification.user_id)
                               .where(User.email == "ani2@contohkab.go.id"))
    assert "550" in error

    smtp.mailbox.busy.clear()  # the busy mailbox is back: its message goes after its back-off
    assert engine.outbox.deliver_due() == 0
    with time_machine.travel(utcnow() + timedelta(seconds=6), tick=False):
        assert engine.outbox.deliver_due() == 1
    assert deliveries(engine)["ani3@contohkab.go.id"] == ("sent", 2) and len(smtp.messages) == 3


def test_a_message_another_sender_holds_is_not_due_before_its_lease_ends(engine, people, smtp):
    """A second worker asks when the next message is due: one leased by the first is due when the lease
    runs out (it wakes then, not at once and again and again)."""
    announce_to_four(engine, people)
    now = utcnow()
    assert engine.outbox.next_attempt() <= now
    leased = engine.outbox._lease(now, 50, "pekerja-lain")  # the first sender takes the batch and is still sending
    assert len(leased) == 4
    assert engine.outbox.next_attempt() >= now + timedelta(seconds=30)
    assert engine.outbox.deliver_due(now) == 0 and smtp.messages == []


def test_a_refused_sender_holds_the_mail_back_instead_of_throwing_it_away(engine, people, smtp):
    """A relay that refuses our envelope sender (its credentials expired, MAIL_FROM changed) would refuse every
    message: that is the connection's failure, so the batch waits, uncharged but for the one in hand, and goes
    once the operator has mended it."""
    smtp.mailbox.sender_refusal = "530 5.7.0 Authentication required"
    announce_to_four(engine, people)
    assert engine.outbox.deliver_due() == 0
    attempts = sorted(attempt for _, attempt in deliveries(engine).values())
    assert {d for d, _ in deliveries(engine).values()} == {"pending"} and attempts == [0, 0, 0, 1]
    assert engine.outbox.deliver_due() == 0 and smtp.messages == []  # backing off: not hammered again at once

    smtp.mailbox.sender_refusal = None  # the relay is mended
    with time_machine.travel(utcnow() + timedelta(minutes=1), tick=False):
        assert engine.outbox.deliver_due() == 4
    assert {d for d, _ in deliveries(engine).values()} == {"sent"} and len(smtp.messages) == 4


def test_mail_is_charged_only_for_attempts_it_had(engine, people, smtp):
    """A relay that takes one message per connection (421 on the next) ends each batch after one message:
    the rest were never offered, so they are not charged, and none is given up before it was tried."""
    smtp.mailbox.per_connection = 1
    announce_to_four(engine, people)
    clock = utcnow()
    for _ in range(20):
        due = engine.outbox.next_attempt()
        if due is None:
            break
        clock = max(clock, due) + timedelta(seconds=1)
        with time_machine.travel(clock, tick=False):
            engine.outbox.deliver_due()
    assert {d for d, _ in deliveries(engine).values()} == {"sent"} and len(smtp.messages) == 4
    # each was refused at most once (as the second on a connection) before it went
    assert max(attempt for _, attempt in deliveries(engine).values()) <= 2
    assert len({m["Message-ID"] for m in smtp.messages}) == 4


class SlowToConnect(Outbox):
    """A sender that takes its time between leasing its batch and talking to the server (a slow network, a
    paused process): long enough for its lease to run out and another sender to take the batch over."""
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.waiting, self.go = threading.Event(), threading.Event()

    def _connect(self):
        self.waiting.set()
        self.go.wait(30)
        return super()._connect()


def test_a_sender_whose_lease_ran_out_does_not_send_what_another_took_over(engine, people, smtp):
    """Each message is the sender's to send only while it holds its lease: the first sender, back after its
    lease ran out, finds the second has taken the batch over and sent it, and sends none of it again."""
    announce_to_four(engine, people)
    slow = SlowToConnect(engine.store, engine.outbox.smtp)
    first = threading.Thread(target=slow.deliver_due)
    first.start()
    try:
        assert slow.waiting.wait(30)
        with time_machine.travel(utcnow() + timedelta(minutes=5), tick=False):
            assert engine.outbox.deliver_due() == 4  # the second sender takes the batch over
            slow.go.set()
            first.join(30)
    finally:
        slow.go.set()
        first.join(30)
    assert len(smtp.messages) == 4 and len({m["Message-ID"] for m in smtp.messages}) == 4
    assert {d for d, _ in deliveries(engine).values()} == {"sent"}


def test_the_administrator_sees_how_mail_fares(engine, people, smtp, client, app):
    """The UX walk-through: administrators get no notifications, so a mail server left unset or refusing was
    nowhere to be seen by the one person who can fix it. The users page says where mail goes, and what waits
    or failed."""
    from test_pages import login
    engine.identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)
    smtp.mailbox.refused.add("ani2@contohkab.go.id")
    smtp.mailbox.busy.add("ani3@contohkab.go.id")
    announce_to_four(engine, people)
    login(client, "gita")
    before = client.get("/admin/pengguna").get_data(as_text=True)
    assert f"dikirim lewat 127.0.0.1:{SMTP_PORT}" in before and "4 menunggu dikirim (tertua " in before
    engine.outbox.deliver_due()
    status = client.get("/admin/pengguna").get_data(as_text=True)
    line = status[status.index('id="mail-status"'):].split("</p>")[0]
    assert "1 menunggu dikirim" in line and "1 gagal dikirim</strong> dalam 7 hari terakhir" in line
    with time_machine.travel(utcnow() + timedelta(days=8)):  # a failure long past no longer stands out
        login(client, "gita")  # (a day's login has ended by then)
        later = client.get("/admin/pengguna").get_data(as_text=True)
    assert "tidak ada yang gagal dalam 7 hari terakhir" in later
