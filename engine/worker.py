"""The timer worker: fires due timers and sends due mail, sleeping exactly until the next due time
(re-checking at least every `max_sleep` seconds for timers that new commands created)."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from .models import utcnow
from .outbox import Outbox
from .timers import Timers, worker_name

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
        while not self.stopping.is_set():
            try:
                fired, sent = self.run_once()
            except Exception:  # a database restart, say: keep going, nothing is lost in between
                log.exception("timer worker pass failed; retrying")
                self.stopping.wait(self.max_sleep)
                continue
            if fired or sent:
                continue  # more may be due right behind them
            wake = self._next_wake(utcnow())
            if exit_when_idle and wake is None:
                break
            self.stopping.wait(self._seconds_until(wake))
        log.info("timer worker %s stopped", self.name)

    def stop(self) -> None:
        self.stopping.set()

    def _next_wake(self, now: datetime) -> datetime | None:
        candidates = [t for t in (self.timers.next_due(now), self.outbox.next_attempt()) if t is not None]
        return min(candidates) if candidates else None

    def _seconds_until(self, wake: datetime | None) -> float:
        if wake is None:
            return self.max_sleep
        return min(max((wake - utcnow()).total_seconds(), 0.0), self.max_sleep)
