"""The timer worker: fires due timers, sleeping exactly until the next due time (re-checking at least
every `max_sleep` seconds for timers that new commands created). Mail goes out from a thread of its
own, so a slow or unreachable SMTP server never delays a timer."""
from __future__ import annotations

import logging
import threading
from datetime import datetime

from .models import utcnow
from .outbox import Outbox
from .store import worker_name
from .timers import Timers

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, timers: Timers, outbox: Outbox, max_sleep: float = 1.0, name: str | None = None):
        self.timers = timers
        self.outbox = outbox
        self.max_sleep = max_sleep
        self.name = name or worker_name()
        self.stopping = threading.Event()

    def run_once(self) -> tuple[int, int]:
        fired = self.timers.run_pass(self.name)
        sent = self.outbox.deliver_due()
        return fired, sent

    def run(self, exit_when_idle: bool = False) -> None:
        log.info("timer worker %s started", self.name)
        sender = threading.Thread(target=self._send_mail, args=(exit_when_idle,), name="outbox", daemon=True)
        sender.start()
        self._loop(lambda: self.timers.run_pass(self.name), self.timers.next_due, exit_when_idle)
        sender.join(timeout=30)
        log.info("timer worker %s stopped", self.name)

    def stop(self) -> None:
        self.stopping.set()

    def _send_mail(self, exit_when_idle: bool) -> None:
        if self.outbox.smtp is not None:
            self._loop(self.outbox.deliver_due, lambda now: self.outbox.next_attempt(), exit_when_idle)

    def _loop(self, work, next_wake, exit_when_idle: bool) -> None:
        while not self.stopping.is_set():
            try:
                if work():
                    continue  # more may be due right behind it
                wake = next_wake(utcnow())
            except Exception:  # a database restart, say: keep going, nothing is lost in between
                log.exception("worker pass failed; retrying")
                self.stopping.wait(self.max_sleep)
                continue
            if exit_when_idle and wake is None:
                break
            self.stopping.wait(self._seconds_until(wake))

    def _seconds_until(self, wake: datetime | None) -> float:
        if wake is None:
            return self.max_sleep
        return min(max((wake - utcnow()).total_seconds(), 0.0), self.max_sleep)
