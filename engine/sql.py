"""The statements of the hot commands (start, claim, complete, fire).

They are written as SQLAlchemy Core statements, and SQLAlchemy compiles each once per dialect, with its
own type processing for every parameter and column. They then run straight on the DBAPI cursor: going
through SQLAlchemy's execution for every statement costs many times what SQLite takes to run it."""
from __future__ import annotations

from collections import namedtuple

from sqlalchemy import Integer, String, bindparam, case, cast, exists, func, insert, literal, or_, select, update

from .models import Agency, Document, HistoryEvent, HumanTask, Instance, Notification, Timer, User

task, instance, agency = HumanTask.__table__, Instance.__table__, Agency.__table__
history, timer, document = HistoryEvent.__table__, Timer.__table__, Document.__table__
user, notification = User.__table__, Notification.__table__


def _insert(table, *generated):
    """An insert naming every column but the generated ones, so one compiled form serves all rows."""
    return insert(table).inline().values({c.key: bindparam(c.key, type_=c.type)
                                 for c in table.columns if c.key not in generated})


TASK_FOR_COMMAND = (
    select(task.c.id, task.c.instance_id, task.c.element_id, task.c.name, task.c.lane, task.c.state,
           task.c.claimed_by, task.c.created_at, task.c.due_at, task.c.form_key, instance.c.agency_id,
           instance.c.case_number, instance.c.domain_name, agency.c.name.label("agency"), task.c.completed_by)
    .join(instance, instance.c.id == task.c.instance_id)
    .join(agency, agency.c.id == instance.c.agency_id)
    .where(task.c.id == bindparam("task_id")))

# complete: the task and its case, the case locked (PostgreSQL) as every command on it does first
TASK_FOR_COMPLETE = (TASK_FOR_COMMAND.add_columns(instance.c.definition_id, instance.c.revision, instance.c.status)
                     .with_for_update(of=instance, key_share=True))

# Only an active account claims, and only as the account the command checked: its role, lane and agency as the
# command read them (an administrator moving the officer to PANDI at this moment would otherwise leave them
# holding a Tim Layanan step they can no longer send). On PostgreSQL the account row is share-locked, so a
# deactivation or a change running at the same moment either waits for this claim (and then releases the task)
# or makes the claim find the account changed.
_CLAIMER_AS_CHECKED = exists(select(user.c.id).where(
    user.c.id == bindparam("user_id"), user.c.active.is_(True), user.c.role == bindparam("role"),
    user.c.lane.is_not_distinct_from(bindparam("lane", type_=String)),
    user.c.agency_id.is_not_distinct_from(bindparam("agency_id", type_=Integer))).with_for_update(read=True))
CLAIM = (update(task).where(task.c.id == bindparam("task_id"), task.c.state == "ready", task.c.claimed_by.is_(None),
                            _CLAIMER_AS_CHECKED)
         .values(claimed_by=bindparam("user_id"), claimed_at=bindparam("at")))
# A supervisor gives a step to a named officer: from the queue (as CLAIM), or from the holder they saw (not from
# whoever took it a moment later); the officer still active, and as the command checked them, as it runs.
ASSIGN_HELD = (update(task).where(task.c.id == bindparam("task_id"), task.c.state == "ready",
                                  task.c.claimed_by == bindparam("holder"), _CLAIMER_AS_CHECKED)
               .values(claimed_by=bindparam("user_id"), claimed_at=bindparam("at")))


def claimer(account) -> dict:
    """The parameters of CLAIM and ASSIGN_HELD for the account (an Actor, or a User row) as the command checked it."""
    return {"user_id": account.id, "role": account.role, "lane": account.lane, "agency_id": account.agency_id}


# The account as a claim saw it: whether a claim that updated nothing lost to a colleague or to a change of account.
CLAIMER_NOW = select(user.c.active, user.c.role, user.c.lane, user.c.agency_id).where(user.c.id == bindparam("user_id"))
TASK_NOW = select(task.c.state, task.c.claimed_by, task.c.completed_by).where(task.c.id == bindparam("task_id"))
# Who last let the task go (gave it back, or released it as supervisor or by deactivating its holder). By its
# case first: history is indexed by case, and is the largest table there is.
LAST_RELEASE = (select(user.c.id, User.known_as)
                .select_from(history.join(user, user.c.id == history.c.user_id))
                .where(history.c.instance_id == bindparam("instance_id"), history.c.task_id == bindparam("task_id"),
                       or_(history.c.event == "task_unclaimed", history.c.event == "task_released"))
                .order_by(history.c.id.desc()).limit(1))
# How the step came to its holder, last: taken from the queue, or given by a supervisor (and by whom).
LAST_HANDOVER = (select(history.c.event, User.known_as.label("by"), user.c.role)
                 .select_from(history.join(user, user.c.id == history.c.user_id))
                 .where(history.c.instance_id == bindparam("instance_id"), history.c.task_id == bindparam("task_id"),
                        or_(history.c.event == "task_claimed", history.c.event == "task_assigned"))
                 .order_by(history.c.id.desc()).limit(1))
UNCLAIM = (update(task).where(task.c.id == bindparam("task_id"), task.c.state == "ready",
                              task.c.claimed_by == bindparam("holder"))
           .values(claimed_by=None, claimed_at=None))
COMPLETE = (update(task).where(task.c.id == bindparam("task_id"), task.c.state == "ready",
                               task.c.claimed_by == bindparam("user_id"))
            .values(state="completed", completed_at=bindparam("at"), completed_by=bindparam("user_id")))
# An agency officer's own step, sent without taking it first (Actor.sends_own_step): it becomes theirs as it is done.
# It is the agency's step, not one officer's: one who took it (the API lets them) does not keep colleagues from
# sending it. Still, as the statement runs, an active officer of the case's agency (an administrator may have just
# moved them).
_OWN_AGENCY_OFFICER = exists(
    select(user.c.id).join(instance, instance.c.agency_id == user.c.agency_id)
    .where(user.c.id == bindparam("user_id"), user.c.active.is_(True), user.c.role == "pemohon",
           instance.c.id == task.c.instance_id).correlate(task)
    .with_for_update(read=True, of=user))
COMPLETE_OWN = (update(task).where(task.c.id == bindparam("task_id"), task.c.state == "ready", _OWN_AGENCY_OFFICER)
                .values(state="completed", claimed_by=bindparam("user_id"), claimed_at=bindparam("at"),
                        completed_at=bindparam("at"), completed_by=bindparam("user_id")))
CANCEL_TASK = (update(task).where(task.c.id == bindparam("task_id"), task.c.state == "ready")
               .values(state="cancelled", completed_at=bindparam("at")))
ADD_TASK = _insert(task)

LOCK_INSTANCE = (select(instance.c.id, instance.c.definition_id, instance.c.revision, instance.c.status)
                 .where(instance.c.id == bindparam("instance_id")).with_for_update(key_share=True))
# The timer worker's: a case some command holds is left for the next pass, not waited on, so one busy or stuck
# case does not hold up every other case's targets.
LOCK_INSTANCE_NOWAIT = LOCK_INSTANCE.with_for_update(key_share=True, nowait=True)
INSTANCE_STATE = select(instance.c.state).where(instance.c.id == bindparam("instance_id"))
ADD_INSTANCE = (insert(instance).values(
    definition_id=bindparam("definition_id"), agency_id=bindparam("agency_id"), state="", revision=0,
    status="running", domain_name=bindparam("domain_name"), search_text=bindparam("search_text"),
    started_at=bindparam("at"), started_by=bindparam("user_id"),
    filing_key=bindparam("key"), filing_hash=bindparam("said")).returning(instance.c.id))
SAVE_STATE = (update(instance).where(instance.c.id == bindparam("instance_id"),
                                     instance.c.revision == bindparam("old_revision"))
              .values(state=bindparam("state"), revision=bindparam("new_revision")))
SAVE_STATE_NUMBERED = SAVE_STATE.values(case_number=bindparam("case_number"))
SET_OUTCOME = (update(instance).where(instance.c.id == bindparam("instance_id"))
               .values(outcome=bindparam("value"), outcome_title=bindparam("title"), outcome_tone=bindparam("tone")))
SET_DOMAIN = update(instance).where(instance.c.id == bindparam("instance_id")).values(
    domain_name=bindparam("domain_name"))
SET_SEARCH = update(instance).where(instance.c.id == bindparam("instance_id")).values(
    search_text=bindparam("search_text"))
SAVE_STATE_COMPLETED = SAVE_STATE.values(status="completed", completed_at=bindparam("at"))
SAVE_STATE_ENDED = SAVE_STATE.values(status=bindparam("status"), completed_at=bindparam("at"))  # cancelled, withdrawn

AGENCY = select(agency.c.code, agency.c.name).where(agency.c.id == bindparam("agency_id"))
NAME_AGENCY = update(agency).where(agency.c.id == bindparam("agency_id")).values(name=bindparam("name"))

ADD_HISTORY = _insert(history, "id")
HISTORY_COLUMNS = dict(user_id=None, task_id=None, element_id=None, name=None, detail=None)
ADD_DOCUMENT = _insert(document, "id")

TIMER_OF = select(timer.c.instance_id, timer.c.state, timer.c.due_at, timer.c.element_id,
                  timer.c.human_task_id).where(timer.c.id == bindparam("timer_id"))
ADD_TIMER = _insert(timer)
END_TIMER = (update(timer).where(timer.c.id == bindparam("timer_id"), timer.c.state == "waiting")
             .values(state=bindparam("new_state"), fired_at=bindparam("fired_at"), lease_owner=None,
                     lease_until=None))

# A step reaching a party outside the helpdesk: one notification for each active officer of its role (and, for
# the agency's lane, of the case's agency), written by the command that created the step.
CASE_FACTS = (select(instance.c.case_number, instance.c.domain_name, instance.c.agency_id, agency.c.name)
              .join(agency, agency.c.id == instance.c.agency_id).where(instance.c.id == bindparam("instance_id")))


def _announce(*where):
    at = bindparam("at", type_=notification.c.created_at.type)
    recipients = select(
        user.c.id, bindparam("instance_id", type_=Integer), bindparam("task_id", type_=String),
        bindparam("subject", type_=String), bindparam("body", type_=String), bindparam("link", type_=String),
        bindparam("message_prefix", type_=String) + cast(user.c.id, String) + bindparam("message_suffix", type_=String),
        at, case((or_(user.c.email.is_(None), user.c.email == ""), "no_address"), else_="pending"), literal(0), at,
    ).where(user.c.role == bindparam("role"), user.c.active.is_(True), *where)
    return insert(notification).from_select(
        ["user_id", "instance_id", "task_id", "subject", "body", "link", "message_id", "created_at", "delivery",
         "attempts", "next_attempt_at"], recipients)


ANNOUNCE = _announce()
ANNOUNCE_TO_AGENCY = _announce(user.c.agency_id == bindparam("agency_id"))
# Nobody to announce it to (no active officer of that agency or of PANDI): the administrators are told, in the app.
ANNOUNCE_UNHEARD = insert(notification).values(
    user_id=None, instance_id=bindparam("instance_id"), task_id=bindparam("task_id"),
    subject=bindparam("subject"), body=bindparam("body"), link=bindparam("link"),
    message_id=bindparam("message_id"), created_at=bindparam("at", type_=notification.c.created_at.type),
    delivery="no_address", attempts=0)
# Once the step is done, its announcements ask nothing of anyone any more: they stop counting as unread.
# A step done (or gone): its announcements stop counting as unread, and mail of them not yet sent is not sent
# ("please act" on a step someone has done); `why` is kept as the reason.
_UNSENT = notification.c.delivery == "pending"
SETTLE_ANNOUNCEMENTS = (update(notification).where(notification.c.task_id == bindparam("task_id"),
                                                   notification.c.escalation_id.is_(None),
                                                   or_(notification.c.read_at.is_(None), _UNSENT))
                        .values(read_at=func.coalesce(notification.c.read_at,
                                                      bindparam("at", type_=notification.c.read_at.type)),
                                delivery=case((_UNSENT, "withdrawn"), else_=notification.c.delivery),
                                last_error=case((_UNSENT, bindparam("why")), else_=notification.c.last_error),
                                lease_until=case((_UNSENT, None), else_=notification.c.lease_until),
                                lease_owner=case((_UNSENT, None), else_=notification.c.lease_owner)))
# A case ended early: none of its mail still waiting is sent (announcements, escalations of its open steps).
WITHDRAW_CASE_MAIL = (update(notification).where(notification.c.instance_id == bindparam("instance_id"), _UNSENT)
                      .values(delivery="withdrawn", last_error=bindparam("why"), lease_until=None, lease_owner=None))


def history_row(**values) -> dict:
    """A history row with every column given, so one prepared insert serves all of them."""
    return {**HISTORY_COLUMNS, **values}


class Prepared:
    """A statement compiled for one dialect, with what it takes to bind parameters and read rows."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.text = compiled.string
        self._positions = compiled.positiontup  # None for named parameter styles
        used = set(self._positions) if self._positions is not None else \
            {name for name in compiled.binds if f"%({name})s" in self.text}
        binds = {name: b for name, b in compiled.binds.items() if name in used}
        self._defaults = {name: b.effective_value for name, b in binds.items() if not b.required}
        self._required = frozenset(binds) - set(self._defaults)
        processors = [(name, b.type.dialect_impl(dialect).bind_processor(dialect)) for name, b in binds.items()]
        self._processors = [(name, process) for name, process in processors if process is not None]
        columns = statement.exported_columns  # what a SELECT or a RETURNING gives back
        self._readers = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        self._row = namedtuple("Row", list(columns.keys()), rename=True) if len(columns) else None

    def bind(self, params: dict):
        """Raises KeyError for a parameter not given, as SQLAlchemy would: never a silent NULL."""
        missing = self._required.difference(params)
        if missing:
            raise KeyError(f"parameters not given for {self.text[:60]!r}...: {sorted(missing)}")
        values = {**self._defaults, **params} if self._defaults else dict(params)
        for name, process in self._processors:
            values[name] = process(values.get(name))
        if self._positions is not None:
            return tuple(values[name] for name in self._positions)
        return values

    def row(self, raw):
        return self._row._make(read(value) if read else value for read, value in zip(self._readers, raw))


class PreparedCache:
    """Each statement compiled once for the store's dialect, on first use."""

    def __init__(self, dialect):
        self.dialect = dialect
        self._compiled: dict[int, tuple[object, Prepared]] = {}

    def __getitem__(self, statement) -> Prepared:
        hit = self._compiled.get(id(statement))
        if hit is None or hit[0] is not statement:
            hit = (statement, Prepared(statement, self.dialect))
            self._compiled[id(statement)] = hit  # the statement is kept, so its id stays its own
        return hit[1]
