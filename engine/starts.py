"""Where a step's form starts: `"x-starts-from"` on a field names what of the case it begins with.

An earlier step's choice (`"analysis_decision.recommended_action"`: PANDI starts from the action the analysis
recommended; the analysis from the outcome the agency asked for), or `"today"` for a date (the day PANDI acts
is nearly always the day it records it). Only a start: the officer changes it at will, the form's rules and
the case's (`x-case-rules`) still decide, and a choice the rules leave one option for wins over it."""
from __future__ import annotations

from datetime import date

from . import amends
from .errors import DeploymentError

KEY = "x-starts-from"
TODAY = "today"


def values(schema: dict, case: dict, today: date) -> dict:
    """The fields of the form that start from the case, with their values; a value the field would refuse
    (an option it does not offer) is left out, as is one the case does not hold yet."""
    result = {}
    for name, prop in schema.get("properties", {}).items():
        source = prop.get(KEY) if isinstance(prop, dict) else None
        if not isinstance(source, str):
            continue
        value = today.isoformat() if source == TODAY else _at(case, source)
        if isinstance(value, str) and _offers(prop, value):
            result[name] = value
    return result


def check(model, schemas: dict[str, dict], form_key: str, element: str) -> None:
    """At deploy: each source is "today" on a date, or a field of another form of this diagram named by its
    data object and its path there (a typo would leave the field starting empty, unseen); only top-level
    fields start from somewhere (where `values` looks)."""
    schema = schemas[form_key]
    fillers = amends.producers(model)
    for name, prop in schema.get("properties", {}).items():
        if not isinstance(prop, dict):
            continue
        problem = _nested(prop) or (_source_problem(prop, fillers, schemas, form_key) if KEY in prop else None)
        if problem:
            message = f"Formulir {form_key}, isian {name}: {problem}"
            raise DeploymentError("form", message, [{"element": element, "message": message}])


def _source_problem(prop: dict, fillers: dict, schemas: dict, form_key: str) -> str | None:
    source = prop[KEY]
    if source == TODAY:
        return None if prop.get("format") == "date" else f'{KEY} "{TODAY}" hanya untuk isian tanggal (format date).'
    parts = source.split(".") if isinstance(source, str) else []
    filler = fillers.get(parts[0]) if parts else None
    field = schemas.get(filler, {}) if filler and filler != form_key else None
    for part in parts[1:]:
        field = field.get("properties", {}).get(part) if isinstance(field, dict) else None
    if len(parts) < 2 or not isinstance(field, dict) or field.get("type") == "object":
        return (f'{KEY} harus "{TODAY}" atau isian formulir lain dalam diagram ini, ditulis sebagai objek data '
                f"dan jalurnya (mis. analysis_decision.recommended_action), bukan {source!r}.")
    return None


def _nested(prop: dict) -> str | None:
    inner = prop.get("properties", {}) if prop.get("type") == "object" else {}
    for name, sub in inner.items():
        if isinstance(sub, dict) and (KEY in sub or _nested(sub)):
            return f"{KEY} hanya untuk isian tingkat atas formulir, bukan di dalam kelompok ({name})."
    return None


def _at(case: dict, path: str):
    value = case
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _offers(prop: dict, value: str) -> bool:
    options = [o.get("const") for o in prop.get("oneOf", []) if isinstance(o, dict)]
    return value in options if options else "enum" not in prop or value in prop["enum"]
