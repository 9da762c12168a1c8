"""The stored state of a case is exactly what SpiffWorkflow's own serializer writes (less the spec), at
every step of every path, however much of it `state.dump` reused from an earlier save."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser
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


MULTI_INSTANCE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
                  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="loop" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="u" name="U">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:loopCardinality>3</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u"/>
    <bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_finished_tasks_under_a_live_parent_are_written_anew(tmp_path):
    """A multi-instance task's parent stays live and takes in each finished instance's data, which changes
    the finished instances' deltas: their text must not be reused."""
    (tmp_path / "loop.bpmn").write_bytes(MULTI_INSTANCE)
    parser = BpmnParser()
    parser.add_bpmn_file(str(tmp_path / "loop.bpmn"))
    spec, subprocess_specs = parser.get_spec("loop"), parser.get_subprocess_specs("loop")
    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.do_engine_steps()
    answered = 0
    while not workflow.is_completed():
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        answered += 1
        task.data[f"answer{answered}"] = answered
        task.run()
        workflow.do_engine_steps()
        text = state.dump(workflow)
        assert json.loads(text) == stock(workflow)
        restored = state.load(text, spec, subprocess_specs)
        assert {k: t.data for k, t in restored.tasks.items()} == {k: t.data for k, t in workflow.tasks.items()}
    assert answered == 3


def test_a_dump_in_another_thread_leaves_this_threads_serializer_alone(specs):
    """SpiffWorkflow's registry flips a flag around each dump; gunicorn threads dump at once, so each thread
    has its own: another thread's dump ending must not switch off the flag while this thread is mid-dump."""
    spec, subprocess_specs = specs
    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.data_objects["permohonan"] = REQUEST
    workflow.do_engine_steps()
    mine = state.serializer()
    mine.registry._encoder_mode = True  # as while this thread is inside state.dump
    try:
        other = {}
        thread = threading.Thread(target=lambda: other.update(text=state.dump(workflow),
                                                              serializer=state.serializer()))
        thread.start()
        thread.join()
        assert mine.registry._encoder_mode is True
        assert other["serializer"] is not mine
    finally:
        mine.registry._encoder_mode = False
    assert json.loads(other["text"]) == stock(workflow) and state.dump(workflow) == other["text"]


def test_the_cache_never_trades_a_newer_workflow_for_an_older_one():
    cache = state.WorkflowCache(size=4)
    newer, older = object(), object()
    cache.put(1, 5, newer)
    cache.put(1, 4, older)  # a page puts back the copy it read before a command saved revision 5
    assert cache.take(1, 5) is newer
    cache.put(1, 5, newer)
    cache.put(1, 6, older)
    assert cache.take(1, 6) is older


def test_values_that_are_not_plain_json_keep_their_type_through_a_save(specs):
    """Task data a diagram's scripts could leave (a datetime, a UUID, an integer beyond 64 bits, NaN) is
    written as SpiffWorkflow writes it and reads back as the same type, next to plain data that orjson wrote."""
    from datetime import datetime
    from uuid import uuid4

    spec, subprocess_specs = specs
    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.data_objects["permohonan"] = REQUEST
    workflow.do_engine_steps()
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    odd = {"at": datetime(2020, 4, 15, 9, 30), "ref": uuid4(), "big": 2 ** 70, "ratio": float("nan")}
    ready.data["odd"] = odd
    text = state.dump(workflow)
    same = dict(parse_constant=str)  # NaN != NaN: compare its spelling
    assert json.loads(text, **same) == json.loads(json.dumps(stock(workflow)), **same)
    restored = state.load(text, spec, subprocess_specs)
    back = restored.tasks[ready.id].data["odd"]
    assert back["at"] == odd["at"] and back["ref"] == odd["ref"] and back["big"] == odd["big"]
    assert type(back["big"]) is int and back["ratio"] != back["ratio"]
    assert json.loads(state.dump(restored), **same) == json.loads(text, **same)
