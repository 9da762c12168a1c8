"""A data object in words, as the form that filled it names things: for mail and other plain text.

The pages show the same thing as HTML (`web/templates/_data.html`): each field under its title, a choice by
its option's title, yes/no as Ya/Tidak, a date as a letter writes it."""
from __future__ import annotations

import re
from datetime import date

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
INDENT = "  "


def value_at(data, path: str):
    """The value at a dotted path in a form's data ("letter.number"), or None where it has none."""
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def field_at(schema, path: str) -> dict | None:
    """The definition of the field a dotted path names in a form, or None."""
    for part in path.split("."):
        schema = schema.get("properties", {}).get(part) if isinstance(schema, dict) else None
    return schema if isinstance(schema, dict) else None


def date_text(value) -> str:
    """A form's date (ISO `2020-04-15`) as a letter writes it: `15 April 2020`; anything else as it is."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and ISO_DATE.fullmatch(value) else None
    except ValueError:
        day = None
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else str(value)


def value_text(value, prop: dict) -> str:
    """One field's value: a choice by its title, a yes/no in words, a date as a letter writes it."""
    for option in prop.get("oneOf", ()):
        if isinstance(option, dict) and "const" in option and option["const"] == value and option.get("title"):
            return option["title"]
    if value is True or value is False:
        return "Ya" if value else "Tidak"
    if prop.get("format") == "date":
        return date_text(value)
    if isinstance(value, list):
        return ", ".join(value_text(item, prop.get("items") or {}) for item in value)
    return str(value)


def in_form_order(value: dict, schema: dict) -> list[str]:
    """The keys of a form's data in the order its form asks for them, then any it does not name (stored data
    comes back in whatever order it was kept)."""
    properties = schema.get("properties") or {}
    return [*(k for k in properties if k in value), *(k for k in value if k not in properties)]


def lines(value, schema: dict, depth: int = 0) -> list[str]:
    """`Title: value` per field, in the form's order (then any field it does not name); a group's fields
    indented under its title, a value of several lines on indented lines of its own."""
    pad = INDENT * depth
    if not isinstance(value, dict):
        return [pad + line for line in value_text(value, schema).splitlines() or [""]]
    out = []
    properties = schema.get("properties") or {}
    for key in in_form_order(value, schema):
        item, prop = value[key], properties.get(key) or {}
        title = " ".join(str(prop.get("title", key)).split())
        if isinstance(item, dict):
            out += [f"{pad}{title}:", *lines(item, prop, depth + 1)]
            continue
        text = value_text(item, prop).strip()
        if "\n" in text:
            out += [f"{pad}{title}:", *(f"{pad}{INDENT}{line}".rstrip() for line in text.splitlines())]
        else:
            out.append(f"{pad}{title}: {text}")
    return out


def sent_to(deployed, workflow, element_id: str) -> tuple[str, list[str]] | None:
    """What the step at `element_id` is sent to act on — its first input (the deficiencies to complete, the
    analysis PANDI carries out, the answer) — as its data object's name and lines; None if it has none yet."""
    step = deployed.model.steps.get(element_id)
    if step is None or not step.inputs:
        return None
    name = step.inputs[0]
    value = workflow.data_objects.get(name)
    if value is None:
        return None
    return deployed.model.data_objects.get(name, name), lines(value, deployed.form_of(name))
