"""Where a step's form starts: `"x-starts-from"` on a field names what of the case it begins with.

An earlier step's choice (`"analysis_decision.recommended_action"`: PANDI starts from the action the analysis
recommended; the analysis from the outcome the agency asked for), or `"today"` for a date (the day PANDI acts
is nearly always the day it records it). Only a start: the officer changes it at will, the form's rules and
the case's (`x-case-rules`) still decide, and a choice the rules leave one option for wins over it."""
from __future__ import annotations

from datetime import date

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


def check(model, schema: dict, form_key: str, element: str) -> None:
    """At deploy: each source is a data object of this diagram (and a path in it), or "today" on a date."""
    objects = {model.start.output, *(m.output for m in model.steps.values() if m.output)}
    for name, prop in schema.get("properties", {}).items():
        if not isinstance(prop, dict) or KEY not in prop:
            continue
        source, problem = prop[KEY], None
        if source == TODAY:
            if prop.get("format") != "date":
                problem = f'{KEY} "{TODAY}" hanya untuk isian tanggal (format date).'
        elif not isinstance(source, str) or source.split(".")[0] not in objects or "" in source.split("."):
            problem = (f"{KEY} harus \"{TODAY}\" atau jalur dalam objek data diagram ini "
                       f"(mis. analysis_decision.recommended_action), bukan {source!r}.")
        if problem:
            message = f"Formulir {form_key}, isian {name}: {problem}"
            raise DeploymentError("form", message, [{"element": element, "message": message}])


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
