"""Reading a BPMN file: what SpiffWorkflow parses, and the metadata it does not keep (lanes' roles, form keys)."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from lxml import etree
from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .errors import DeploymentError
from .models import LANES

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
}
CAMUNDA = "{%s}" % NS["camunda"]
# Lane names an analyst may use when the lane carries no camunda "role" property.
LANE_ALIASES = {"instansi": "pemohon", "pemohon": "pemohon", "tim layanan": "tim_layanan", "pandi": "pandi"}
ISO_LITERAL = re.compile(r"^(R\d*/)?[0-9P][0-9A-Za-z:.,+\-/]*$")

# XML from analysts is data: no entities, no network, no billion laughs.
SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


@dataclass(frozen=True)
class StepMeta:
    """What the product needs to know of one user task (or the start event)."""
    element_id: str
    name: str
    lane: str | None
    form_key: str | None
    output: str | None          # the task data variable the form's result is stored under
    inputs: tuple[str, ...]     # data objects the step reads
    documentation: str


@dataclass
class ProcessModel:
    process_key: str
    name: str
    start: StepMeta
    steps: dict[str, StepMeta]
    data_objects: dict[str, str]                           # id -> name
    timers: dict[str, str] = field(default_factory=dict)  # timer element id -> the task it is attached to
    lanes: dict[str, str | None] = field(default_factory=dict)  # flow node id -> role of its lane
    targets: dict[str, str] = field(default_factory=dict)       # task id -> its SLA timer's ISO duration

    def target_minutes(self, element_id: str) -> int | None:
        literal = self.targets.get(element_id)
        if literal is None:
            return None
        try:
            delta = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(literal))
        except Exception:
            return None
        return int(delta.total_seconds() // 60)


def parse_xml(bpmn_xml: bytes) -> etree._ElementTree:
    try:
        bpmn_xml.decode("utf-8")  # stored and served as text: Camunda Modeler and bpmn.io write UTF-8
    except UnicodeDecodeError as exc:
        raise DeploymentError("xml", "Berkas BPMN harus berenkode UTF-8 (seperti yang ditulis Camunda Modeler "
                                     f"dan bpmn.io); simpan ulang sebagai UTF-8. Byte {exc.start} bukan UTF-8.") from exc
    try:
        return etree.ElementTree(etree.fromstring(bpmn_xml, SAFE_XML))
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        raise DeploymentError("xml", f"Berkas BPMN bukan XML yang valid: rusak di baris {line}, kolom {column} "
                                     f"(pesan pengurai XML: {exc.msg}).") from exc


def quote_timer_literals(tree: etree._ElementTree) -> list[dict]:
    """Camunda Modeler writes `PT10M`; SpiffWorkflow evaluates timers as Python, so bare ISO
    literals become string literals. Anything else is refused, naming its element."""
    problems = []
    for kind in ("timeDuration", "timeDate", "timeCycle"):
        for node in tree.iterfind(f".//bpmn:{kind}", NS):
            event = node.getparent().getparent()
            text = (node.text or "").strip()
            literal = text[1:-1] if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"" else text
            if not ISO_LITERAL.match(literal) or not _timer_literal_ok(kind, literal):
                problems.append({"element": event.get("id"), "message":
                                 f"Ekspresi timer '{text}' pada {event.get('name') or event.get('id')} "
                                 "tidak dapat dipahami (gunakan ISO 8601, misalnya PT10M)."})
                continue
            node.text = f'"{literal}"'
    return problems


# "Target 10 menit": a whole number and its unit, not "1,5 jam" (read as "5 jam") nor "1 hari kerja" (working
# time: its length depends on the service calendar)
TARGET_IN_NAME = re.compile(r"(?<![\d,.])(\d+)\s*(menit|jam|hari)\b(?!\s*kerja)", re.IGNORECASE)
UNIT_SECONDS = {"menit": 60, "jam": 3600, "hari": 86400}
LONGEST = timedelta(days=366)


def target_problems(tree: etree._ElementTree) -> list[dict]:
    """A new version's timer durations must be plausible targets: above zero, within a year, and what the
    timer's own name says ("Target 10 menit" with P10M, ten months, is the classic slip); dates say their zone;
    no cycles. Checked when a version is deployed only: versions already running keep loading as they are."""
    problems = []
    for node in tree.iterfind(".//bpmn:timeDuration", NS):
        event = node.getparent().getparent()
        name, literal = event.get("name") or event.get("id"), (node.text or "").strip().strip("'\"")
        try:
            delta = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(literal))
        except Exception:  # noqa: BLE001  (quote_timer_literals has named it already)
            continue
        said = TARGET_IN_NAME.search(event.get("name") or "")
        if delta <= timedelta(0):
            message = f"Durasi timer {literal} pada {name} harus lebih dari nol."
        elif delta > LONGEST:
            message = (f"Durasi timer {literal} pada {name} lebih dari setahun; periksa satuannya "
                       "(PT10M = 10 menit, P10M = 10 bulan).")
        elif said and int(said.group(1)) * UNIT_SECONDS[said.group(2).lower()] != delta.total_seconds():
            message = (f"Nama '{name}' menyebut {said.group(0)}, tetapi durasinya {literal} ({_spoken(delta)}); "
                       "samakan keduanya (PT10M = 10 menit, P10M = 10 bulan).")
        else:
            continue
        problems.append({"element": event.get("id"), "message": message})
    return problems + _when_problems(tree)


def reference_problems(tree: etree._ElementTree) -> list[dict]:
    """A new version's references must name something: a lane's role one of LANES (a slip fell back to the
    lane's name without a word), a form key a form (formKey="" deployed a step that took any data and kept none).
    Deploy only, like target_problems: a version already running keeps loading as it was deployed."""
    problems = []
    for lane in tree.iterfind(".//bpmn:lane", NS):
        for prop in lane.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS):
            if prop.get("name") == "role" and prop.get("value") not in LANES:
                problems.append({"element": lane.get("id"), "message":
                                 f"Lajur '{lane.get('name') or lane.get('id')}' menyebut peran '{prop.get('value')}'; "
                                 f"pilihannya: {', '.join(LANES)}."})
    for kind in ("userTask", "startEvent"):
        for node in tree.iterfind(f".//bpmn:{kind}", NS):
            key = node.get(f"{CAMUNDA}formKey")
            if key is not None and not key.strip():
                problems.append({"element": node.get("id"), "message": f"Tugas '{node.get('name') or node.get('id')}' "
                                                                       "tidak menyebut formulir (camunda:formKey)."})
    return problems


# A date's own offset: without one SpiffWorkflow reads it in the server's zone, not the helpdesk's
DATE_WITH_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


def _when_problems(tree: etree._ElementTree) -> list[dict]:
    """A target is a duration or a date that says its zone. A cycle (R3/PT10M) fires once here: the worker
    ends the timer on its first firing and the supervisors are never told, so it is refused until supported."""
    problems = []
    for kind in ("timeDate", "timeCycle"):
        for node in tree.iterfind(f".//bpmn:{kind}", NS):
            event = node.getparent().getparent()
            name, literal = event.get("name") or event.get("id"), (node.text or "").strip().strip("'\"")
            if kind == "timeCycle":
                message = (f"Timer berulang {literal} pada {name} belum didukung; tulis targetnya sebagai durasi "
                           "(timeDuration, misalnya PT10M).")
            elif not DATE_WITH_ZONE.search(literal):
                message = (f"Tanggal timer {literal} pada {name} tidak menyebut zona waktunya; tulis misalnya "
                           f"{literal}+07:00 (WIB), +08:00 (WITA) atau +09:00 (WIT).")
            else:
                continue
            problems.append({"element": event.get("id"), "message": message})
    return problems


def _spoken(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("hari", 86400), ("jam", 3600), ("menit", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} detik"


def expression_problems(tree: etree._ElementTree) -> list[dict]:
    """Each gateway condition and script must at least be Python (SpiffWorkflow evaluates them so): a typo
    is refused at deploy, naming its element, not found when the first case reaches it."""
    problems = []
    for kind, mode in (("conditionExpression", "eval"), ("script", "exec")):
        for node in tree.iterfind(f".//bpmn:{kind}", NS):
            owner = node.getparent()
            name = owner.get("name") or owner.get("id")
            try:
                compile(node.text or "", name or kind, mode)
            except (SyntaxError, ValueError) as exc:
                problems.append({"element": owner.get("id"),
                                 "message": f"Ekspresi pada {name} bukan Python yang valid: {exc.msg if isinstance(exc, SyntaxError) else exc}."})
    return problems


def _timer_literal_ok(kind: str, literal: str) -> bool:
    try:
        if kind == "timeDuration":
            TimerEventDefinition.parse_iso_duration(literal)
        elif kind == "timeDate":
            TimerEventDefinition.get_datetime(literal)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(literal)
        return True
    except Exception:
        return False


# libxml2 builds an XML Schema with process-wide state that threads must not share: two request threads of a
# fresh worker compiling at once left every later schema build of that worker failing, so it answered 500 to
# every case until restarted (the crash probe). A version is compiled once per process: one at a time is free.
_SCHEMA_BUILD = threading.Lock()


def parse_specs(tree: etree._ElementTree, process_key: str):
    """The SpiffWorkflow spec of the process and its subprocesses, validated against the BPMN schema."""
    try:
        with _SCHEMA_BUILD:
            parser = BpmnParser(validator=BpmnValidator())
            parser.add_bpmn_xml(tree, filename="process.bpmn")
        return parser.get_spec(process_key), parser.get_subprocess_specs(process_key)
    except ValidationException as exc:
        element = getattr(exc, "id", None) or getattr(exc, "name", None)
        raise DeploymentError("bpmn", f"Diagram tidak valid: {exc}",
                              [{"element": element, "message": str(exc)}]) from exc


def read_model(tree: etree._ElementTree) -> ProcessModel:
    processes = tree.findall("bpmn:process[@isExecutable='true']", NS)
    if len(processes) != 1:
        raise DeploymentError("bpmn", "Diagram harus memuat tepat satu proses yang dapat dieksekusi "
                                      "(isExecutable=\"true\").")
    process = processes[0]
    lane_of = _lanes(process)
    data_objects = {d.get("id"): d.get("name") or d.get("id") for d in process.iterfind("bpmn:dataObject", NS)}
    ref_to_object = {r.get("id"): r.get("dataObjectRef") for r in process.iterfind("bpmn:dataObjectReference", NS)}

    problems: list[dict] = []
    starts = [s for s in process.iterfind("bpmn:startEvent", NS)]
    if len(starts) != 1:
        raise DeploymentError("bpmn", "Proses harus memiliki tepat satu start event.")
    steps = {}
    for node in process.iterfind("bpmn:userTask", NS):
        meta = _step(node, lane_of, ref_to_object)
        if meta.form_key is None:
            problems.append({"element": meta.element_id, "message": f"Tugas '{meta.name}' tidak menyebut formulir "
                                                                    "(camunda:formKey)."})
        if meta.lane is None:
            problems.append({"element": meta.element_id, "message": f"Tugas '{meta.name}' tidak berada di lajur "
                                                                    "yang dikenal (Instansi, Tim Layanan, PANDI)."})
        steps[meta.element_id] = meta
    timers, targets = {}, {}
    for boundary in process.iterfind("bpmn:boundaryEvent", NS):
        duration = boundary.find("bpmn:timerEventDefinition/bpmn:timeDuration", NS)
        if boundary.find("bpmn:timerEventDefinition", NS) is None:
            continue
        timers[boundary.get("id")] = boundary.get("attachedToRef")
        if duration is not None and boundary.get("cancelActivity") == "false":
            targets[boundary.get("attachedToRef")] = (duration.text or "").strip().strip("'\"")
    if problems:
        raise DeploymentError("bpmn", "Diagram belum dapat dipasang.", problems)
    return ProcessModel(process.get("id"), process.get("name") or process.get("id"),
                        _step(starts[0], lane_of, ref_to_object), steps, data_objects, timers, lane_of, targets)


def _lanes(process) -> dict[str, str | None]:
    lane_of: dict[str, str | None] = {}
    for lane in process.iterfind(".//bpmn:lane", NS):
        role = None
        for prop in lane.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS):
            if prop.get("name") == "role" and prop.get("value") in LANES:
                role = prop.get("value")
        if role is None:
            name = (lane.get("name") or "").lower()
            role = next((r for alias, r in LANE_ALIASES.items() if name.startswith(alias)), None)
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            lane_of[(ref.text or "").strip()] = role
    return lane_of


def _step(node, lane_of, ref_to_object) -> StepMeta:
    element_id = node.get("id")
    form_key = node.get(f"{CAMUNDA}formKey")
    inputs = tuple(ref_to_object.get(ref.text.strip(), ref.text.strip())
                   for ref in node.iterfind("bpmn:dataInputAssociation/bpmn:sourceRef", NS))
    outputs = [ref_to_object.get(ref.text.strip(), ref.text.strip())
               for ref in node.iterfind("bpmn:dataOutputAssociation/bpmn:targetRef", NS)]
    if len(outputs) == 1:
        output = outputs[0]
    else:
        output = form_key.rsplit(".", 1)[0] if form_key else None
    doc = node.find("bpmn:documentation", NS)
    return StepMeta(element_id, node.get("name") or element_id, lane_of.get(element_id), form_key, output,
                    inputs, (doc.text or "").strip() if doc is not None else "")


def form_keys(model: ProcessModel) -> dict[str, str]:
    """form key -> the element that references it (for error messages)."""
    keys = {model.start.form_key: model.start.element_id} if model.start.form_key else {}
    keys.update({m.form_key: m.element_id for m in model.steps.values() if m.form_key})
    return keys
