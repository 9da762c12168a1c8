"""Runtime service: file a case (start an instance of the latest version), look cases up."""
from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import forms, outcome, search, sql, tidy
from .errors import Forbidden, Invalid, Malformed, NotFound
from .execution import NOTHING, Execution, Locked
from .history import History, HistoryEntry
from .agencies import agency_name_problem, named_elsewhere
from .actors import Actor
from .models import CASE_STATUSES, Agency, Definition, Document, HumanTask, Instance, User, utcnow
from .store import Store

CASE_PREFIX = "SNG"
STATUSES = CASE_STATUSES  # (models.py: the table's constraint is built from the same list)


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    field: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    task_id: str | None
    title: str = ""  # the upload field's title in the form that received it
    replaced_by: int | None = None  # a later upload to the same one-file field (the corrected letter)


FILING_KEY = re.compile(r"[!-~]{1,200}")
QUERY_MAX = 200  # what the case search box takes


@dataclass
class CaseSummary:
    id: int
    case_number: str
    status: str
    agency: str
    domain: str
    started_at: datetime
    completed_at: datetime | None
    version: int
    outcome: str | None = None        # how it ended (see outcome.of): the value,
    outcome_title: str | None = None  # in the form's words,
    outcome_tone: str | None = None   # granted / not-granted
    open_tasks: list = field(default_factory=list)
    waiting_on: list = field(default_factory=list)  # names of the steps it waits on (case lists)
    due_at: datetime | None = None  # the earliest target of those steps: what a process owner scans the list for
    held_by: list = field(default_factory=list)  # who holds those steps (names), if anyone
    replayed: bool = False  # start(): the filing's key was sent before; this is the case it filed then


@dataclass
class CaseView(CaseSummary):
    started_by: str | None = None
    process_name: str = ""
    open_tasks: list = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    documents: list[DocumentInfo] = field(default_factory=list)
    data: dict = field(default_factory=dict)            # data object id -> value
    data_forms: dict = field(default_factory=dict)      # data object id -> (name, form schema that made it)
    targets: dict = field(default_factory=dict)         # task element id -> SLA target in minutes
    agency_id: int | None = None
    answer_key: str | None = None  # the data object that states the outcome (the answer), once there is one


def _with_decision(entry: HistoryEntry, data_forms: dict) -> HistoryEntry:
    """A step's completion with what it decided: its output (the detail's data object) read by its form."""
    if entry.event != "task_completed" or not isinstance(entry.detail, dict):
        return entry
    decided = tuple(decision for key, value in entry.detail.items() if key in data_forms
                    for decision in outcome.decided(data_forms[key][1], value))
    return replace(entry, decided=decided) if decided else entry


def case_number(instance_id: int, when: datetime) -> str:
    return f"{CASE_PREFIX}-{when.year}-{instance_id:06d}"


def visible(actor: Actor, agency_id: int) -> bool:
    return actor.sees_all_cases() or actor.agency_id == agency_id


class Instances:
    def __init__(self, store: Store, execution: Execution, history: History, process_key: str):
        self.store = store
        self.execution = execution
        self.history = history
        self.process_key = process_key

    def start_form(self) -> dict:
        with self.store.command() as tx:
            deployed = self.execution.definitions.latest(tx, self.process_key)
            return deployed.form(deployed.model.start.form_key)

    def start_values(self, actor: Actor) -> tuple[dict, str | None]:
        """What a new filing starts from, and the case it was taken from: the agency, contact and letter
        addressee/signatory of this officer's latest filing for their agency (letterhead and people rarely
        change between letters); without one, the agency's name as the account knows it."""
        with self.store.command() as tx:
            session = tx.session
            agency = session.get(Agency, actor.agency_id) if actor.agency_id is not None else None
            if agency is None:
                return {}, None
            latest = session.scalars(select(Instance).where(Instance.started_by == actor.id,
                                                            Instance.agency_id == agency.id)
                                     .order_by(Instance.id.desc()).limit(1)).first()
            if latest is not None:
                with self.execution.peek(tx, latest) as (deployed, workflow):
                    data, _ = _case_data(deployed, workflow)
                request = data.get(deployed.model.start.output)
                if isinstance(request, dict):
                    letter = request.get("letter") if isinstance(request.get("letter"), dict) else {}
                    values = {key: request[key] for key in ("agency", "contact") if key in request}
                    values["letter"] = {key: letter[key] for key in ("addressee", "signatory") if key in letter}
                    return values, latest.case_number
            return ({"agency": {"name": agency.name}} if agency.name != agency.code else {}), None

    def start(self, actor: Actor, data, uploads: dict[str, list[forms.Upload]] | None = None,
              key: str | None = None) -> CaseSummary:
        """Files a case: checks the request against the start form, then runs the process to its first tasks.
        `key` names this filing (the API's Idempotency-Key, the page form's own): sent again, after a timeout
        or a double click, it files nothing and answers with the case filed the first time (`replayed`)."""
        if actor.role != "pemohon" or actor.agency_id is None:
            raise Forbidden("not_applicant", "Hanya petugas instansi (pemohon) yang dapat mengajukan sengketa.")
        if key is not None and not FILING_KEY.fullmatch(key):
            raise Malformed("bad_key", "Kunci pengajuan (Idempotency-Key) 1–200 karakter ASCII yang terlihat, "
                                       "tanpa spasi.")
        said = _fingerprint(data, uploads) if key is not None else None
        if key is not None and (filed := self._filed(actor, key, said)) is not None:
            return filed
        try:
            return self._start(actor, data, uploads, key, said)
        except IntegrityError:
            # the same key sent twice at once (PostgreSQL): one filed it, this one answers with that case
            if key is None or (filed := self._filed(actor, key, said)) is None:
                raise
            return filed

    def _filed(self, actor: Actor, key: str, said: str) -> CaseSummary | None:
        """The case this filer filed under this key, if any; the key names one request, not any."""
        with self.store.transaction() as session:
            row = session.execute(select(Instance.id, Instance.agency_id, Instance.filing_hash, Instance.case_number)
                                  .where(Instance.started_by == actor.id, Instance.filing_key == key)).first()
            if row is None:
                return None
            if row.filing_hash != said or not visible(actor, row.agency_id):
                message = (f"Kunci ini sudah dipakai untuk permohonan lain ({row.case_number}); permohonan baru "
                           "memakai kunci baru.")
                raise Invalid("key_reused", "Kunci pengajuan ini sudah dipakai.",
                              [{"field": "Idempotency-Key", "message": message}])
            summary = session.execute(_summaries(actor).where(Instance.id == row.id)).first()
        return CaseSummary(*summary, replayed=True)

    def _start(self, actor: Actor, data, uploads, key: str | None, said: str | None) -> CaseSummary:
        now = utcnow()
        with self.store.command(write=True) as tx:
            deployed = self.execution.definitions.latest(tx, self.process_key)
            schema = deployed.form(deployed.model.start.form_key)
            data = tidy.tidied(schema, data)
            attachments = forms.validate(schema, data, uploads or {})
            workflow = self.execution.new_workflow(deployed)
            variable = deployed.model.start.output
            if variable in deployed.spec.data_objects:
                workflow.data_objects[variable] = data
            else:
                workflow.task_tree.data[variable] = data
            with self.execution.engine_steps():
                workflow.do_engine_steps()

            instance_id = tx.scalar(sql.ADD_INSTANCE, {
                "definition_id": deployed.id, "agency_id": actor.agency_id, "domain_name": _domain_of(data),
                "search_text": search.text_of(schema, data), "at": now, "user_id": actor.id, "key": key,
                "said": said})
            number = case_number(instance_id, now)
            started = sql.history_row(
                instance_id=instance_id, at=now, user_id=actor.id, event="case_started",
                element_id=deployed.model.start.element_id, name=deployed.model.start.name)
            _store_documents(tx, instance_id, None, attachments, actor, now)
            locked = Locked(instance_id, deployed.id, 0, "running")
            created = self.execution.save(tx, locked, deployed, workflow, now, NOTHING, case_number=number,
                                          events=(started,))
            agency = tx.first(sql.AGENCY, {"agency_id": actor.agency_id})
            agency_name = agency.name
            named = data.get("agency", {}).get("name")
            if (agency.name == agency.code and isinstance(named, str) and not agency_name_problem(named)
                    and named_elsewhere(tx.session, named, actor.agency_id) is None):
                agency_name = named  # an agency made from its code learns its name (an administrator may rename it)
                tx.run(sql.NAME_AGENCY, {"agency_id": actor.agency_id, "name": agency_name})
            summary = CaseSummary(instance_id, number, locked.status, agency_name, _domain_of(data), now,
                                  now if locked.status == "completed" else None, deployed.version,
                                  open_tasks=created)
        self.execution.remember(locked, workflow)
        return summary

    def get(self, actor: Actor, case_ref: str | int) -> CaseView:
        with self.store.command() as tx:
            session = tx.session
            instance = _find(session, case_ref)
            if instance is None or not visible(actor, instance.agency_id):
                raise NotFound("no_case", "Kasus tidak ditemukan.")
            with self.execution.peek(tx, instance) as (deployed, workflow):
                data, data_forms = _case_data(deployed, workflow)
            agency = session.get(Agency, instance.agency_id)
            starter = session.get(User, instance.started_by) if instance.started_by else None
            open_tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                                 HumanTask.state == "ready")
                                         .order_by(HumanTask.created_at)).all()
            documents = session.scalars(select(Document).where(Document.instance_id == instance.id)
                                        .order_by(Document.id)).all()
            view = CaseView(instance.id, instance.case_number, instance.status, agency.name, instance.domain_name,
                            instance.started_at, instance.completed_at, deployed.version, instance.outcome,
                            instance.outcome_title, instance.outcome_tone,
                            started_by=starter.username if starter else None, process_name=deployed.name,
                            open_tasks=[t.id for t in open_tasks], data=data, data_forms=data_forms,
                            documents=documents_of(documents, deployed.single_uploads),
                            targets={e: deployed.model.target_minutes(e) for e in deployed.model.targets},
                            agency_id=instance.agency_id)
            view.history = [_with_decision(h, data_forms) for h in self.history.entries(session, instance.id)]
            view.answer_key = next((key for key, (_name, form) in data_forms.items() if outcome.states_it(form)),
                                   None)
            return view

    def list(self, actor: Actor, status: str | None = None, query: str | None = None, version: int | None = None,
             limit: int = 50, offset: int = 0) -> tuple[list[CaseSummary], int]:
        """`version`: only the cases running on (or that ran on) that version of the diagram."""
        if query and len(query) > QUERY_MAX:  # (SQLite refuses a LIKE pattern past 50,000 bytes: a 500)
            raise Malformed("bad_filter", f"Kata pencarian paling panjang {QUERY_MAX} karakter.")
        with self.store.transaction() as session:
            stmt = _summaries(actor)
            if status:
                stmt = stmt.where(Instance.status == status)
            if version is not None:
                stmt = stmt.where(Definition.process_key == self.process_key, Definition.version == version)
            if query:  # the words as typed: % and _ are themselves, not wildcards
                if tidy.SCHEME.match(query.strip()):  # an address pasted from the browser: its domain name
                    query = tidy.KINDS["domain"](query)
                text = query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                like = f"%{text}%"
                # the agencies named so first (a few hundred rows): a condition on the case's own column
                agencies = select(Agency.id).where(func.lower(Agency.name).like(like, escape="\\"))
                found = (Instance.domain_name.like(like, escape="\\") |  # (stored lower case)
                         func.lower(Instance.case_number).like(like, escape="\\") |
                         Instance.agency_id.in_(agencies.scalar_subquery()) |
                         Instance.search_text.like(like, escape="\\"))  # stored lower-cased
                digits = re.sub(r"[\s.\-]", "", query)
                if digits != query.strip() and digits.isascii() and digits.isdigit() and len(digits) >= 6:
                    found = found | Instance.search_text.like(f"%{digits}%")  # a NIP typed in groups, as stored
                stmt = stmt.where(found)
            total = session.scalar(select(func.count()).select_from(stmt.subquery()))
            rows = session.execute(stmt.order_by(Instance.id.desc()).limit(limit).offset(offset)).all()
            cases = [CaseSummary(*row) for row in rows]
            by_id = {c.id: c for c in cases if c.status == "running"}
            if by_id:  # one query for the page's running cases: what each waits on, by when, held by whom
                for instance_id, name, due_at, holder in session.execute(
                        select(HumanTask.instance_id, HumanTask.name, HumanTask.due_at,
                               User.known_as)
                        .outerjoin(User, User.id == HumanTask.claimed_by)
                        .where(HumanTask.instance_id.in_(by_id), HumanTask.state == "ready")
                        .order_by(HumanTask.instance_id, HumanTask.created_at)):
                    case = by_id[instance_id]
                    case.waiting_on.append(name)
                    if due_at is not None and (case.due_at is None or due_at < case.due_at):
                        case.due_at = due_at
                    if holder and holder not in case.held_by:
                        case.held_by.append(holder)
            return cases, total

    def same_domain(self, actor: Actor, case_id: int, domain: str | None, limit: int = 10,
                    running: bool = False) -> list[CaseSummary]:
        """Other cases about the same domain that this actor may see, running ones first (`running`: only
        those): a second filing for a domain already in dispute, or a domain disputed by two agencies, is
        worth knowing."""
        if not domain:
            return []
        with self.store.transaction() as session:
            # (stored lower case, as filed and corrected: its index finds them — on every case page and filing)
            stmt = _summaries(actor).where(Instance.domain_name == domain.lower(), Instance.id != case_id)
            if running:
                stmt = stmt.where(Instance.status == "running")
            rows = session.execute(stmt.order_by((Instance.status == "running").desc(), Instance.id.desc())
                                   .limit(limit)).all()
            return [CaseSummary(*row) for row in rows]

    def disputed_twice(self, actor: Actor, domains) -> set[str]:
        """Of these domains, the ones this actor can see in more than one running case: a worklist flags the
        rows, so a double filing is noticed in the queue, before anyone checks both. One grouped query over
        the domain index for a page of rows."""
        wanted = {d.lower() for d in domains if d}
        if not wanted:
            return set()
        stmt = (select(Instance.domain_name).where(Instance.domain_name.in_(wanted), Instance.status == "running")
                .group_by(Instance.domain_name).having(func.count() > 1))
        if not actor.sees_all_cases():
            stmt = stmt.where(Instance.agency_id == actor.agency_id)
        with self.store.transaction() as session:
            return set(session.scalars(stmt))

    def document(self, actor: Actor, case_ref: str | int, document_id: int) -> tuple[DocumentInfo, bytes]:
        with self.store.transaction() as session:
            instance = _find(session, case_ref)
            if instance is None or not visible(actor, instance.agency_id):
                raise NotFound("no_case", "Kasus tidak ditemukan.")
            doc = session.get(Document, document_id) if 0 < document_id < 2 ** 63 else None  # no row has more
            if doc is None or doc.instance_id != instance.id:
                raise NotFound("no_document", "Dokumen tidak ditemukan.")
            return _doc_info(doc), doc.content


def _summaries(actor: Actor):
    """The columns of a CaseSummary, over the cases this actor may see."""
    stmt = (select(Instance.id, Instance.case_number, Instance.status, Agency.name, Instance.domain_name,
                   Instance.started_at, Instance.completed_at, Definition.version, Instance.outcome,
                   Instance.outcome_title, Instance.outcome_tone)
            .join(Agency, Agency.id == Instance.agency_id)
            .join(Definition, Definition.id == Instance.definition_id))
    return stmt if actor.sees_all_cases() else stmt.where(Instance.agency_id == actor.agency_id)


def _find(session, case_ref) -> Instance | None:
    ref = str(case_ref).strip()
    if re.fullmatch(r"[0-9]{1,18}", ref):
        return session.get(Instance, int(ref))
    return session.scalar(select(Instance).where(Instance.case_number == ref.upper()))


def _domain_of(data: dict) -> str:
    return str(data.get("domain", {}).get("name", "")).strip().lower()[:253]


def case_objects(deployed, workflow) -> dict:
    """The case's data objects by id, the request included (kept with the workflow when the diagram does not
    declare it as a data object). Not copied: the workflow's own values."""
    values = dict(workflow.data_objects)
    start_var = deployed.model.start.output
    if values.get(start_var) is None and start_var in workflow.task_tree.data:
        values[start_var] = workflow.task_tree.data[start_var]
    return values


def _case_data(deployed, workflow) -> tuple[dict, dict]:
    """Each data object with a value, and the form whose fields describe it (for labels)."""
    data, described = {}, {}
    for key, value in case_objects(deployed, workflow).items():
        if value is None:
            continue
        data[key] = copy.deepcopy(value)  # the page reads it after the workflow went back to the cache
        described[key] = (deployed.model.data_objects.get(key, key), deployed.form_of(key))
    return data, described


def _store_documents(tx, instance_id, task_id, attachments, actor, now) -> None:
    if attachments:
        tx.many(sql.ADD_DOCUMENT, [
            {"instance_id": instance_id, "task_id": task_id, "field": a.field, "title": a.title, "filename": a.filename,
             "content_type": a.content_type, "size": len(a.data), "sha256": a.sha256, "content": a.data,
             "uploaded_at": now, "uploaded_by": actor.id} for a in attachments])


def _doc_info(d: Document) -> DocumentInfo:
    return DocumentInfo(d.id, d.field, d.filename, d.content_type, d.size, d.sha256, d.uploaded_at, d.task_id,
                        d.title or d.field)


def documents_of(docs, single: frozenset) -> list[DocumentInfo]:
    """A case's documents in upload order, each upload to a one-file field (`single`: the letter) marked as
    replaced by the next upload to that field: the check reads the new letter, not the one sent back."""
    infos, later = [], {}
    for d in reversed(list(docs)):
        info = _doc_info(d)
        if info.field in single:
            info = replace(info, replaced_by=later.get(info.field))
            later[info.field] = info.id
        infos.append(info)
    return infos[::-1]


def _fingerprint(data, uploads) -> str:
    """What a filing says, as sent (its data and the bytes of its files): a key sent again must say the same."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode())
    for field_name in sorted(uploads or {}):
        for upload in uploads[field_name]:
            digest.update(f"|{field_name}|".encode() + hashlib.sha256(upload.data).digest())
    return digest.hexdigest()
