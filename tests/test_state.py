"""The stored state of a case is exactly what SpiffWorkflow's own serializer writes (less the spec), at
every step of every path, however much of it `state.dump` reused from an earlier save."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState

from engine import bpmn, state

from samples import (ANALYSIS_FORWARD, ANALYSIS_REJECT, ANSWER, ANSWER_REJECTED, CHECK_COMPLETE,
                      CHECK_INCOMPLETE, CORRECTION, PANDI, RECEIPT, REQUEST)

ROOT = Path(__file__).resolve().parent.parent
STOCK = BpmnWorkflowSerializer()
OUTPUTS = {"Task_PeriksaPermohonan": "complaint", "Task_LengkapiPermohonan": "correction",
           "Task_Analisa": "analysis_decision", "Task_PenyelesaianPandi": "pandi_confirmation",
           "Task_JawabPemohon": "applicant_answer", "Task_TerimaJawaban": "receipt"}
PATHS = {
    "main": [CHECK_COMPLETE, ANALYSIS_FORWARD, PANDI, ANSWER, RECEIPT],
    "incomplete_then_rejected": [CHECK_INCOMPLETE, CORRECTION, CHECK_COMPLETE, ANALYSIS_REJECT, ANSWER_REJECTED,
                                 RECEIPT],
}


@pytest.fixture(scope="module")
def specs():
    tree = bpmn.parse_xml((ROOT / "process" / "sengketa.bpmn").read_bytes())
    assert bpmn.quote_timer_literals(tree) == []
    return bpmn.parse_specs(tree, "sengketa_domain")


def stock(workflow) -> dict:
    dct = json.loads(STOCK.serialize_json(workflow))
    del dct["spec"], dct["subprocess_specs"]
    return dct


@pytest.mark.parametrize("path", PATHS)
def test_each_save_equals_spiffworkflows_own_serialization(specs, path):
    spec, subprocess_specs = specs
    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.data_objects["permohonan"] = REQUEST
    workflow.do_engine_steps()
    saves = 0
    for data in PATHS[path] + [None]:
        text = state.dump(workflow)
        assert json.loads(text) == stock(workflow)
        assert list(json.loads(text)["tasks"]) == [str(t) for t in workflow.tasks]  # order kept too
        assert state.dump(workflow) == text  # reused fragments give the same text
        restored = state.load(text, spec, subprocess_specs)
        assert json.loads(state.dump(restored)) == json.loads(text)
        saves += 1
        if data is None:
            break
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data[OUTPUTS[task.task_spec.bpmn_id]] = data
        task.run()
        workflow.do_engine_steps()
    assert workflow.is_completed() and saves == len(PATHS[path]) + 1


def test_a_finished_task_that_changes_anyway_is_written_anew(specs):
    spec, subprocess_specs = specs
    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.data_objects["permohonan"] = REQUEST
    workflow.do_engine_steps()
    state.dump(workflow)
    finished = next(t for t in workflow.tasks.values() if t.state == TaskState.COMPLETED)
    finished._set_state(TaskState.CANCELLED)
    assert json.loads(state.dump(workflow)) == stock(workflow)
