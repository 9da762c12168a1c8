"""A step that corrects earlier data: its form names a data object with `"x-amends": "<id>"`.

The correction step of the SOP sends an incomplete request back to the agency "to complete": the agency then
corrects the request itself (a mistyped domain, the signatory's NIP), not only adds a note. The step's form
is shown and checked together with the form that made that data object, filled with its current value; what
is sent under the object's id replaces it in the case (the old value stays in the history)."""
from __future__ import annotations

import copy

from .errors import DeploymentError

KEY = "x-amends"


def producers(model) -> dict[str, str]:
    """Data object id -> the form that fills it (the start event's and each user task's)."""
    found = {model.start.output: model.start.form_key}
    found.update({m.output: m.form_key for m in model.steps.values() if m.output})
    return found


def check(model, schemas: dict[str, dict], form_key: str, element: str) -> None:
    """At deploy: the object amended is one another form of this diagram fills, and no name is used twice."""
    schema = schemas[form_key]
    if KEY not in schema:
        return
    target = schema[KEY]
    source = producers(model).get(target) if isinstance(target, str) else None
    problem = None
    if source is None or source == form_key:
        problem = f"{KEY} harus menyebut objek data yang diisi formulir lain dalam diagram ini, bukan {target!r}."
    elif target in schema.get("properties", {}):
        problem = f"{KEY} {target!r} juga nama isian formulir ini."
    if problem:
        message = f"Formulir {form_key}: {problem}"
        raise DeploymentError("form", message, [{"element": element, "message": message}])


def combined(schema: dict, source: dict, target: str) -> dict:
    """The step's form with the amended object's form as one more (optional) group before its own fields,
    under the object's id (what is corrected first, then what explains it: the walk-through). The inner form
    keeps its `$id`, so its own references still resolve; its uploads stay its own. Its `$schema` goes: under
    it jsonschema would check the group with the plain dialect, without the form keywords of its own (dates not
    after today, whole-value patterns)."""
    inner = {k: v for k, v in copy.deepcopy(source).items() if k not in ("x-attachments", "$schema")}
    inner["description"] = "Sebagaimana tercatat dalam kasus. Ubah isian yang perlu diperbaiki; yang lain tetap."
    whole = copy.deepcopy(schema)
    whole["properties"] = {target: inner, **whole.get("properties", {})}  # the object, then the step's own
    return whole


def split(schema: dict, data: dict) -> tuple[dict, dict | None]:
    """The step's own data, and the amended object's new value (None when the step sent none)."""
    target = schema.get(KEY)
    if target is None or not isinstance(data, dict) or target not in data:
        return data, None
    own = {k: v for k, v in data.items() if k != target}
    return own, data[target]


def as_before(old, new):
    """The correction with every text that differs from the kept one in white space alone taken as it was:
    a browser sends a text area's line breaks as CR LF and the pages tidy spaces, so a form sent back
    unchanged changes nothing (nor does a correction that only re-wraps a text)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {key: as_before(old.get(key), value) for key, value in new.items()}
    if isinstance(old, str) and isinstance(new, str) and old.split() == new.split():
        return old
    return new


def changed(schema: dict, old, new) -> list[str]:
    """The titles of the fields a correction changed (for the case's history: what to look at again)."""
    titles = []
    for name, prop in schema.get("properties", {}).items():
        before = old.get(name) if isinstance(old, dict) else None
        after = new.get(name) if isinstance(new, dict) else None
        if before == after:
            continue
        if prop.get("type") == "object":
            titles += changed(prop, before, after)
        else:
            titles.append(prop.get("title", name))
    return titles
