"""What a case can be found by besides its number, domain and agency: the start form names the fields of the
request that people search for (`"x-search": ["letter.number", "contact.name", ...]`), and a case keeps their
values, lower-cased, in one indexed text (set when it is filed and when the request is corrected)."""
from __future__ import annotations

from .described import field_at, value_at
from .errors import DeploymentError

KEY = "x-search"
MAX_TEXT = 2000


def paths(schema: dict) -> list[str]:
    return schema.get(KEY) or []


def text_of(schema: dict, data) -> str | None:
    """The searchable values of a request, lower-cased, or None if it has none."""
    values = []
    for path in paths(schema):
        value = value_at(data, path)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            values.append(" ".join(str(value).split()).lower())
    return "\n".join(values)[:MAX_TEXT] or None


def check_schema(form_key: str, schema: dict, element: str) -> None:
    """Each path names a text or number field of the form: a typo would leave that field unsearchable unseen."""
    listed = schema.get(KEY)
    if listed is None:
        return
    if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
        _refuse(form_key, element, f"{KEY} harus daftar jalur isian, misalnya [\"letter.number\"].")
    for path in listed:
        prop = field_at(schema, path)
        if prop is None or prop.get("type") not in ("string", "integer"):
            _refuse(form_key, element, f"{KEY}: {path!r} bukan isian teks atau angka pada formulir ini.")


def _refuse(form_key: str, element: str, message: str) -> None:
    raise DeploymentError("form", f"Formulir {form_key}: {message}", [{"element": element, "message": message}])
