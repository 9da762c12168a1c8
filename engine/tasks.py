"""Task service: the worklist, and claim / unclaim / complete of human tasks.

The lane of a task decides who may claim it; an agency's tasks are its own officers' alone."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased
from SpiffWorkflow.util.task import TaskState

from . import amends, case_rules, forms, outcome, search, sql, starts, tidy
from .errors import Conflict, Forbidden, Invalid, Malformed, NotFound
from .execution import Execution, Locked, Mirror
from .actors import Actor
from .instances import DocumentInfo, _domain_of, _store_documents, case_objects, documents_of, visible
from .models import LANES, Agency, Document, HistoryEvent, HumanTask, Instance, User, utcnow
from .notifications import STEP_DONE, CaseFacts, tell_released, title_of
from .store import Store

STATES = ("ready", "completed", "cancelled")


@dataclass
class TaskRow:
    id: str
    case_id: int
    case_number: str
    name: str
    element_id: str
    lane: str
    state: str
    claimed_by: str | None
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    agency: str
    domain: str
    form_key: str | None
    next_tasks: list = field(default_factory=list)  # a completion's: the tasks it made ready
    case_status: str | None = None  # a completion's: its case's status afterwards ("completed" if it ended)
    released_from: str | None = None  # an unclaim's: whose step it was, when not the releaser's own (shown name)

    @classmethod
    def of(cls, task, state: str, claimed_by: str | None, completed_at=None, completed_by=None) -> "TaskRow":
        """A task a command read (sql.TASK_FOR_COMMAND), as the command leaves it."""
        return cls(task.id, task.instance_id, task.case_number, task.name, task.element_id, task.lane, state,
                   claimed_by, task.created_at, task.due_at, completed_at, completed_by, task.agency,
                   task.domain_name, task.form_key)

    @classmethod
    def created(cls, case_id: int, case_number: str, agency: str, domain: str, new) -> "TaskRow":
        """A task a command just created, described from what the command already knows of its case."""
        return cls(new.id, case_id, case_number, new.name, new.element_id, new.lane, "ready", None, new.created_at,
                   new.due_at, None, None, agency, domain, new.form_key)


@dataclass
class TaskDetail(TaskRow):
    form: dict = field(default_factory=dict)
    documentation: str = ""
    inputs: dict = field(default_factory=dict)       # data object id -> (name, value, schema of its form)
    suggested: dict = field(default_factory=dict)    # choices the case leaves one option for (x-case-rules)
    initial: dict = field(default_factory=dict)      # where other fields start, from the case (starts.KEY)
    current: dict = field(default_factory=dict)      # the data object the step amends, as it is (amends.KEY)
    corrected: dict = field(default_factory=dict)    # input id -> (when, field titles) of its last correction
    asked: dict = field(default_factory=dict)        # what the correction answered (the deficiencies), as inputs
    documents: list[DocumentInfo] = field(default_factory=list)


_claimer, _completer = aliased(User, name="claimer"), aliased(User, name="completer")

# Built once: a statement is immutable, and compiling it again for every row costs more than running it.
TASK_ROWS = (select(HumanTask.id, HumanTask.instance_id, Instance.case_number, HumanTask.name,
                    HumanTask.element_id, HumanTask.lane, HumanTask.state, _claimer.username,
                    HumanTask.created_at, HumanTask.due_at, HumanTask.completed_at, _completer.username,
                    Agency.name, Instance.domain_name, HumanTask.form_key)
             .join(Instance, Instance.id == HumanTask.instance_id)
             .join(Agency, Agency.id == Instance.agency_id)
             .outerjoin(_claimer, _claimer.id == HumanTask.claimed_by)
             .outerjoin(_completer, _completer.id == HumanTask.completed_by))


class Tasks:
    def __init__(self, store: Store, execution: Execution):
        self.store = store
        self.execution = execution

    # -- the worklist ---------------------------------------------------------------------------
    def list(self, actor: Actor, view: str | None = None, lane: str | None = None, state: str | None = "ready",
             overdue: bool = False, case_id: int | None = None, limit: int = 100, offset: int = 0,
             now: datetime | None = None) -> tuple[list[TaskRow], int]:
        """`view` is "queue" (unclaimed work of my lanes), "mine" (claimed by me) or None (all I may see)."""
        if view not in (None, "queue", "mine"):
            raise Malformed("bad_filter", "Filter 'view' harus 'queue' atau 'mine'.")
        if lane is not None and lane not in LANES:
            raise Malformed("bad_filter", f"Lajur tidak dikenal; pilih salah satu: {', '.join(LANES)}.")
        if state is not None and state not in STATES:
            raise Malformed("bad_filter", f"Status tugas tidak dikenal; pilih salah satu: {', '.join(STATES)}.")
        stmt = TASK_ROWS
        if not actor.sees_all_cases():
            stmt = stmt.where(Instance.agency_id == actor.agency_id)
        if view == "queue":
            lanes = actor.worked_lanes()
            stmt = stmt.where(HumanTask.claimed_by.is_(None), HumanTask.lane.in_(lanes))
            state = "ready"
        elif view == "mine":
            stmt = stmt.where(HumanTask.claimed_by == actor.id)
        if lane:
            stmt = stmt.where(HumanTask.lane == lane)
        if state:
            stmt = stmt.where(HumanTask.state == state)
        if case_id is not None:
            stmt = stmt.where(HumanTask.instance_id == case_id)
        if overdue:
            stmt = stmt.where(HumanTask.state == "ready", HumanTask.due_at < (now or utcnow()))
        with self.store.transaction() as session:
            total = session.scalar(select(func.count()).select_from(stmt.subquery()))
            # due first, those without a target last: in words the due_at index can serve (the scale probe:
            # "due_at IS NULL, due_at" sorted every task, 122 ms at 55,000)
            rows = session.execute(stmt.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.created_at)
                                   .limit(limit).offset(offset)).all()
            return [TaskRow(*row) for row in rows], total

    def rounds(self, rows: list[TaskRow]) -> dict[str, int]:
        """Which of these open steps their case has done before, and how many times then: a second check is
        a check of a corrected request ("ke-2"). One grouped query over the case index for a page of rows."""
        cases = {row.case_id for row in rows if row.state == "ready"}
        if not cases:
            return {}
        with self.store.transaction() as session:
            done = dict(((case, element), count) for case, element, count in session.execute(
                select(HumanTask.instance_id, HumanTask.element_id, func.count())
                .where(HumanTask.instance_id.in_(cases), HumanTask.state == "completed")
                .group_by(HumanTask.instance_id, HumanTask.element_id)))
        return {row.id: done[row.case_id, row.element_id] + 1 for row in rows
                if row.state == "ready" and (row.case_id, row.element_id) in done}

    def waiting_count(self, actor: Actor) -> int:
        """Ready tasks waiting for this person: unclaimed in their lanes or claimed by them; for an agency
        officer, every step of their agency's, as their worklist lists them (a colleague who opened one does
        not keep them from sending it). One count over the (lane, state) index, for the header of every page."""
        lanes = actor.worked_lanes()
        waiting = [HumanTask.claimed_by == actor.id, and_(HumanTask.claimed_by.is_(None), HumanTask.lane.in_(lanes))]
        own = [ln for ln in LANES if actor.sends_own_step(ln)]
        if own:
            waiting.append(HumanTask.lane.in_(own))
        stmt = select(func.count()).select_from(HumanTask).where(HumanTask.state == "ready", or_(*waiting))
        if not actor.sees_all_cases():
            stmt = stmt.join(Instance, Instance.id == HumanTask.instance_id).where(
                Instance.agency_id == actor.agency_id)
        with self.store.transaction() as session:
            return session.scalar(stmt)

    def row(self, actor: Actor, task_id: str) -> TaskRow:
        """A step as a worklist shows it (who holds it now, say), without reading its workflow."""
        with self.store.transaction() as session:
            return TaskRow(*_visible_row(session, actor, task_id)[0])

    def get(self, actor: Actor, task_id: str) -> TaskDetail:
        with self.store.command() as tx:
            session = tx.session
            row, instance = _visible_row(session, actor, task_id)
            detail = TaskDetail(*row)
            detail.case_status = instance.status
            with self.execution.peek(tx, instance) as (deployed, workflow):
                meta = deployed.model.steps.get(detail.element_id)
                wanted = meta.inputs if meta else ()
                values = {name: copy.deepcopy(workflow.data_objects.get(name)) for name in wanted}
                detail.form = deployed.step_form(detail.form_key)
                target = detail.form.get(amends.KEY)
                if target is not None:
                    detail.current = {target: copy.deepcopy(workflow.data_objects.get(target))}
                if meta is not None:  # against the whole case, as completing the step checks it
                    detail.suggested = case_rules.suggested(detail.form, meta.output, workflow.data_objects)
                if detail.state == "ready":
                    detail.initial = starts.values(detail.form, case_objects(deployed, workflow),
                                                   datetime.now(self.execution.settings.zone).date(),
                                                   chosen=detail.suggested, form_of=deployed.form_of)
                steps = deployed.model.steps
                detail.corrected, answered = _corrections(session, detail, values, steps, deployed.amending)
                reply = steps[answered].output if answered is not None else None
                if reply in values:  # the agency's reply to what it was asked comes first, then the rest
                    values = {reply: values.pop(reply), **values}
                if answered is not None and detail.state == "ready":  # what it was asked, as the case holds it
                    for name in steps[answered].inputs:
                        if name not in values and workflow.data_objects.get(name) is not None:
                            detail.asked[name] = (deployed.model.data_objects.get(name, name),
                                                  copy.deepcopy(workflow.data_objects[name]), deployed.form_of(name))
            detail.documentation = meta.documentation if meta else ""
            for name, value in values.items():
                detail.inputs[name] = (deployed.model.data_objects.get(name, name), value, deployed.form_of(name))
            docs = session.scalars(select(Document).where(Document.instance_id == instance.id)
                                   .order_by(Document.id)).all()
            detail.documents = documents_of(docs, deployed.single_uploads)
            return detail

    # -- commands -------------------------------------------------------------------------------
    def claim(self, actor: Actor, task_id: str) -> TaskRow:
        now = utcnow()
        with self.store.command(write=True) as tx:
            task = self._task_for(tx, actor, task_id)
            self._check_lane(actor, task)
            if task.state != "ready":
                raise Conflict("not_ready", "Tugas ini sudah tidak menunggu dikerjakan.")
            if task.claimed_by == actor.id:
                return TaskRow.of(task, "ready", actor.username)
            for _try in range(3):
                # The condition makes the claim atomic: of two claims at once, one updates the row.
                if tx.run(sql.CLAIM, {"task_id": task.id, "at": now, **sql.claimer(actor)}) == 1:
                    _history(tx, task, actor, "task_claimed", now)
                    return TaskRow.of(task, "ready", actor.username)
                now_is = tx.first(sql.TASK_NOW, {"task_id": task.id})
                if now_is.state != "ready":  # done, or its case ended, the moment before
                    raise Conflict("not_ready", "Tugas ini sudah tidak menunggu dikerjakan.")
                if now_is.claimed_by == actor.id:  # the same officer's other claim, sent at the same moment
                    return TaskRow.of(task, "ready", actor.username)
                if now_is.claimed_by is not None:
                    raise Conflict("claimed", "Tugas ini sudah diambil oleh petugas lain.")
                _still_as_checked(tx, actor)
                # nobody holds it now: its holder let it go between the claim and this look (PostgreSQL reads
                # each statement anew), so the claim is tried again
            raise Conflict("stale", "Tugas ini baru saja berubah; muat ulang dan coba lagi.")

    def unclaim(self, actor: Actor, task_id: str) -> TaskRow:
        now = utcnow()
        with self.store.command(write=True) as tx:
            task = self._task_for(tx, actor, task_id)
            supervises = actor.role == "supervisor" and actor.works(task.lane)
            if not (supervises or actor.may_work(task.lane, task.agency_id)):  # who may, before the step's state
                raise Forbidden("not_your_lane", "Tugas ini berada di lajur lain; Anda tidak dapat melepasnya.")
            if task.state != "ready":
                raise Conflict("not_ready", "Tugas ini sudah tidak menunggu dikerjakan.")
            if task.claimed_by is None:
                raise Conflict("not_claimed", "Tugas ini belum diambil siapa pun.")
            if task.claimed_by != actor.id and not supervises and not actor.sends_own_step(task.lane):
                raise Forbidden("not_yours", "Tugas ini diambil oleh petugas lain; hanya dia atau supervisor "
                                             "lajurnya yang dapat melepasnya.")
            released = tx.run(sql.UNCLAIM, {"task_id": task.id, "holder": task.claimed_by})
            if released != 1:
                if tx.scalar(sql.TASK_NOW, {"task_id": task.id}) == "completed":
                    raise Conflict("not_ready", "Tugas ini baru saja diselesaikan; tidak ada yang dilepas.")
                raise Conflict("stale", "Tugas ini baru saja berubah; muat ulang dan coba lagi.")
            taken = task.claimed_by != actor.id  # someone else's step: a supervisor's, or an agency colleague's
            holder = tx.session.get(User, task.claimed_by) if taken else None
            tx.run(sql.ADD_HISTORY, _history_row(task, actor, "task_unclaimed", now,
                                                 {"from": holder.username} if taken else None))
            if taken:
                tell_released(tx.session, self.execution.settings, task, task.claimed_by, actor, now)
            result = TaskRow.of(task, "ready", None)
            result.released_from = holder.known_as if taken else None
            return result

    def complete(self, actor: Actor, task_id: str, data,
                 uploads: dict[str, list[forms.Upload]] | None = None, take: bool = False) -> TaskRow:
        """Checks the form, then runs the engine on to the next waiting point, in one transaction. An agency
        officer sends their own step without claiming it first (Actor.sends_own_step). The returned row
        carries the tasks that became ready (`next_tasks`). `take`: a step nobody holds is claimed in the same
        command (an officer whose step was released while they typed sends it again): refused, it takes nothing."""
        with self.store.command(write=True) as tx:
            task = self._task_for(tx, actor, task_id, sql.TASK_FOR_COMPLETE)  # and its case, locked
            now = utcnow()  # once the case is ours: a wait for another command's lock is not the officer's
            if take and task.claimed_by is None and task.state == "ready" and not actor.sends_own_step(task.lane):
                self._check_lane(actor, task)
                if tx.run(sql.CLAIM, {"task_id": task.id, "at": now, **sql.claimer(actor)}) == 1:
                    _history(tx, task, actor, "task_claimed", now)
                    task = task._replace(claimed_by=actor.id)
                elif tx.scalar(sql.TASK_NOW, {"task_id": task.id}) == "ready":
                    _still_as_checked(tx, actor)  # an account changed meanwhile is said so, not "take it first"
            self._check_ready_and_mine(tx, actor, task)
            locked = Locked(task.instance_id, task.definition_id, task.revision, task.status)
            deployed = self.execution.definitions.get(tx, locked.definition_id)
            schema = deployed.step_form(task.form_key)
            data = tidy.tidied(schema, data)
            try:
                attachments = forms.validate(schema, data, uploads or {})
            except Invalid as exc:
                raise self._with_case_rules(exc, tx, locked, schema, task.element_id, data) from None
            # Under the case's lock, the task must still be ready and mine: the update says so atomically.
            own = actor.sends_own_step(task.lane)
            done = tx.run(sql.COMPLETE_OWN if own else sql.COMPLETE, {"task_id": task.id, "user_id": actor.id,
                                                                      "at": now})
            if done != 1 and own and tx.scalar(sql.TASK_NOW, {"task_id": task.id}) == "ready":
                # The step still waits: it is the officer who changed (deactivated, moved to another agency).
                raise Forbidden("not_your_agency", "Akun Anda kini bukan petugas aktif instansi kasus ini; "
                                                   "langkah ini tidak terkirim.")
            if done != 1:
                now_is = tx.first(sql.TASK_NOW, {"task_id": task.id})
                if now_is is not None and now_is.state == "completed" and now_is.completed_by == actor.id:
                    raise Conflict("already_done", "Tugas ini sudah Anda selesaikan; kiriman kedua tidak disimpan.")
                raise Conflict("not_ready", "Tugas ini baru saja berubah (diselesaikan atau dilepas); muat ulang.")
            deployed, workflow = self.execution.load(tx, locked)
            spiff_task = workflow.tasks.get(UUID(task.id))
            if spiff_task is None or spiff_task.state != TaskState.READY:
                raise Conflict("not_ready", "Tugas ini sudah tidak menunggu dikerjakan.")
            meta = deployed.model.steps[task.element_id]
            data, amended = amends.split(schema, data)
            try:
                case_rules.check(schema, meta.output, data, workflow.data_objects)
            except Invalid:
                self.execution.remember(locked, workflow)  # unchanged: the refused command ran nothing
                raise
            before = Mirror.of(workflow)
            detail = {meta.output: data}
            domain = task.domain_name
            target = schema.get(amends.KEY)
            kept = workflow.data_objects.get(target) if amended is not None else None
            if amended is not None:
                amended = amends.as_before(kept, amended)
            if amended is not None and amended != kept:
                detail[target] = amended
                detail["x-amended"] = {target: amends.changed(schema["properties"][target], kept, amended)}
                domain = self._amend(tx, deployed, workflow, task, target, amended)
            with self.execution.engine_steps():
                workflow.refresh_timers()  # a target missed before this completion is still escalated
                spiff_task.data[meta.output] = data
                spiff_task.run()
                workflow.do_engine_steps()
            _store_documents(tx, task.instance_id, task.id, attachments, actor, now)
            ended = outcome.of(schema, data)
            if ended is not None:
                tx.run(sql.SET_OUTCOME, {"instance_id": task.instance_id, **vars(ended)})
            completed = _history_row(task, actor, "task_completed", now, detail)
            created = self.execution.save(tx, locked, deployed, workflow, now, before, done=task.id,
                                          events=(completed,), case=CaseFacts(task.case_number, domain,
                                                                              task.agency_id, task.agency))
            if task.lane in self.execution.settings.announced_lanes:
                tx.run(sql.SETTLE_ANNOUNCEMENTS, {"task_id": task.id, "at": now, "why": STEP_DONE})
            result = TaskRow.of(task, "completed", actor.username, completed_at=now, completed_by=actor.username)
            result.domain = domain  # as corrected, if the step corrected it
            result.next_tasks = [TaskRow.created(task.instance_id, task.case_number, task.agency, domain, t)
                                 for t in created]
            result.case_status = locked.status
        self.execution.remember(locked, workflow)
        return result

    @staticmethod
    def _amend(tx, deployed, workflow, task, target: str, value: dict) -> str:
        """The step's correction of an earlier data object replaces it, before the engine runs on, so the
        steps after it read the corrected one. A corrected request may name another domain: the case's
        row follows it (lists, search). Returns the case's domain."""
        if target in deployed.spec.data_objects:
            workflow.data_objects[target] = value
        else:
            workflow.task_tree.data[target] = value
        if target != deployed.model.start.output:
            return task.domain_name
        start_form = deployed.form(deployed.model.start.form_key)
        tx.run(sql.SET_SEARCH, {"instance_id": task.instance_id, "search_text": search.text_of(start_form, value)})
        domain = _domain_of(value)
        if domain and domain != task.domain_name:
            tx.run(sql.SET_DOMAIN, {"instance_id": task.instance_id, "domain_name": domain})
            return domain
        return task.domain_name

    def _with_case_rules(self, refusal: Invalid, tx, locked, schema, element_id, data) -> Invalid:
        """A form refused on its own terms also names what contradicts the case, so the officer mends
        everything in one round rather than meeting the case's rules only once the form is right."""
        if case_rules.KEY not in schema:
            return refusal
        with self.execution.peek(tx, locked) as (deployed, workflow):
            output = deployed.model.steps[element_id].output
            extra = case_rules.errors(schema, output, data, workflow.data_objects)
        named = {e.get("field") for e in refusal.errors}
        return Invalid(refusal.code, refusal.message, refusal.errors + [e for e in extra if e["field"] not in named])

    # -- rules ----------------------------------------------------------------------------------
    def _task_for(self, tx, actor, task_id, statement=sql.TASK_FOR_COMMAND):
        task = tx.first(statement, {"task_id": str(task_id)})
        if task is None or not visible(actor, task.agency_id):
            raise NotFound("no_task", "Tugas tidak ditemukan.")
        return task

    @staticmethod
    def _check_lane(actor, task, doing: str = "mengambilnya") -> None:
        if not actor.may_work(task.lane, task.agency_id):
            raise Forbidden("not_your_lane", f"Tugas ini berada di lajur lain; Anda tidak dapat {doing}.")

    def _check_ready_and_mine(self, tx, actor, task) -> None:
        self._check_lane(actor, task, "menyelesaikannya")
        if task.state == "completed" and task.completed_by == actor.id:  # the same form sent twice
            raise Conflict("already_done", "Tugas ini sudah Anda selesaikan; kiriman kedua tidak disimpan.")
        if task.state != "ready":
            raise Conflict("not_ready", "Tugas ini sudah tidak menunggu dikerjakan.")
        if task.claimed_by is None:
            if not actor.sends_own_step(task.lane):
                released = tx.first(sql.LAST_RELEASE, {"instance_id": task.instance_id, "task_id": task.id})
                if released and released[0] != actor.id:  # taken from them while they worked on it
                    raise Conflict("not_claimed", f"Tugas ini telah dilepas ke antrian oleh {released[1]}; "
                                                  "ambil lagi untuk menyelesaikannya.")
                raise Conflict("not_claimed", "Ambil tugas ini terlebih dahulu sebelum menyelesaikannya.")
        elif task.claimed_by != actor.id and not actor.sends_own_step(task.lane):  # (an agency's step is its own)
            raise Conflict("claimed", _held_elsewhere(tx, task))


def _history(tx, task, actor, event, now) -> None:
    tx.run(sql.ADD_HISTORY, _history_row(task, actor, event, now))


def _history_row(task, actor, event, now, detail=None) -> dict:
    return sql.history_row(instance_id=task.instance_id, at=now, user_id=actor.id, event=event, task_id=task.id,
                           element_id=task.element_id, name=task.name, detail=detail)


def _visible_row(session, actor: Actor, task_id: str):
    """The step's worklist row and its case, if this actor may see them."""
    row = session.execute(TASK_ROWS.where(HumanTask.id == str(task_id))).first()
    instance = session.get(Instance, row.instance_id) if row else None
    if row is None or not visible(actor, instance.agency_id):
        raise NotFound("no_task", "Tugas tidak ditemukan.")
    return row, instance


def _held_elsewhere(tx, task) -> str:
    """Who holds the step now and how it came to them: a supervisor's decision is not a colleague's grab."""
    holder = tx.session.get(User, task.claimed_by)
    holder = holder.known_as if holder else "petugas lain"
    last = tx.first(sql.LAST_HANDOVER, {"instance_id": task.instance_id, "task_id": task.id})
    if last is not None and last.event == "task_assigned" and last.by == holder:  # they took it over themself
        return f"{title_of(last.role)} {last.by} mengambil alih langkah ini; langkah ini bukan tugas Anda lagi."
    if last is not None and last.event == "task_assigned":
        return (f"{title_of(last.role)} {last.by} memberikan langkah ini kepada {holder}; langkah ini bukan tugas "
                "Anda lagi.")
    return f"Tugas ini diambil oleh {holder}."


def _still_as_checked(tx, actor: Actor) -> None:
    """Refuses a claim whose account changed while it ran: deactivated, or its role, lane or agency changed (an
    administrator's change releases the steps it may no longer work; this claim must not take one back)."""
    now_is = tx.first(sql.CLAIMER_NOW, {"user_id": actor.id})
    if now_is is None or not now_is.active:
        raise Forbidden("inactive", "Akun Anda tidak aktif lagi; tugas tidak diambil.")
    if (now_is.role, now_is.lane, now_is.agency_id) != (actor.role, actor.lane, actor.agency_id):
        raise Forbidden("account_changed", "Akun Anda baru saja diubah (peran, lajur atau instansi); tugas tidak "
                                           "diambil. Muat ulang halaman.")


def _corrections(session, detail: TaskDetail, inputs: dict, steps: dict,
                 amending: set) -> tuple[dict, str | None]:
    """Which of the step's inputs the agency corrected (Lengkapi permohonan) since a step that reads them last
    ran, when, and which fields: the second check reads what changed, not the whole request again; a third
    only what changed after the second; the analysis, after a check that read the correction, nothing. And the
    correcting step this one answers, if any (whose output it reads and no step has read since), changed
    fields or not (a note and a new letter are the usual answer). The completions' history rows keep it
    (`x-amended`); a case has a few dozen. `steps`: the model's, by id; `amending`: the correcting steps' ids."""
    corrected, read, answered = {}, set(), None
    for at, element_id, said in session.execute(
            select(HistoryEvent.at, HistoryEvent.element_id, HistoryEvent.detail)
            .where(HistoryEvent.instance_id == detail.case_id, HistoryEvent.event == "task_completed",
                   HistoryEvent.at <= detail.created_at).order_by(HistoryEvent.id.desc())):
        meta = steps.get(element_id)
        if answered is None and element_id in amending and meta.output in inputs and meta.output not in read:
            answered = element_id
        for key, titles in ((said or {}).get("x-amended") or {}).items():
            if key in inputs and key not in corrected and key not in read and titles:
                corrected[key] = (at, list(titles))
        read |= set(meta.inputs if meta else ())  # what that step read, it has seen: older corrections with it
    return corrected, answered
