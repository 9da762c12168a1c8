"""An instance's engine state: serialized without its spec (the spec is per version, parsed once),
and kept in memory between commands as long as the database says nobody changed it."""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from typing import Callable
from uuid import UUID as UUID_

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import jsontext, task_records


class StateOnlyConverter(BpmnWorkflowConverter):
    """Leaves the spec out of the state: it is restored from the deployed version instead."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def mapping_to_dict(self, mapping, **kwargs):
        if mapping and isinstance(next(iter(mapping.values())), Task):
            return {}  # the tasks: dump() writes them, each finished one once (see _task_fragments)
        return super().mapping_to_dict(mapping, **kwargs)

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        if self._tasks_from is not None:
            workflow.tasks = self._tasks_from(dct["tasks"], workflow)
        else:
            workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID_, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID_(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow

    @cached_property
    def _tasks_from(self):
        """Asked at the first restore, once the registry knows every converter (not while it is being made)."""
        return task_records.reader(self.registry)


_config = dict(DEFAULT_CONFIG)
_config[BpmnWorkflow] = StateOnlyConverter
_local = threading.local()


@dataclass(frozen=True)
class _Codec:
    """A thread's serializer, with what dump() builds on it once: the encoder and the task record writer."""
    serializer: BpmnWorkflowSerializer
    encode: Callable[..., str]
    record: Callable
    parts_of: Callable


def _codec() -> _Codec:
    """This thread's. SpiffWorkflow's registry switches a shared flag (`_encoder_mode`) on and off around
    every dump; with one registry per thread, no dump can switch it under another."""
    found = getattr(_local, "codec", None)
    if found is None:
        current = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
        found = _local.codec = _Codec(current, jsontext.encoder(current._encoder_cls(separators=(",", ":"))),
                                      *task_records.writer(current.registry))
    return found


def serializer() -> BpmnWorkflowSerializer:
    return _codec().serializer


def dump(workflow: BpmnWorkflow) -> str:
    """The workflow as SpiffWorkflow's serializer writes it, less the spec. The top-level tasks are written
    here (see _task_fragments); subprocesses, if a diagram has them, by SpiffWorkflow's own converters."""
    codec = _codec()
    current, registry = codec.serializer, codec.serializer.registry
    registry._encoder_mode = True
    try:
        dct = current.to_dict(workflow)
        dct.pop("tasks")
        dct[current.VERSION_KEY] = VERSION
        rest = codec.encode(dct)
        fragments = _task_fragments(workflow, codec.record, codec.parts_of, codec.encode)
        return '{"tasks":{' + ",".join(fragments) + "}," + rest[1:]
    finally:
        registry._encoder_mode = False


def _task_fragments(workflow: BpmnWorkflow, convert, parts_of, encode):
    """Each task as `"id":{...}`. A finished task under a finished parent never changes again (its data is
    stored as a delta against the parent's), so its text is kept with the live workflow and reused, keyed by
    what would change if it ever did. Under a live parent (a loop, a multi-instance task) it is written anew."""
    kept = workflow.__dict__.setdefault("_sengketa_fragments", {})
    live, parts = {}, []  # consecutive tasks written anew, by one encoder run, in their order
    for task_id, task in workflow.tasks.items():
        parent = task.parent
        if task.state & TaskState.FINISHED_MASK and (parent is None or parent.state & TaskState.FINISHED_MASK):
            if live:
                yield encode(live, parts)[1:-1]
                live, parts = {}, []
            key = (task.state, task.last_state_change, len(task._children),
                   parent.last_state_change if parent is not None else None)
            hit = kept.get(task_id)
            if hit is None or hit[0] != key:
                record = convert(task)
                hit = kept[task_id] = (key, f'"{task_id}":{encode(record, parts_of(record))}')
            yield hit[1]
        else:
            record = live[str(task_id)] = convert(task)
            parts.extend(parts_of(record))
    if live:
        yield encode(live, parts)[1:-1]
    if len(kept) > len(workflow.tasks):  # tasks Spiff dropped (predictions that did not happen)
        for task_id in [t for t in kept if t not in workflow.tasks]:
            del kept[task_id]


def load(text: str, spec, subprocess_specs) -> BpmnWorkflow:
    current = serializer()
    dct = json.loads(text)  # (not orjson: it would read an integer beyond 64 bits as a float)
    current.migrate(dct)
    return current.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)


class WorkflowCache:
    """Live workflows by instance, each tagged with the revision it was saved at.

    A command takes the workflow out (so a failed command can never leave a half-run copy behind)
    and puts it back only after its transaction committed, under the new revision."""

    def __init__(self, size: int = 512):
        self._items: OrderedDict[int, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def take(self, instance_id: int, revision: int) -> BpmnWorkflow | None:
        with self._lock:
            item = self._items.pop(instance_id, None)
        if item is not None and item[0] == revision:
            return item[1]
        return None

    def put(self, instance_id: int, revision: int, workflow: BpmnWorkflow) -> None:
        """Keeps the workflow unless a newer revision is already kept (a page that read the case while a
        command changed it puts back the copy it read, which no command could use any more)."""
        with self._lock:
            kept = self._items.get(instance_id)
            if kept is not None and kept[0] > revision:
                return
            self._items[instance_id] = (revision, workflow)
            self._items.move_to_end(instance_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __contains__(self, instance_id: int) -> bool:
        with self._lock:
            return instance_id in self._items

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
