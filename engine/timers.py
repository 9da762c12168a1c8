"""Management service for timers: lease due timers, fire each in its own command, exactly once.

Many workers may run against one PostgreSQL database. A worker leases a batch of due timers
(`FOR UPDATE SKIP LOCKED`, so two workers never lease the same rows) and fires each one under the
instance's row lock, the same lock user commands take, in the same order (instance, then timer rows).
A worker that dies leaves leases that expire; another worker then takes the timers over. Firing checks
the timer is still waiting, so a timer is fired at most once however often it is leased."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import func, or_, select, update
from SpiffWorkflow.util.task import TaskState

from . import sql
from .errors import Conflict
from .execution import Execution, Mirror
from .models import Timer, utcnow
from .store import Store

log = logging.getLogger(__name__)
BUSY_RETRY = timedelta(seconds=2)  # a timer whose case a command holds is tried again this much later


class Timers:
    def __init__(self, store: Store, execution: Execution, lease: timedelta = timedelta(seconds=30)):
        self.store = store
        self.execution = execution
        self.lease = lease

    def next_due(self, now: datetime | None = None) -> datetime | None:
        """When a worker next has something to do: the earliest unleased due time, or the earliest
        lease to run out (a crashed worker's). Two index lookups, whatever the number waiting."""
        now = now or utcnow()
        with self.store.transaction() as session:
            due = session.scalar(select(Timer.due_at).where(
                Timer.state == "waiting", or_(Timer.lease_until.is_(None), Timer.lease_until < now))
                .order_by(Timer.due_at).limit(1))
            # Leases exist only on waiting timers (firing or cancelling clears them): the small partial
            # index on leased rows answers this alone.
            lease = session.scalar(select(func.min(Timer.lease_until)).where(Timer.lease_until >= now))
        return min((t for t in (due, lease) if t is not None), default=None)

    def lease_due(self, owner: str, now: datetime | None = None, limit: int = 50) -> list[str]:
        now = now or utcnow()
        with self.store.transaction(write=True) as session:
            ids = session.scalars(
                select(Timer.id).where(Timer.state == "waiting", Timer.due_at <= now,
                                       or_(Timer.lease_until.is_(None), Timer.lease_until < now))
                .order_by(Timer.due_at).limit(limit).with_for_update(skip_locked=True)).all()
            if ids:
                session.execute(update(Timer).where(Timer.id.in_(ids))
                                .values(lease_owner=owner, lease_until=now + self.lease))
            return list(ids)

    def fire(self, timer_id: str, now: datetime | None = None) -> bool:
        """Fires one timer if it still waits; returns whether it fired. `now`: the time it fires at (tests);
        by default the moment its case is locked, so a command that ran first is history before it."""
        with self.store.command(write=True) as tx:
            timer = tx.first(sql.TIMER_OF, {"timer_id": timer_id})
            if timer is None or timer.state != "waiting":
                return False
            # the order user commands use: case, timer; a case a command holds is taken up next pass
            locked = self.execution.lock(tx, timer.instance_id, wait=False)
            now = now or utcnow()
            timer = tx.first(sql.TIMER_OF, {"timer_id": timer_id})  # as it is now that we hold the lock
            if timer.state != "waiting":
                return False
            deployed, workflow = self.execution.load(tx, locked)
            task = workflow.tasks.get(UUID(timer_id))
            if task is None or task.state != TaskState.WAITING:
                tx.run(sql.END_TIMER, {"timer_id": timer_id, "new_state": "cancelled", "fired_at": None})
                return False
            before = Mirror.of(workflow)
            # The database's due time is the truth (it follows the service calendar), not the clock
            # SpiffWorkflow would compare with: mark the event fired and let the engine take its path.
            task.internal_data["event_fired"] = True
            with self.execution.engine_steps():
                workflow.refresh_timers()
                workflow.do_engine_steps()
            self.execution.save(tx, locked, deployed, workflow, now, before)  # it writes the timer_fired row
        self.execution.remember(locked, workflow)
        log.info("timer %s (%s) of case %s fired", timer_id, task.task_spec.bpmn_name or timer.element_id, locked.id)
        return True

    def run_pass(self, owner: str, now: datetime | None = None, limit: int = 50) -> int:
        """Leases what is due and fires it; returns how many fired."""
        fired = 0
        for timer_id in self.lease_due(owner, now, limit):
            try:
                fired += self.fire(timer_id, now)
            except Conflict:
                # a command holds its case (or just changed it): looked at again shortly, by whichever worker
                # is free then; released at once, the worker would spin on it while the command runs
                self.postpone(timer_id, owner)
            except Exception:
                # One case that cannot run must not hold up the others: its lease runs out, it is retried.
                log.exception("timer %s could not fire; retried when its lease runs out", timer_id)
        return fired

    def postpone(self, timer_id: str, owner: str) -> None:
        with self.store.transaction(write=True) as session:
            session.execute(update(Timer).where(Timer.id == timer_id, Timer.lease_owner == owner)
                            .values(lease_until=utcnow() + BUSY_RETRY))
