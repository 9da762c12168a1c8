"""Running SpiffWorkflow for one instance inside a command's transaction, and mirroring its
waiting user tasks and timers into queryable rows."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import EscalationEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import DurationTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import IntermediateThrowEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from . import described, sql, state
from .calendar import AlwaysOpen
from .definitions import Definitions, Deployed
from .errors import Conflict, Invalid
from .models import Escalation, HistoryEvent
from .store import Tx
from .notifications import CASE_ENDED, STEP_DONE, CaseFacts, Settings, announce_step, notify_escalation


@dataclass(frozen=True)
class Mirror:
    """What the rows mirror of a workflow: its ready user tasks, waiting timers, escalations thrown.
    Comparing the mirror before and after a command says which rows to write, without reading them."""
    ready: frozenset
    waiting: frozenset
    thrown: frozenset

    @classmethod
    def of(cls, workflow: BpmnWorkflow) -> "Mirror":
        ready, waiting, thrown = set(), set(), set()
        for task in workflow.tasks.values():
            if task.state == TaskState.READY and task.task_spec.manual:
                ready.add(task.id)
            elif task.state == TaskState.WAITING and _is_timer(task):
                waiting.add(task.id)
            elif task.state == TaskState.COMPLETED and _is_escalation(task):
                thrown.add(task.id)
        return cls(frozenset(ready), frozenset(waiting), frozenset(thrown))


NOTHING = Mirror(frozenset(), frozenset(), frozenset())


@dataclass
class Locked:
    """An instance row a command holds for its whole transaction."""
    id: int
    definition_id: int
    revision: int
    status: str


@dataclass(frozen=True)
class NewTask:
    id: str
    element_id: str
    name: str
    lane: str
    form_key: str | None
    created_at: datetime
    due_at: datetime | None


class Execution:
    def __init__(self, definitions: Definitions, calendar=None, settings: Settings | None = None,
                 cache_size: int = 512):
        self.definitions = definitions
        self.calendar = calendar or AlwaysOpen()
        self.settings = settings or Settings()
        self.cache = state.WorkflowCache(cache_size)

    def new_workflow(self, deployed: Deployed) -> BpmnWorkflow:
        return BpmnWorkflow(deployed.spec, deployed.subprocess_specs)

    def lock(self, tx: Tx, instance_id: int, wait: bool = True) -> Locked:
        """Row lock on PostgreSQL (SQLite's BEGIN IMMEDIATE already serializes writers). `wait` False: a case
        another command holds is a Conflict ("busy") at once."""
        row = tx.first(sql.LOCK_INSTANCE if wait else sql.LOCK_INSTANCE_NOWAIT, {"instance_id": instance_id})
        if row is None:
            raise Conflict("stale", "Kasus ini tidak ditemukan lagi; muat ulang.")
        return Locked(*row)

    def load(self, tx: Tx, instance) -> tuple[Deployed, BpmnWorkflow]:
        """The instance's workflow, taken out of the cache if nobody changed it since, else restored."""
        deployed = self.definitions.get(tx, instance.definition_id)
        workflow = self.cache.take(instance.id, instance.revision)
        if workflow is None:
            text = tx.scalar(sql.INSTANCE_STATE, {"instance_id": instance.id})
            if text is None:
                raise Conflict("stale", "Kasus ini tidak ditemukan lagi; muat ulang.")
            workflow = state.load(text, deployed.spec, deployed.subprocess_specs)
        return deployed, workflow

    @contextmanager
    def peek(self, tx: Tx, instance) -> Iterator[tuple[Deployed, BpmnWorkflow]]:
        """Read-only access for pages. The workflow stays out of the shared cache while the page reads it,
        so a command in another thread restores its own copy instead of changing this one mid-read; it
        goes back unchanged afterwards (if it can still take commands; see remember)."""
        deployed, workflow = self.load(tx, instance)
        try:
            yield deployed, workflow
        finally:
            self._keep(instance, workflow)

    @contextmanager
    def engine_steps(self):
        """SpiffWorkflow errors (a condition that fails on the data, say) refuse the command."""
        try:
            yield
        except SpiffWorkflowException as exc:
            raise Invalid("engine", f"Proses tidak dapat dilanjutkan: {exc}",
                          [{"field": "", "message": str(exc)}]) from exc

    def save(self, tx: Tx, locked: Locked, deployed: Deployed, workflow: BpmnWorkflow,
             now: datetime, before: Mirror, done: str | None = None, case_number: str | None = None,
             events: tuple[dict, ...] = (), case: CaseFacts | None = None,
             ended: str | None = None) -> list[NewTask]:
        """Writes the state and brings human-task, timer and escalation rows in line with it, in the
        command's transaction; `done` is the human task the command itself completed, `events` its own
        history rows (written first, with those of the tasks it created), `case` what announcements say of the
        case if the command has it at hand; `ended`: the command ended the case before its process did, with this
        status (`cancelled`, or `withdrawn` by its agency).
        Returns the new tasks."""
        workflow.get_events()  # escalations are read from the task tree below; nothing else listens outside
        after = Mirror.of(workflow)
        self._schedule(workflow, after.waiting - before.waiting, now)
        # A target missed is told first, however it came to light (the timer worker, or the late completion
        # itself), then what the command did, then the steps it made ready.
        fired = self._end_timers(tx, locked, workflow, before, after, now)
        if fired:
            tx.many(sql.ADD_HISTORY, fired)
        for task_id in after.thrown - before.thrown:
            self._escalate(tx, locked, deployed, workflow.tasks[task_id], now)
        created = self._write_tasks(tx, locked, deployed, workflow, before, after, now, done,
                                    CASE_ENDED if ended else STEP_DONE)
        self._add_timers(tx, locked, workflow, before, after)  # after the tasks they are attached to
        history = list(events) + [
            sql.history_row(instance_id=locked.id, at=now, event="task_created", task_id=t.id,
                            element_id=t.element_id, name=t.name) for t in created]
        if history:
            tx.many(sql.ADD_HISTORY, history)
        for new in created:
            if new.lane in self.settings.announced_lanes:
                sent = described.sent_to(deployed, workflow, new.element_id)
                announce_step(tx, self.settings, locked.id, new, case_number, case, sent)
        params = {"instance_id": locked.id, "old_revision": locked.revision, "new_revision": locked.revision + 1,
                  "state": state.dump(workflow)}
        statement = sql.SAVE_STATE
        if case_number is not None:
            statement, params["case_number"] = sql.SAVE_STATE_NUMBERED, case_number
        # Nothing ready and no timer waiting: only then can the case have ended (saves a walk of the tree).
        completed = not after.ready and not after.waiting and locked.status == "running" and workflow.is_completed()
        if ended:
            statement, params["at"], params["status"], completed = sql.SAVE_STATE_ENDED, now, ended, False
        if completed:
            statement, params["at"] = sql.SAVE_STATE_COMPLETED, now
            tx.run(sql.ADD_HISTORY, sql.history_row(instance_id=locked.id, at=now, event="case_completed"))
        if tx.run(statement, params) != 1:
            raise Conflict("stale", "Kasus ini baru saja diubah oleh perintah lain; coba lagi.")
        locked.revision += 1
        if completed or ended:
            locked.status = ended or "completed"
        return created

    def remember(self, locked: Locked, workflow: BpmnWorkflow) -> None:
        """After commit: the next command on this instance can skip restoring it. A finished case takes
        no more commands, so it is not kept (pages that look at it restore it, rarely)."""
        self._keep(locked, workflow)

    def _keep(self, instance, workflow: BpmnWorkflow) -> None:
        if instance.status == "running":
            self.cache.put(instance.id, instance.revision, workflow)

    def _schedule(self, workflow, started, now) -> None:
        """Due times of new duration timers follow the service calendar (SpiffWorkflow's own is 24x7)."""
        for task_id in started:
            task = workflow.tasks[task_id]
            definition = task.task_spec.event_definition
            if not isinstance(definition, DurationTimerEventDefinition) or task.internal_data.get("calendar"):
                continue
            literal = definition.expression.strip().strip("'\"")
            duration = TimerEventDefinition.get_timedelta_from_start(
                TimerEventDefinition.parse_iso_duration(literal), now)
            task.internal_data["event_value"] = self.calendar.add(now, duration).isoformat()
            task.internal_data["calendar"] = self.calendar.name

    def _write_tasks(self, tx, locked, deployed, workflow, before, after, now, done, why) -> list[NewTask]:
        """`why`: what unsent mail announcing the steps that went is told (STEP_DONE, CASE_ENDED)."""
        gone = [str(t) for t in before.ready - after.ready if str(t) != done]
        if gone:
            tx.many(sql.CANCEL_TASK, [{"task_id": t, "at": now} for t in gone])
            tx.many(sql.SETTLE_ANNOUNCEMENTS, [{"task_id": t, "at": now, "why": why} for t in gone])
        created = []
        for task_id in after.ready - before.ready:
            task = workflow.tasks[task_id]
            meta = deployed.model.steps[task.task_spec.bpmn_id]
            created.append(NewTask(str(task_id), meta.element_id, meta.name, meta.lane, meta.form_key, now,
                                   _earliest_due(task)))
        if created:
            tx.many(sql.ADD_TASK, [
                {"id": t.id, "instance_id": locked.id, "element_id": t.element_id, "name": t.name, "lane": t.lane,
                 "form_key": t.form_key, "state": "ready", "created_at": now, "due_at": t.due_at,
                 "claimed_by": None, "claimed_at": None, "completed_at": None, "completed_by": None}
                for t in created])
        return created

    def _end_timers(self, tx, locked, workflow, before, after, now) -> list[dict]:
        """Ends the rows of timers that fired or were cancelled; returns the history rows of the fired ones
        (the target, and how late it was noticed)."""
        ended, fired_rows = [], []
        for timer_id in before.waiting - after.waiting:
            task = workflow.tasks.get(timer_id)
            fired = task is not None and task.state == TaskState.COMPLETED
            ended.append({"timer_id": str(timer_id), "new_state": "fired" if fired else "cancelled",
                          "fired_at": now if fired else None})
            if fired:
                fired_rows.append(_fired_row(locked.id, task, now))
        if ended:
            tx.many(sql.END_TIMER, ended)
        return fired_rows

    def _add_timers(self, tx, locked, workflow, before, after) -> None:
        rows = []
        for timer_id in after.waiting - before.waiting:
            task = workflow.tasks[timer_id]
            due = _due(task)
            if due is None:
                continue
            host = _host_task(task)
            rows.append({"id": str(timer_id), "instance_id": locked.id, "element_id": task.task_spec.bpmn_id,
                         "human_task_id": str(host.id) if host is not None else None, "state": "waiting",
                         "due_at": due, "fired_at": None, "lease_owner": None, "lease_until": None})
        if rows:
            tx.many(sql.ADD_TIMER, rows)

    def _escalate(self, tx, locked, deployed, task, now) -> None:
        """An escalation event the diagram reached: recorded once, and the lane's supervisors are told."""
        timer = _timer_ancestor(task)
        host = _host_task(timer) if timer is not None else None
        escalation = Escalation(id=str(task.id), instance_id=locked.id, element_id=task.task_spec.bpmn_id,
                                timer_id=str(timer.id) if timer else None,
                                human_task_id=str(host.id) if host is not None else None,
                                lane=deployed.model.lanes.get(task.task_spec.bpmn_id),
                                due_at=_due(timer) if timer else None, raised_at=now)
        session = tx.session
        session.add(escalation)
        session.add(HistoryEvent(instance_id=locked.id, at=now, event="sla_escalated",
                                 task_id=escalation.human_task_id, element_id=escalation.element_id,
                                 name=task.task_spec.bpmn_name))
        session.flush()
        notify_escalation(session, self.settings, escalation, now)


def _fired_row(instance_id: int, timer_task, now: datetime) -> dict:
    host, due = _host_task(timer_task), _due(timer_task)
    detail = {"due_at": due.isoformat(), "late_ms": int((now - due).total_seconds() * 1000)} if due else None
    return sql.history_row(instance_id=instance_id, at=now, event="timer_fired",
                           task_id=str(host.id) if host is not None else None,
                           element_id=timer_task.task_spec.bpmn_id, name=timer_task.task_spec.bpmn_name,
                           detail=detail)


def _is_escalation(task) -> bool:
    return isinstance(task.task_spec, IntermediateThrowEvent) and \
        isinstance(task.task_spec.event_definition, EscalationEventDefinition)


def _timer_ancestor(task):
    parent = task.parent
    while parent is not None and not _is_timer(parent):
        parent = parent.parent
    return parent


def _is_timer(task) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)


def _due(task) -> datetime | None:
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):  # a cycle keeps its next occurrence
        value = value.get("next")
    if not value:
        return None
    return TimerEventDefinition.get_datetime(value)


def _host_task(timer_task):
    """The user task a boundary timer is attached to: its sibling under the boundary split."""
    for sibling in timer_task.parent.children:
        if sibling is not timer_task and sibling.task_spec.manual:
            return sibling
    return None


def _earliest_due(user_task) -> datetime | None:
    dues = [_due(s) for s in user_task.parent.children if s is not user_task and _is_timer(s)
            and s.state == TaskState.WAITING]
    dues = [d for d in dues if d is not None]
    return min(dues) if dues else None
