"""A task as SpiffWorkflow's TaskConverter writes and reads it, without its generic dispatch.

The state of a running case is mostly its tasks, and a command writes the live ones at every save and a
restore reads all of them: the converter's generic path (a registry lookup per object, a walk of every
value for type tags, each task id parsed three or four times) was most of that cost. These functions make
and read the very same records (tests/test_state.py compares them with SpiffWorkflow's own at every step);
should a different task converter be configured, they step aside and it is used as it is."""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState


def _stock_converter(registry) -> TaskConverter | None:
    made_by = registry.convert_to_dict.get(registry.typenames.get(Task))
    converter = getattr(made_by.args[1], "__self__", None) if made_by is not None else None
    return converter if type(converter) is TaskConverter else None


def writer(registry):
    """(record of a task, the parts of a record that can hold other than plain JSON; see jsontext)."""
    converter = _stock_converter(registry)
    if converter is None:
        return registry.convert, _whole
    typename, clean = registry.typenames[Task], registry.clean

    def record(task) -> dict:
        parent_id = task._parent
        parent = task.workflow.tasks.get(parent_id)
        if parent is None:
            data, delta = task.data, {}
        else:
            before, after = parent.data, task.data
            data = {}
            delta = {"updates": {k: v for k, v in after.items() if k not in before or v != before[k]},
                     "deletions": [k for k in before if k not in after]}
        return {"id": str(task.id), "parent": str(parent_id) if parent is not None else None,
                "children": [str(child) for child in task._children], "last_state_change": task.last_state_change,
                "state": task._state, "task_spec": task.task_spec.name, "triggered": task.triggered,
                "internal_data": clean(task.internal_data), "data": data, "delta": delta, "typename": typename}
    return record, _filled_in


def _whole(record) -> tuple:
    return (record,)


def _filled_in(record) -> tuple:
    return record["internal_data"], record["data"], record["delta"]


def reader(registry):
    """A function that restores the tasks mapping of a workflow (what mapping_from_dict would)."""
    converter = _stock_converter(registry)
    if converter is None:
        return None
    restore, make = registry.restore, converter.target_class

    def tasks_from(records: dict, workflow) -> dict:
        ids: dict[str, UUID] = {}  # each id parsed once, though it is also a parent and a child

        def uuid(text: str) -> UUID:
            found = ids.get(text)
            if found is None:
                found = ids[text] = UUID(text)
            return found

        specs, tasks = workflow.spec.task_specs, {}
        for key, dct in records.items():
            task_spec = specs.get(dct["task_spec"])
            task = make(workflow, task_spec, state=dct["state"], id=uuid(dct["id"]))
            task._parent = uuid(dct["parent"]) if dct["parent"] is not None else None
            task._children = [uuid(child) for child in dct["children"]]
            task.last_state_change = dct["last_state_change"]
            task.triggered = dct["triggered"]
            task.internal_data = restore(dct["internal_data"])
            if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
                task.workflow.top_workflow.event_manager.add_task(task)
            delta = dct.get("delta")
            parent = task.parent
            if delta and parent is not None:
                data = DeepMerge.merge({}, parent.data)
                data.update(restore(delta.get("updates", {})))
                for name in delta.get("deletions", {}):
                    if name in data:
                        del data[name]
            else:
                data = restore(dct["data"])
            task.data = data
            tasks[uuid(key)] = task
        return tasks
    return tasks_from
