"""Where a step's form starts: `"x-starts-from"` on a field names what of the case it begins with.

- An earlier step's field, by its data object and path (`"analysis_decision.recommended_action"`: PANDI starts
  from the action the analysis recommended; the analysis from the outcome the agency asked for).
- `"today"`, for a date (the day PANDI acts is nearly always the day it records it).
- A letter: `{"by": "outcome", "letters": {"pengalihan": "... {permohonan.domain.name} ..."}}`, the text for
  the option another field of the form starts with (the answer to the agency, by how the case ended), its
  `{object.path}` places filled from the case as a letter writes them (a date as "20 April 2020", a choice by
  its title), "…" where the case holds nothing; a `[clause]` with a place the case holds nothing for is left
  out whole (an optional field: PANDI's reference).

Only a start: the officer changes it at will, the form's rules and the case's (`x-case-rules`) still decide,
and a choice the rules leave one option for wins over it."""
from __future__ import annotations

import re
from datetime import date

from . import amends
from .described import field_at, value_at, value_text
from .errors import DeploymentError

KEY = "x-starts-from"
TODAY = "today"
PLACE = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)+)\}")
CLAUSE = re.compile(r"\[([^\[\]]*)\]")  # a clause left out whole when a place in it is empty (an optional field)
UNKNOWN = "…"


def values(schema: dict, case: dict, today: date, chosen: dict | None = None, form_of=None) -> dict:
    """The fields of the form that start from the case, with their values; a value the field would refuse
    (an option it does not offer) is left out, as is one the case does not hold yet. `chosen`: choices made
    already (the rules' suggestions), which a letter follows; `form_of`: a data object's form, whose field
    definitions say how a letter writes their values."""
    result = {}
    for name, prop in schema.get("properties", {}).items():
        source = prop.get(KEY) if isinstance(prop, dict) else None
        if isinstance(source, str):
            value = today.isoformat() if source == TODAY else value_at(case, source)
            if isinstance(value, str) and _offers(prop, value):
                result[name] = value
    picked = {**result, **(chosen or {})}
    for name, prop in schema.get("properties", {}).items():
        source = prop.get(KEY) if isinstance(prop, dict) else None
        if isinstance(source, dict) and picked.get(source.get("by")) in source.get("letters", {}):
            result[name] = _letter(source["letters"][picked[source["by"]]], case, form_of)
    return result


def _letter(text: str, case: dict, form_of) -> str:
    def fill(part: str) -> str:
        return PLACE.sub(lambda place: _written(case, place.group(1), form_of), part)

    def clause(found) -> str:
        filled = [_written(case, place, form_of) for place in PLACE.findall(found.group(1))]
        return "" if UNKNOWN in filled else fill(found.group(1))
    return fill(CLAUSE.sub(clause, text))


def check(model, schemas: dict[str, dict], form_key: str, element: str) -> None:
    """At deploy: each source is "today" on a date, a field of another form of this diagram named by its
    data object and its path there, or letters for the options of a choice of this form whose places are such
    fields (a typo would leave a field starting empty, or a letter with a gap, unseen); only top-level fields
    start from somewhere (where `values` looks)."""
    schema = schemas[form_key]
    fillers = amends.producers(model)
    for name, prop in schema.get("properties", {}).items():
        if not isinstance(prop, dict):
            continue
        problem = _nested(prop)
        if not problem and KEY in prop:
            source = prop[KEY]
            problem = (_letters_problem(source, schema, fillers, schemas, form_key) if isinstance(source, dict)
                       else _source_problem(source, prop, fillers, schemas, form_key))
        if problem:
            message = f"Formulir {form_key}, isian {name}: {problem}"
            raise DeploymentError("form", message, [{"element": element, "message": message}])


def _source_problem(source, prop: dict, fillers: dict, schemas: dict, form_key: str) -> str | None:
    if source == TODAY:
        return None if prop.get("format") == "date" else f'{KEY} "{TODAY}" hanya untuk isian tanggal (format date).'
    if _field(source, fillers, schemas, form_key) is None:
        return (f'{KEY} harus "{TODAY}" atau isian formulir lain dalam diagram ini, ditulis sebagai objek data '
                f"dan jalurnya (mis. analysis_decision.recommended_action), bukan {source!r}.")
    return None


def _letters_problem(source: dict, schema: dict, fillers: dict, schemas: dict, form_key: str) -> str | None:
    by, letters = source.get("by"), source.get("letters")
    options = [o.get("const") for o in schema.get("properties", {}).get(by, {}).get("oneOf", [])
               if isinstance(o, dict)] if isinstance(by, str) else []
    if not options or not isinstance(letters, dict) or not letters:
        return f'{KEY} surat harus berupa {{"by": isian pilihan formulir ini, "letters": {{pilihan: teks}}}}.'
    for option, text in letters.items():
        if option not in options or not isinstance(text, str):
            return f"{KEY}: surat untuk {option!r} bukan teks untuk pilihan {by} yang ada."
        for place in PLACE.findall(text):
            if _field(place, fillers, schemas, form_key) is None:
                return f"{KEY}: surat untuk {option!r} menyebut {{{place}}}, yang bukan isian formulir lain."
    return None


def _field(path, fillers: dict, schemas: dict, form_key: str) -> dict | None:
    """The definition of the field a path names (object id, then the field's path in its form), if any."""
    target, _, inner = path.partition(".") if isinstance(path, str) else ("", "", "")
    filler = fillers.get(target)
    field = field_at(schemas.get(filler), inner) if inner and filler and filler != form_key else None
    return field if field is not None and field.get("type") != "object" else None


def _nested(prop: dict) -> str | None:
    inner = prop.get("properties", {}) if prop.get("type") == "object" else {}
    for name, sub in inner.items():
        if isinstance(sub, dict) and (KEY in sub or _nested(sub)):
            return f"{KEY} hanya untuk isian tingkat atas formulir, bukan di dalam kelompok ({name})."
    return None


def _written(case: dict, path: str, form_of) -> str:
    value = value_at(case, path)
    if value is None or value == "":
        return UNKNOWN
    target, _, inner = path.partition(".")
    return value_text(value, (field_at(form_of(target), inner) if form_of else None) or {})


def _offers(prop: dict, value: str) -> bool:
    options = [o.get("const") for o in prop.get("oneOf", []) if isinstance(o, dict)]
    return value in options if options else "enum" not in prop or value in prop["enum"]
