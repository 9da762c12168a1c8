"""The shipped diagram is the SOP: its steps in their actors' lanes, their data, targets and forms, and a
drawing that modelers open cleanly (every element drawn, inside its lane, nothing on top of another)."""
from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import pytest
from lxml import etree

from engine import bpmn

ROOT = Path(__file__).resolve().parent.parent
PROCESS = ROOT / "process" / "sengketa.bpmn"
FORMS = ROOT / "forms"
NS = {**bpmn.NS, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}

# The SOP table (../shared/sop/SOP.md): step -> (element, lane role, target, output data object, inputs)
SOP = {
    1: ("StartEvent_Permohonan", "pemohon", None, "permohonan", ()),
    2: ("Task_PeriksaPermohonan", "tim_layanan", "PT10M", "complaint", ("permohonan",)),
    3: ("Task_Analisa", "tim_layanan", "PT15M", "analysis_decision", ("complaint",)),
    4: ("Task_PenyelesaianPandi", "pandi", "PT30M", "pandi_confirmation", ("analysis_decision",)),
    5: ("Task_JawabPemohon", "tim_layanan", "PT15M", "applicant_answer", ("pandi_confirmation",)),
    6: ("Task_TerimaJawaban", "pemohon", None, "receipt", ("applicant_answer",)),
}
# step -> (its Output cell in the original SOP text, the name of the data object that carries it)
SOP_OUTPUTS = {2: ("Aduan penyelesaian perselisihan", "Aduan penyelesaian perselisihan"),
               3: ("Keputusan hasil analisa", "Keputusan hasil analisa"),
               4: ("Konfirmasi/jawaban penyelesaian perselisihan", "Konfirmasi/jawaban PANDI"),
               5: ("Konfirmasi/jawaban perselisihan", "Konfirmasi/jawaban ke pemohon")}


@pytest.fixture(scope="module")
def tree():
    return bpmn.parse_xml(PROCESS.read_bytes())


@pytest.fixture(scope="module")
def model(tree):
    return bpmn.read_model(tree)


@pytest.fixture(scope="module")
def process(tree):
    return tree.find("bpmn:process", NS)


@pytest.fixture(scope="module")
def shapes(tree):
    found = {}
    for shape in tree.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        found[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return found


def _inside(inner, outer) -> bool:
    return (inner[0] >= outer[0] and inner[1] >= outer[1]
            and inner[0] + inner[2] <= outer[0] + outer[2] and inner[1] + inner[3] <= outer[1] + outer[3])


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_one_pool_with_the_three_lanes_of_the_sop(tree, process):
    participants = tree.findall(".//bpmn:collaboration/bpmn:participant", NS)
    assert [p.get("processRef") for p in participants] == [process.get("id")]
    lanes = [lane.get("name") for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)]
    assert lanes == ["Instansi (K/L/D/Desa)", "Tim Layanan Domain", "PANDI"]


@pytest.mark.parametrize("step", sorted(SOP))
def test_each_sop_step_is_in_its_actors_lane_with_its_form_and_data(model, step):
    element, lane, _target, output, inputs = SOP[step]
    meta = model.start if step == 1 else model.steps[element]
    assert meta.element_id == element
    assert model.lanes[element] == lane
    assert meta.output == output
    assert set(inputs) <= set(meta.inputs)
    assert meta.form_key and (FORMS / meta.form_key).is_file()
    schema = json.loads((FORMS / meta.form_key).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert meta.documentation.startswith(f"Langkah {step} (SOP).")
    for part in ("Uraian:", "Persyaratan:", "Waktu:", "Output:", "Keterangan:"):
        assert part in meta.documentation, (element, part)
    if step in SOP_OUTPUTS:
        original, data_name = SOP_OUTPUTS[step]
        assert f"Output: {original}." in meta.documentation
        assert model.data_objects[output] == data_name


@pytest.mark.parametrize("step", [2, 3, 4, 5])
def test_service_targets_are_non_interrupting_boundary_timers(model, process, step):
    element, _lane, target, *_ = SOP[step]
    assert model.targets[element] == target
    assert model.target_minutes(element) == {"PT10M": 10, "PT15M": 15, "PT30M": 30}[target]
    boundaries = [b for b in process.iterfind("bpmn:boundaryEvent", NS) if b.get("attachedToRef") == element]
    assert len(boundaries) == 1 and boundaries[0].get("cancelActivity") == "false"
    assert f"Waktu: {target[2:-1]} menit." in model.steps[element].documentation


def test_every_element_and_flow_is_drawn(tree, process, shapes):
    drawn_edges = {e.get("bpmnElement"): e for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    for node in process:
        if not isinstance(node.tag, str):
            continue
        kind = etree.QName(node).localname
        if kind in ("laneSet", "documentation", "extensionElements", "dataObject"):
            continue
        if kind in ("sequenceFlow", "association"):
            edge = drawn_edges.get(node.get("id"))
            assert edge is not None, node.get("id")
            assert len(edge.findall("di:waypoint", NS)) >= 2, node.get("id")
        else:
            assert node.get("id") in shapes, node.get("id")
    for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS):
        assert lane.get("id") in shapes


def test_every_flow_node_is_drawn_inside_its_lane(process, shapes):
    lanes = list(process.iterfind("bpmn:laneSet/bpmn:lane", NS))
    in_lanes = [ref.text for lane in lanes for ref in lane.iterfind("bpmn:flowNodeRef", NS)]
    assert len(in_lanes) == len(set(in_lanes)), "an element is in two lanes"
    flow_nodes = [n.get("id") for n in process if isinstance(n.tag, str) and etree.QName(n).localname
                  not in ("laneSet", "documentation", "extensionElements", "dataObject", "dataObjectReference",
                          "sequenceFlow", "association", "textAnnotation")]
    assert sorted(in_lanes) == sorted(flow_nodes)
    for lane in lanes:
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            assert _inside(shapes[ref.text], shapes[lane.get("id")]), (ref.text, lane.get("name"))


def test_no_shape_lies_on_another(process, shapes):
    """Boundary events sit on their task's border, as they should; nothing else touches."""
    attached = {b.get("id"): b.get("attachedToRef") for b in process.iterfind("bpmn:boundaryEvent", NS)}
    lanes = {lane.get("id") for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)}
    drawn = [e for e in shapes if e not in lanes and e != "Participant_Helpdesk"]
    for a, b in combinations(drawn, 2):
        if attached.get(a) == b or attached.get(b) == a:
            assert _overlap(shapes[a], shapes[b]), f"{a} is not on the border of {b}"
        else:
            assert not _overlap(shapes[a], shapes[b]), f"{a} overlaps {b}"
