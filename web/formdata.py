"""Forms on pages, driven by their JSON Schema: fields to render, and posted fields back to JSON data."""
from __future__ import annotations

import re

from dataclasses import dataclass, field

from flask import flash, request
from werkzeug.datastructures import FileStorage, MultiDict

from engine.errors import Invalid
from engine.date_bounds import NOT_AFTER, NOT_BEFORE, today
from engine.forms import Upload


@dataclass
class Field:
    kind: str            # group, text, textarea, select, radio, checkbox, date, email, number
    name: str            # dotted path, also the HTML name
    title: str
    description: str = ""
    required: bool = False
    value: object = None
    error: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    placeholder: str = ""
    children: list["Field"] = field(default_factory=list)
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    decided: bool = False  # chosen for the officer: the case's earlier decisions leave only this option
    required_when: str = ""  # "bila Keputusan: Diteruskan ke PANDI": required only when (or unless) a field says so
    empty_when: tuple | None = None  # (field path, value): a choice that makes this field meaningless (`not: {}`)
    max_date: str | None = None  # a date of what has happened: the picker stops at today
    min_date: str | None = None  # the earliest date that can be meant (x-not-before)


def fields(schema: dict, values: dict | None = None, errors: dict | None = None, prefix: str = "",
           decided: frozenset = frozenset()) -> list[Field]:
    """`decided`: paths whose value the case chose (x-case-rules); the page says so beside them."""
    values, errors = values or {}, errors or {}
    result = []
    required = set(schema.get("required", []))
    conditions = _required_when(schema)
    meaningless = {name: (prefix + other, value) for name, (other, value) in _empty_when(schema).items()}
    for name, prop in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        value = values.get(name) if isinstance(values, dict) else None
        common = dict(name=path, title=prop.get("title", name), description=prop.get("description", ""),
                      required=name in required, error=errors.get(path),
                      required_when="" if name in required else conditions.get(name, ""),
                      empty_when=meaningless.get(name))
        if prop.get("type") == "object":
            result.append(Field("group", children=fields(prop, value or {}, errors, path + ".", decided), **common))
            continue
        if value is None and "default" in prop:
            value = prop["default"]
        examples = prop.get("examples")
        placeholder = f"contoh: {examples[0]}" if examples else ""  # so it cannot pass for a value given
        item = Field(_kind(prop), value=value, placeholder=placeholder, pattern=prop.get("pattern"),
                     min_length=prop.get("minLength"), decided=path in decided,
                     # the page stops typing at the limit, except where separators typed are tidied away after
                     max_length=None if "x-normalize" in prop else prop.get("maxLength"),
                     **common)
        item.options = [(o["const"], o.get("title", o["const"])) for o in prop.get("oneOf", []) if "const" in o]
        if prop.get(NOT_AFTER) == "today":
            item.max_date = today().isoformat()
        if isinstance(prop.get(NOT_BEFORE), str):
            item.min_date = prop[NOT_BEFORE]
        result.append(item)
    return result


def _conditions(schema: dict):
    """The if/then rules of this object that test one field for one value ({"const": v}), or for any value but
    one ({"not": {"const": v}}: PANDI's date, needed unless the action was not carried out), as (field, value,
    negated, then)."""
    for rule in [schema] + list(schema.get("allOf", [])):
        tested = [(name, p["const"], False) if "const" in p else (name, p["not"]["const"], True)
                  for name, p in rule.get("if", {}).get("properties", {}).items()
                  if isinstance(p, dict) and ("const" in p or isinstance(p.get("not"), dict) and "const" in p["not"])]
        if len(tested) == 1:
            yield (*tested[0], rule.get("then", {}))


def _required_when(schema: dict) -> dict[str, str]:
    """Fields an if/then of this object makes required when another field holds one value (the analysis:
    a recommended action once the request is forwarded to PANDI), said as 'Field: Value title'."""
    said = {}
    for name, value, negated, then in _conditions(schema):
        prop = schema.get("properties", {}).get(name, {})
        label = next((o.get("title", value) for o in prop.get("oneOf", []) if o.get("const") == value), value)
        for field_name in then.get("required", []):
            said.setdefault(field_name, f"{'kecuali' if negated else 'bila'} {prop.get('title', name)}: {label}")
    return said


def _empty_when(schema: dict) -> dict[str, tuple[str, str]]:
    """Fields an if/then of this object refuses any value for (`not: {}`) when another field holds one value
    (a recommended action on a rejected request, the date of an action not carried out): the page hides them
    while that value is chosen (conditions.js), so what a choice makes meaningless is neither seen nor sent."""
    found = {}
    for name, value, negated, then in _conditions(schema):
        for field_name, prop in then.get("properties", {}).items():
            if not negated and isinstance(prop, dict) and prop.get("not") == {}:
                found.setdefault(field_name, (name, value))
    return found


def _kind(prop: dict) -> str:
    if prop.get("oneOf"):
        return "radio" if len(prop["oneOf"]) <= 4 else "select"
    if prop.get("type") == "boolean":
        return "checkbox"
    if prop.get("type") in ("integer", "number"):
        return "number"
    if prop.get("x-widget") == "textarea":
        return "textarea"
    return {"date": "date", "email": "email"}.get(prop.get("format", ""), "text")


FILE = "file:"  # page-side key of an upload's error: a file may share its name with a group of fields


def errors_by_field(errors: list[dict]) -> dict[str, str]:
    """Engine errors by the page's key for them; the first message per field stays."""
    placed = {}
    for e in errors:
        name = e.get("field", "")
        key = FILE + name if e.get("in") == "file" and name else name
        placed.setdefault(key, e.get("message", ""))
    return placed


FOCUSABLE = ("text", "textarea", "email", "date", "number", "select", "radio")  # what can be led to


def first_empty(fields: list[Field]) -> str | None:
    """Where a form opened with some fields filled (from the last filing) leads the officer: the first required
    field still empty (an optional one, a parent agency there is none of, is passed over), else the first
    empty one; None when every one is filled."""
    empty = list(_empty(fields))
    return next((f.name for f in empty if f.required or f.required_when), empty[0].name if empty else None)


def _empty(fields: list[Field]):
    for f in fields:
        if f.kind == "group":
            yield from _empty(f.children)
        elif f.kind in FOCUSABLE and f.value in (None, ""):
            yield f


@dataclass(frozen=True)
class Problem:
    anchor: str   # id of the element on the page
    label: str    # the field as the page names it
    message: str


def problems(fields: list[Field], attachments: list[dict], errors: dict[str, str],
             within: str = "") -> list[Problem]:
    """Every error of a refused form in page order, for the summary at its top (each links to its field)."""
    found = []
    for f in fields:
        label = f"{within} › {f.title}" if within and not within.endswith(f.title) else (within or f.title)
        if f.error:  # the control itself (summary.js gives it the cursor); a group has none
            found.append(Problem(f"field-{f.name}" if f.kind == "group" else f"f-{f.name}", label, f.error))
        found += problems(f.children, [], errors, label)
    if within:
        return found
    if errors.get(""):
        found.append(Problem("files", "Berkas", errors[""]))
    for a in attachments:
        if errors.get(FILE + a["name"]):
            found.append(Problem(f"file-{a['name']}", a.get("title", a["name"]), errors[FILE + a["name"]]))
    return found


def _placed(schema: dict, errors: dict[str, str]) -> dict[str, str]:
    """Errors the page has no field for (too many files, a file the form did not ask for) go under "",
    which the form shows above its files: none may go unseen."""
    known = set(_paths(schema)) | {FILE + a["name"] for a in schema.get("x-attachments", [])}
    placed, loose = {}, []
    for name, message in errors.items():
        if name in known:
            placed[name] = message
        elif message not in loose:
            loose.append(message)
    if loose:
        placed[""] = " ".join(loose)
    return placed


def _paths(schema: dict, prefix: str = ""):
    for name, prop in schema.get("properties", {}).items():
        yield prefix + name
        if prop.get("type") == "object":
            yield from _paths(prop, f"{prefix}{name}.")


# The words a yes/no takes, on the pages (a ticked box says "on") and in the API's filters alike.
YES, NO = ("on", "true", "1", "yes", "ya"), ("off", "false", "0", "no", "tidak")


def from_form(schema: dict, form: MultiDict, prefix: str = "") -> dict:
    """Posted fields as the JSON the schema describes: typed, trimmed, empty ones left out."""
    data = {}
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        kind = prop.get("type")
        if kind == "object":
            if name not in required and not any(key.startswith(path + ".") for key in form):
                continue  # an optional group the page did not show (or the client left out)
            nested = from_form(prop, form, path + ".")
            if nested or name in required:  # kept empty: each of its own required fields is then named
                data[name] = nested
            continue
        if kind == "boolean":
            said = (form.get(path) or "").strip().lower()
            if said in YES or said in NO:
                data[name] = said in YES
            elif said:  # "maybe" is no answer: left as typed, the form's check refuses it by name
                data[name] = form.get(path)
            elif "const" not in prop and name in required:
                data[name] = False
            # an optional box left unticked states nothing: kept as "Tidak" it read to the agency as a finding
            continue
        raw = form.get(path)
        if raw is None:
            continue
        # a text area's line breaks arrive as CRLF: kept as one character each, as the browser counted them
        raw = raw.replace("\r\n", "\n").strip() if prop.get("x-widget") == "textarea" else " ".join(raw.split())
        if raw == "":
            continue
        if kind in ("integer", "number"):
            data[name] = _number(raw, kind)
        else:
            data[name] = raw
    # what a choice made meaningless is left out, as conditions.js leaves it out of what it sends: a page
    # without script (or sent before it ran) sends the started value of a field the choice hid
    for name, (other, value) in _empty_when(schema).items():
        if data.get(other) == value:
            data.pop(name, None)
    return data


INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")  # no exponent: "1e999" is not a person's number


def _number(raw: str, kind: str):
    """Only what a person writes as a number: ASCII digits (a decimal comma too). Python's int() and float()
    would also take "١٢", "1_000", "nan" and "inf"; those stay text so the schema reports the wrong type."""
    if kind == "integer" and INTEGER.fullmatch(raw) and len(raw) <= 20:
        return int(raw)
    if kind == "number" and DECIMAL.fullmatch(raw) and len(raw) <= 20:
        return float(raw.replace(",", "."))
    return raw


def whole_number(raw: str | None, default: int) -> int:
    """A page number or offset from a query string: ASCII digits only, else `default`."""
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 9 else default


def uploads(files: MultiDict, schema: dict) -> dict[str, list[Upload]]:
    """The files of the form's declared attachments (empty file inputs are browsers' "no file")."""
    result = {}
    names = {a["name"] for a in schema.get("x-attachments", [])} | set(files.keys())
    for name in names:
        items: list[FileStorage] = [f for f in files.getlist(name) if f and f.filename]
        if items:
            result[name] = [Upload(f.filename, f.read(), f.mimetype or "") for f in items]
    return result


@dataclass
class Submission:
    """A posted form, run through an engine command: what to show again if the command refused it."""
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    status: int = 200
    result: object = None
    files_lost: dict = field(default_factory=dict)  # upload field -> the file names a refusal lost, said beside it

    @property
    def files_sent(self) -> bool:
        """A refusal loses them: the page asks to choose them again."""
        return bool(self.files_lost)


def submit(schema: dict, command) -> Submission:
    """On POST, calls command(values, uploads); a refusal (422) keeps the values and marks the fields."""
    if request.method != "POST":
        return Submission()
    values, files = from_form(schema, request.form), uploads(request.files, schema)
    try:
        return Submission(values, result=command(values, files))
    except Invalid as exc:
        if not exc.errors:  # else the summary at the form's top says it, once
            flash(exc.message, "error")
        errors = _placed(schema, errors_by_field(exc.errors))
        # a file refused itself is not "lost": its own error says to choose another (the walk-through)
        return Submission(values, errors, 422, files_lost={name: [u.filename for u in items]
                                                           for name, items in files.items()
                                                           if f"file:{name}" not in errors})
