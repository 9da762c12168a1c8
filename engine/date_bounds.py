"""Dates a form can bound: `"x-not-after": "today"` for what has happened (a letter written, an action taken),
`"x-not-before": "2000-01-01"` for the earliest date that can be meant (a year typed as 0001)."""
from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from jsonschema.exceptions import ValidationError

# "Today" where the day begins first in Indonesia (WIT): a letter dated today in Jayapura is not in the future.
EARLIEST_ZONE = ZoneInfo("Asia/Jayapura")
NOT_AFTER = "x-not-after"
NOT_BEFORE = "x-not-before"
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def today() -> date:
    return datetime.now(EARLIEST_ZONE).date()


def _not_after(validator, bound, instance, schema):
    """`"x-not-after": "today"`: a date that records what has happened (a letter written, an action taken)."""
    if bound != "today" or not validator.is_type(instance, "string") or not DATE.fullmatch(instance):
        return
    try:
        value = date.fromisoformat(instance)
    except ValueError:
        return  # not a date at all: `format` says so
    if value > today():
        yield ValidationError(f"{instance} is after today")


def _not_before(validator, bound, instance, schema):
    """`"x-not-before": "2000-01-01"`: the earliest date that can be meant (a year typed as 0001 or 1900)."""
    if not validator.is_type(instance, "string") or not DATE.fullmatch(instance) or not is_date(bound):
        return
    try:
        value = date.fromisoformat(instance)
    except ValueError:
        return  # not a date at all: `format` says so
    if value < date.fromisoformat(bound):
        yield ValidationError(f"{instance} is before {bound}")


def is_date(text) -> bool:
    try:
        return isinstance(text, str) and bool(DATE.fullmatch(text)) and bool(date.fromisoformat(text))
    except ValueError:
        return False


KEYWORDS = {NOT_AFTER: _not_after, NOT_BEFORE: _not_before}


def problem(schema) -> str | None:
    """`x-not-after` knows one bound, "today"; `x-not-before` a date (TTTT-BB-HH); anything else would be
    silently ignored."""
    if isinstance(schema, dict):
        if NOT_AFTER in schema and schema[NOT_AFTER] != "today":
            return f'{NOT_AFTER} hanya mengenal "today", bukan {schema[NOT_AFTER]!r}.'
        if NOT_BEFORE in schema and not is_date(schema[NOT_BEFORE]):
            return f'{NOT_BEFORE} harus tanggal TTTT-BB-HH, misalnya "2000-01-01", bukan {schema[NOT_BEFORE]!r}.'
        return next((p for key, value in schema.items() if key != "x-messages"
                     for p in [problem(value)] if p), None)
    if isinstance(schema, list):
        return next((p for p in map(problem, schema) if p), None)
    return None
