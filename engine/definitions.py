"""Repository service: deploy a diagram with its forms as a new version; parse each version once."""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import amends, bpmn, case_rules, forms, search, starts, tidy
from .errors import Conflict, DeploymentError, NotFound
from .models import Definition, Instance
from .store import Store, Tx


@dataclass(frozen=True)
class DefinitionInfo:
    id: int
    process_key: str
    version: int
    name: str
    deployed_at: datetime
    created: bool = True


@dataclass(frozen=True)
class DiagramSource:
    info: DefinitionInfo
    xml: str
    step_names: dict[str, str]  # element id -> name, for the start event and every user task
    outline: tuple[tuple[str, str | None, int | None], ...] = ()  # (name, lane's role, target minutes), in order


@dataclass
class Deployed:
    """A deployed version, parsed: shared by every instance of that version, never mutated."""
    id: int
    process_key: str
    version: int
    name: str
    spec: object
    subprocess_specs: dict
    model: bpmn.ProcessModel
    forms: dict[str, dict]
    _step_forms: dict = field(default_factory=dict, repr=False)
    _fillers: dict = field(init=False, repr=False)
    amending: frozenset = field(init=False, repr=False)  # the steps that correct an earlier data object
    single_uploads: frozenset = field(init=False, repr=False)  # upload fields of one file: a later one replaces

    def __post_init__(self):
        self._fillers = amends.producers(self.model)
        self.amending = frozenset(e for e, m in self.model.steps.items() if amends.KEY in self.form(m.form_key))
        self.single_uploads = frozenset(a["name"] for form in self.forms.values()
                                        for a in form.get("x-attachments", []) if not a.get("multiple"))

    def form(self, form_key: str | None) -> dict:
        return self.forms.get(form_key or "", {"type": "object"})

    def form_of(self, data_object: str) -> dict:
        """The form that fills a data object (the start event's or a step's): its titles describe it."""
        return self.form(self._fillers.get(data_object))

    def step_form(self, form_key: str | None) -> dict:
        """The form a step's page shows and its completion is checked against: its own, joined with the form
        of the data object it amends (amends.KEY), if any. Built once per version, like the spec."""
        form = self.form(form_key)
        target = form.get(amends.KEY)
        if target is None:
            return form
        joined = self._step_forms.get(form_key)
        if joined is None:
            source = self.form_of(target)
            joined = self._step_forms[form_key] = amends.combined(form, source, target)
        return joined


def compile_definition(bpmn_xml: bytes, form_schemas: dict[str, dict]):
    """Everything deploy checks, in one place: XML, timers, expressions, BPMN schema, lanes, forms."""
    tree = bpmn.parse_xml(bpmn_xml)
    problems = bpmn.quote_timer_literals(tree)
    if problems:
        raise DeploymentError("timer", problems[0]["message"], problems)
    problems = bpmn.expression_problems(tree)
    if problems:
        raise DeploymentError("expression", problems[0]["message"], problems)
    model = bpmn.read_model(tree)
    if not model.start.form_key:
        raise DeploymentError("bpmn", "Start event harus menyebut formulir pengajuan (camunda:formKey).",
                              [{"element": model.start.element_id, "message": "camunda:formKey tidak ada."}])
    for key, element in bpmn.form_keys(model).items():
        if key not in form_schemas:
            raise DeploymentError("form", f"Formulir {key} yang disebut oleh {element} tidak ditemukan.",
                                  [{"element": element, "message": f"Formulir {key} tidak ditemukan."}])
        forms.check_schema(key, form_schemas[key], element)
        case_rules.check_schema(key, form_schemas[key], element)
        tidy.check_schema(key, form_schemas[key], element)
        search.check_schema(key, form_schemas[key], element)
        amends.check(model, form_schemas, key, element)
        starts.check(model, form_schemas, key, element)
    spec, subprocess_specs = bpmn.parse_specs(tree, model.process_key)
    return model, spec, subprocess_specs


def read_forms(bpmn_xml: bytes, forms_dir: Path) -> dict[str, dict]:
    """The forms a diagram references, read from a folder (deploy snapshots them with the diagram)."""
    model = bpmn.read_model(bpmn.parse_xml(bpmn_xml))
    result = {}
    for key, element in bpmn.form_keys(model).items():
        path = forms_dir / key
        if "/" in key or "\\" in key or not path.is_file():
            raise DeploymentError("form", f"Formulir {key} yang disebut oleh {element} tidak ada di {forms_dir}.",
                                  [{"element": element, "message": f"Formulir {key} tidak ditemukan."}])
        try:
            result[key] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise DeploymentError("form", f"Formulir {key} bukan JSON yang valid: {exc}",
                                  [{"element": element, "message": str(exc)}]) from exc
    return result


# The newest version's id only: the row itself carries the whole diagram and its forms.
LATEST_ID = (select(Definition.__table__.c.id).where(Definition.__table__.c.process_key == bindparam("key"))
             .order_by(Definition.__table__.c.version.desc()).limit(1))


class Definitions:
    def __init__(self, store: Store):
        self.store = store
        self._parsed: dict[int, Deployed] = {}
        self._lock = threading.Lock()

    def deploy(self, bpmn_xml: bytes, form_schemas: dict[str, dict], deployed_by: int | None = None,
               process_key: str | None = None) -> DefinitionInfo:
        """A new version (or the newest, if nothing changed). `process_key`: the process the caller runs; a
        diagram whose process id was changed (an easy slip in a modeler) would otherwise deploy unused."""
        problems = bpmn.reference_problems(bpmn.parse_xml(bpmn_xml))  # first: a blank key is no form to look for
        if problems:
            raise DeploymentError("bpmn", problems[0]["message"], problems)
        model, _spec, _subs = compile_definition(bpmn_xml, form_schemas)
        if process_key is not None and model.process_key != process_key:
            message = (f"Diagram ini berisi proses '{model.process_key}', sedangkan aplikasi menjalankan "
                       f"'{process_key}': kembalikan id prosesnya menjadi '{process_key}' (di Camunda Modeler: "
                       "klik bidang kosong diagram, panel properti, ID).")
            raise DeploymentError("process", message, [{"element": model.process_key, "message": message}])
        problems = bpmn.target_problems(bpmn.parse_xml(bpmn_xml))
        if problems:
            raise DeploymentError("timer", problems[0]["message"], problems)
        snapshot = {k: form_schemas[k] for k in bpmn.form_keys(model)}
        # the same diagram saved with other line endings (Windows) is no new version
        checksum = hashlib.sha256(bpmn_xml.replace(b"\r\n", b"\n") + json.dumps(snapshot, sort_keys=True).encode()
                                  ).hexdigest()
        try:
            with self.store.transaction(write=True) as session:
                latest = self._latest_row(session, model.process_key)
                if latest is not None and latest.checksum == checksum:
                    return DefinitionInfo(latest.id, latest.process_key, latest.version, latest.name,
                                          latest.deployed_at, created=False)
                row = Definition(process_key=model.process_key, version=(latest.version + 1 if latest else 1),
                                 name=model.name, bpmn_xml=bpmn_xml.decode("utf-8"), forms=snapshot,
                                 checksum=checksum, deployed_by=deployed_by)
                session.add(row)
                session.flush()
                return DefinitionInfo(row.id, row.process_key, row.version, row.name, row.deployed_at)
        except IntegrityError as exc:
            raise Conflict("deploy_race", "Versi lain sedang dipasang bersamaan; coba lagi.") from exc

    def deploy_file(self, path: Path, forms_dir: Path, deployed_by: int | None = None,
                    process_key: str | None = None) -> DefinitionInfo:
        bpmn_xml = Path(path).read_bytes()
        return self.deploy(bpmn_xml, read_forms(bpmn_xml, Path(forms_dir)), deployed_by, process_key)

    def latest(self, tx: Tx, process_key: str) -> Deployed:
        latest_id = tx.scalar(LATEST_ID, {"key": process_key})
        if latest_id is None:
            raise NotFound("no_definition", f"Proses {process_key} belum dipasang (jalankan perintah deploy).")
        return self.get(tx, latest_id)

    def get(self, tx: Tx, definition_id: int) -> Deployed:
        deployed = self._parsed.get(definition_id)
        if deployed is not None:
            return deployed
        row = tx.session.get(Definition, definition_id)
        if row is None:
            raise NotFound("no_definition", "Versi proses tidak ditemukan.")
        with self._lock:  # the first requests of a fresh worker arrive together: one compiles, the rest wait
            deployed = self._parsed.get(definition_id)
            if deployed is None:
                model, spec, subs = compile_definition(row.bpmn_xml.encode("utf-8"), row.forms)
                deployed = self._parsed[definition_id] = Deployed(row.id, row.process_key, row.version, row.name,
                                                                  spec, subs, model, row.forms)
            return deployed

    def case_counts(self, process_key: str) -> dict[int, tuple[int, int]]:
        """Per version of the process: (cases running on it, cases ever started on it)."""
        running = func.sum(case((Instance.status == "running", 1), else_=0))
        with self.store.transaction() as session:
            rows = session.execute(select(Definition.version, running, func.count(Instance.id))
                                   .join(Instance, Instance.definition_id == Definition.id)
                                   .where(Definition.process_key == process_key).group_by(Definition.version))
            return {version: (int(now or 0), total) for version, now, total in rows}

    def list(self) -> list[DefinitionInfo]:
        with self.store.transaction() as session:
            rows = session.scalars(select(Definition).order_by(Definition.process_key, Definition.version.desc()))
            return [DefinitionInfo(r.id, r.process_key, r.version, r.name, r.deployed_at, False) for r in rows]

    def source(self, process_key: str, version: int | None = None) -> "DiagramSource":
        """A version's BPMN XML exactly as deployed (the latest when no version is given), for diagram viewers,
        with the names of its steps."""
        with self.store.command() as tx:
            session = tx.session
            if version is None:
                row = self._latest_row(session, process_key)
            else:
                row = session.scalar(select(Definition).where(Definition.process_key == process_key,
                                                              Definition.version == version))
            if row is None:
                raise NotFound("no_definition", "Versi proses tidak ditemukan.")
            model = self.get(tx, row.id).model
            steps = (model.start, *model.steps.values())
            names = {m.element_id: m.name for m in steps}
            outline = tuple((m.name, m.lane, model.target_minutes(m.element_id)) for m in steps)
            info = DefinitionInfo(row.id, row.process_key, row.version, row.name, row.deployed_at, False)
            return DiagramSource(info, row.bpmn_xml, names, outline)

    @staticmethod
    def _latest_row(session: Session, process_key: str) -> Definition | None:
        version = select(func.max(Definition.version)).where(Definition.process_key == process_key)
        return session.scalar(select(Definition).where(Definition.process_key == process_key,
                                                       Definition.version == version.scalar_subquery()))
