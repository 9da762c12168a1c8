"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
from __future__ import annotations

import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller


class Mailbox:
    """Keeps what it receives; refuses the recipients in `refused` (550: no such user) and, for now, those in
    `busy` (451: try again later); with `sender_refusal` set, refuses every envelope sender with that reply
    (530: authentication required, say); with `per_connection` set, takes that many messages on a connection
    and answers the next MAIL with 421, closing it, as relays with a per-connection limit do."""
    def __init__(self):
        self.messages = []
        self.refused, self.busy = set(), set()
        self.sender_refusal: str | None = None
        self.per_connection: int | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.sender_refusal:
            return self.sender_refusal
        taken = getattr(session, "taken", 0)
        if self.per_connection is not None and taken >= self.per_connection:
            return "421 4.7.0 Terlalu banyak pesan dalam satu koneksi; sambung lagi"
        session.taken = taken + 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 Penerima tidak dikenal"
        if address in self.busy:
            return "451 4.3.0 Coba lagi nanti"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self):
        return self.mailbox.messages

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


def mail_fixtures(port: int):
    """A module's `smtp` fixture (a server on `port`) and the `app_settings` that send the app's mail to it,
    with a public address for the links."""
    @pytest.fixture
    def smtp():
        server = SmtpServer(port).start()
        yield server
        server.stop()

    @pytest.fixture
    def app_settings():
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "MAIL_FROM": "helpdesk@komdigi.go.id",
                "PUBLIC_URL": "https://sengketa.example.go.id"}
    return smtp, app_settings
