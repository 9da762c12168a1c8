"""What people type around a value, taken away before a form is checked: the spaces of a NIP written
"19870312 201012 2 002", the dashes of "0812-3456-7890", the "https://" before a domain name.

A form asks for it field by field with `"x-normalize": "digits"` or `"x-normalize": "domain"`. A value
that does not tidy into that shape is left as typed, so the form's message is about what was typed.

Every other text field is tidied as the pages tidy it, so the API and the pages keep one rule: a line's spaces
made single, a text area's ends trimmed (its line breaks as LF), and a field left blank is a field not given
(a required one is then reported missing, not accepted as "   "). Blank is what shows nothing: "" too, and
text of invisible characters alone (a zero-width space, a direction mark, a combining accent on nothing,
a Hangul or Braille filler)."""
from __future__ import annotations

import copy
import re
import unicodedata

from .errors import DeploymentError

DIGITS = re.compile(r"\+?[0-9]+")
DIGIT_SEPARATORS = re.compile(r"[\s.\-]")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


INVISIBLE = {"Cc", "Cf", "Cs", "Mn", "Me", "Zs", "Zl", "Zp"}  # (not Cn: a letter newer than Python's Unicode)
FILLERS = "\u115f\u1160\u3164\uffa0\u2800"
# What text pasted from a PDF or a letter carries unseen, and means nothing in a field: a soft hyphen, a
# zero-width space, left-to-right and right-to-left marks, a word joiner, a byte-order mark. Taken away, so a
# name is what it shows (and a look-alike made with them is the plain name); the controls that reorder text
# (overrides, isolates) are not taken away but refused where names are checked.
HARMLESS_UNSEEN = dict.fromkeys(map(ord, "\u00ad\u200b\u200e\u200f\u2060\ufeff"))


def blank(value: str) -> bool:
    """Text that shows nothing on a page."""
    return all(c in FILLERS or c.isspace() or unicodedata.category(c) in INVISIBLE for c in value)


def unseen_removed(value: str) -> str:
    return value.translate(HARMLESS_UNSEEN)


def _digits(value: str) -> str:
    tidy = DIGIT_SEPARATORS.sub("", unseen_removed(value))
    return tidy if DIGITS.fullmatch(tidy) else value


def _domain(value: str) -> str:
    """A domain name as a browser's address bar shows it ("https://Contoh.go.id/beranda") -> contoh.go.id."""
    tidy = SCHEME.sub("", unseen_removed(value).strip())
    tidy = re.split(r"[/?#]", tidy, maxsplit=1)[0].rstrip(".").lower()
    return tidy or value


def _line(value: str) -> str:
    return " ".join(unseen_removed(value).split())


def _area(value: str) -> str:
    return unseen_removed(value).replace("\r\n", "\n").strip()


def _whole(value):
    """A count sent as 1.0 is the count 1 (JSON Schema's integer allows it; the pages would show "1.0")."""
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53 else value


KINDS = {"digits": _digits, "domain": _domain}

_PLANS: dict[int, tuple[dict, tuple]] = {}


def _plan(schema: dict) -> tuple:
    """(path, tidy function) of every field tidied (text, counts, and those with x-normalize); worked out once
    per deployed schema."""
    entry = _PLANS.get(id(schema))
    if entry is None or entry[0] is not schema:
        if len(_PLANS) > 512:
            _PLANS.clear()
        entry = _PLANS[id(schema)] = (schema, tuple(_fields(schema, ())))
    return entry[1]


def check_schema(form_key: str, schema: dict, element: str) -> None:
    """At deploy: a misspelt kind would otherwise tidy nothing, silently."""
    wrong = sorted({str(kind) for kind in _kinds(schema) if kind not in KINDS})
    if wrong:
        message = (f"Formulir {form_key}: x-normalize {', '.join(wrong)} tidak dikenal; "
                   f"pilihannya: {', '.join(KINDS)}.")
        raise DeploymentError("form", message, [{"element": element, "message": message}])


def _kinds(schema: dict):
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict):
            if "x-normalize" in prop:
                yield prop["x-normalize"]
            yield from _kinds(prop)


def _fields(schema: dict, path: tuple):
    for name, prop in schema.get("properties", {}).items():
        if not isinstance(prop, dict):
            continue
        if prop.get("x-normalize") in KINDS:
            yield path + (name,), KINDS[prop["x-normalize"]]
        elif prop.get("type") == "string":
            yield path + (name,), _area if prop.get("x-widget") == "textarea" else _line
        elif prop.get("type") == "integer":
            yield path + (name,), _whole
        if prop.get("type") == "object":
            yield from _fields(prop, path + (name,))


def tidied(schema: dict, data):
    """`data` with its fields tidied and blank text fields left out; the same object when nothing changes (the
    caller's is never changed in place)."""
    changes = []
    for path, tidy in _plan(schema):
        node = data
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        value = node.get(path[-1]) if isinstance(node, dict) else None
        if isinstance(value, str) != (tidy is _whole):  # text tidiers take text; _whole takes the rest
            new = "" if tidy is not _whole and blank(value) else tidy(value)
            if new != value or new == "" or type(new) is not type(value):
                changes.append((path, new))
    if not changes:
        return data
    data = copy.deepcopy(data)
    for path, new in changes:
        node = data
        for key in path[:-1]:
            node = node[key]
        if new == "":
            del node[path[-1]]
        else:
            node[path[-1]] = new
    return data
