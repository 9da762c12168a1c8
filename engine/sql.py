"""The statements of the hot commands (start, claim, complete, fire), built once as Core statements
with bind parameters: building and ORM-routing a statement costs more than running it on SQLite."""
from __future__ import annotations

from sqlalchemy import bindparam, insert, select, update

from .models import Agency, HistoryEvent, HumanTask, Instance, Timer

task, instance, agency = HumanTask.__table__, Instance.__table__, Agency.__table__
history, timer = HistoryEvent.__table__, Timer.__table__

TASK_FOR_COMMAND = (
    select(task.c.id, task.c.instance_id, task.c.element_id, task.c.name, task.c.lane, task.c.state,
           task.c.claimed_by, task.c.created_at, task.c.due_at, task.c.form_key, instance.c.agency_id,
           instance.c.case_number, instance.c.domain_name, agency.c.name.label("agency"))
    .join(instance, instance.c.id == task.c.instance_id)
    .join(agency, agency.c.id == instance.c.agency_id)
    .where(task.c.id == bindparam("task_id")))

CLAIM = (update(task).where(task.c.id == bindparam("task_id"), task.c.state == "ready", task.c.claimed_by.is_(None))
         .values(claimed_by=bindparam("user_id"), claimed_at=bindparam("at")))
UNCLAIM = (update(task).where(task.c.id == bindparam("task_id"), task.c.state == "ready",
                              task.c.claimed_by == bindparam("holder"))
           .values(claimed_by=None, claimed_at=None))
COMPLETE = (update(task).where(task.c.id == bindparam("task_id"), task.c.state == "ready",
                               task.c.claimed_by == bindparam("user_id"))
            .values(state="completed", completed_at=bindparam("at"), completed_by=bindparam("user_id")))
CANCEL_TASKS = (update(task).where(task.c.id.in_(bindparam("ids", expanding=True)), task.c.state == "ready")
                .values(state="cancelled", completed_at=bindparam("at")))
ADD_TASK = insert(task)

LOCK_INSTANCE = (select(instance.c.id, instance.c.definition_id, instance.c.revision, instance.c.status)
                 .where(instance.c.id == bindparam("instance_id")).with_for_update())
INSTANCE_STATE = select(instance.c.state).where(instance.c.id == bindparam("instance_id"))
SAVE_STATE = (update(instance).where(instance.c.id == bindparam("instance_id"),
                                     instance.c.revision == bindparam("old_revision"))
              .values(state=bindparam("state"), revision=bindparam("new_revision")))

ADD_HISTORY = insert(history)
HISTORY_COLUMNS = dict(user_id=None, task_id=None, element_id=None, name=None, detail=None)

TIMER_OF = select(timer.c.instance_id, timer.c.state, timer.c.due_at, timer.c.element_id,
                  timer.c.human_task_id).where(timer.c.id == bindparam("timer_id"))
ADD_TIMER = insert(timer)
END_TIMERS = (update(timer).where(timer.c.id.in_(bindparam("ids", expanding=True)), timer.c.state == "waiting")
              .values(state=bindparam("new_state"), fired_at=bindparam("fired_at"), lease_owner=None,
                      lease_until=None))


def history_row(**values) -> dict:
    """A history row with every column given, so one prepared insert serves all of them."""
    return {**HISTORY_COLUMNS, **values}
