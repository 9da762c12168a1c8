"""Mail delivery against a real SMTP server on loopback: what one refused message does to the others, and
when a second sender wakes for a message another has leased."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from conftest import PASSWORD
from engine.models import Notification, User, utcnow
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


def test_a_refused_recipient_fails_alone_and_at_once(engine, people, smtp):
    """A 550 for one address is that message's failure: the others in the batch are sent in the same round,
    and what the server will never accept is not tried twenty times more."""
    smtp.mailbox.refused.add("ani2@contohkab.go.id")
    smtp.mailbox.busy.add("ani3@contohkab.go.id")
    announce_to_four(engine, people)
    assert engine.outbox.deliver_due() == 2
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
    leased = engine.outbox._lease(now, 50)  # the first sender takes the batch and is still sending
    assert len(leased) == 4
    assert engine.outbox.next_attempt() >= now + timedelta(seconds=30)
    assert engine.outbox.deliver_due(now) == 0 and smtp.messages == []
