"""Running SpiffWorkflow for one instance inside a command's transaction, and mirroring its
waiting user tasks and timers into queryable rows."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import EscalationEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import DurationTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import IntermediateThrowEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from . import state
from .calendar import AlwaysOpen
from .definitions import Definitions, Deployed
from .errors import Invalid
from .models import Escalation, HistoryEvent, HumanTask, Instance, Timer
from .notifications import Settings, notify_escalation


class Execution:
    def __init__(self, definitions: Definitions, calendar=None, settings: Settings | None = None,
                 cache_size: int = 512):
        self.definitions = definitions
        self.calendar = calendar or AlwaysOpen()
        self.settings = settings or Settings()
        self.cache = state.WorkflowCache(cache_size)

    def new_workflow(self, deployed: Deployed) -> BpmnWorkflow:
        return BpmnWorkflow(deployed.spec, deployed.subprocess_specs)

    def load(self, session: Session, instance: Instance) -> tuple[Deployed, BpmnWorkflow]:
        """The instance's workflow, taken out of the cache if nobody changed it since, else restored."""
        deployed = self.definitions.get(session, instance.definition_id)
        workflow = self.cache.take(instance.id, instance.revision)
        if workflow is None:
            workflow = state.load(instance.state, deployed.spec, deployed.subprocess_specs)
        return deployed, workflow

    def peek(self, session: Session, instance: Instance) -> tuple[Deployed, BpmnWorkflow]:
        """Read-only access for pages: the workflow goes back into the cache unchanged."""
        deployed, workflow = self.load(session, instance)
        self.cache.put(instance.id, instance.revision, workflow)
        return deployed, workflow

    @contextmanager
    def engine_steps(self):
        """SpiffWorkflow errors (a condition that fails on the data, say) refuse the command."""
        try:
            yield
        except SpiffWorkflowException as exc:
            raise Invalid("engine", f"Proses tidak dapat dilanjutkan: {exc}",
                          [{"field": "", "message": str(exc)}]) from exc

    def save(self, session: Session, instance: Instance, deployed: Deployed, workflow: BpmnWorkflow,
             now: datetime) -> list[HumanTask]:
        """Writes the state and brings human-task, timer and escalation rows in line with it; returns new tasks."""
        self._schedule(workflow, now)
        workflow.get_events()  # escalations are read from the task tree below; nothing else listens outside
        if workflow.is_completed() and instance.status == "running":
            instance.status = "completed"
            instance.completed_at = now
            session.add(HistoryEvent(instance_id=instance.id, at=now, event="case_completed"))
        created = self._sync_tasks(session, instance, deployed, workflow, now)
        session.flush()
        self._sync_timers(session, instance, workflow, now)
        session.flush()
        self._raise_escalations(session, instance, deployed, workflow, now)
        instance.state = state.dump(workflow)
        return created

    def _schedule(self, workflow, now) -> None:
        """Due times of new duration timers follow the service calendar (SpiffWorkflow's own is 24x7)."""
        for task in workflow.get_tasks(state=TaskState.WAITING):
            definition = getattr(task.task_spec, "event_definition", None)
            if not isinstance(definition, DurationTimerEventDefinition) or task.internal_data.get("calendar"):
                continue
            literal = definition.expression.strip().strip("'\"")
            duration = TimerEventDefinition.get_timedelta_from_start(
                TimerEventDefinition.parse_iso_duration(literal), now)
            task.internal_data["event_value"] = self.calendar.add(now, duration).isoformat()
            task.internal_data["calendar"] = self.calendar.name

    def remember(self, instance: Instance, workflow: BpmnWorkflow) -> None:
        """After commit: the next command on this instance can skip restoring it."""
        self.cache.put(instance.id, instance.revision, workflow)

    def _sync_tasks(self, session, instance, deployed, workflow, now) -> list[HumanTask]:
        ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        open_rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                            HumanTask.state == "ready")).all()
        for row in open_rows:
            if row.id not in ready:
                row.state = "cancelled"
                row.completed_at = now
        known = {row.id for row in open_rows}
        created = []
        for task_id, task in ready.items():
            if task_id in known:
                continue
            meta = deployed.model.steps[task.task_spec.bpmn_id]
            row = HumanTask(id=task_id, instance_id=instance.id, element_id=meta.element_id, name=meta.name,
                            lane=meta.lane, form_key=meta.form_key, state="ready", created_at=now,
                            due_at=_earliest_due(task))
            session.add(row)
            session.add(HistoryEvent(instance_id=instance.id, at=now, event="task_created", task_id=task_id,
                                     element_id=meta.element_id, name=meta.name))
            created.append(row)
        return created

    def _sync_timers(self, session, instance, workflow, now) -> None:
        waiting = {str(t.id): t for t in workflow.get_tasks(state=TaskState.WAITING) if _is_timer(t)}
        rows = session.scalars(select(Timer).where(Timer.instance_id == instance.id,
                                                   Timer.state == "waiting")).all()
        for row in rows:
            if row.id not in waiting:
                task = workflow.tasks.get(UUID(row.id))
                fired = task is not None and task.state == TaskState.COMPLETED
                row.state, row.fired_at = ("fired", now) if fired else ("cancelled", None)
                row.lease_owner = row.lease_until = None
        known = {row.id for row in rows}
        for timer_id, task in waiting.items():
            due = _due(task)
            if timer_id in known or due is None:
                continue
            host = _host_task(task)
            session.add(Timer(id=timer_id, instance_id=instance.id, element_id=task.task_spec.bpmn_id,
                              human_task_id=str(host.id) if host is not None else None, due_at=due))

    def _raise_escalations(self, session, instance, deployed, workflow, now) -> None:
        """Each escalation event the diagram reached is recorded once and notifies its lane's supervisors."""
        thrown = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if _is_escalation(t)]
        if not thrown:
            return
        known = set(session.scalars(select(Escalation.id).where(Escalation.instance_id == instance.id)))
        for task in thrown:
            if str(task.id) in known:
                continue
            timer = _timer_ancestor(task)
            host = _host_task(timer) if timer is not None else None
            escalation = Escalation(id=str(task.id), instance_id=instance.id, element_id=task.task_spec.bpmn_id,
                                    timer_id=str(timer.id) if timer else None,
                                    human_task_id=str(host.id) if host is not None else None,
                                    lane=deployed.model.lanes.get(task.task_spec.bpmn_id),
                                    due_at=_due(timer) if timer else None, raised_at=now)
            session.add(escalation)
            session.flush()
            session.add(HistoryEvent(instance_id=instance.id, at=now, event="sla_escalated",
                                     task_id=escalation.human_task_id, element_id=escalation.element_id,
                                     name=task.task_spec.bpmn_name))
            notify_escalation(session, self.settings, escalation, now)


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
