"""Form schemas (JSON Schema 2020-12): checking a schema at deploy, and data and files against it."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import re

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import SchemaError, ValidationError

from . import date_bounds, outcome
from .account_checks import name_problem
from .errors import DeploymentError, Invalid, TooLarge

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10

FORMATS = FormatChecker()


def _whole_pattern(validator, pattern, instance, schema):
    """As browsers read `pattern`: Python's `$` would also accept a trailing newline."""
    if validator.is_type(instance, "string"):
        anchored = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
        if not re.search(anchored, instance):
            yield ValidationError(f"{instance!r} does not match {pattern!r}")


NAME = "x-name"


def _name(validator, wanted, instance, schema):
    """`"x-name": true`: a name people read (a person's, an agency's) follows the accounts' rule: no invisible
    characters (a right-to-left override; what is merely unseen the text rule takes away) and one script (no
    Cyrillic е in "Kabupatеn")."""
    if wanted is True and validator.is_type(instance, "string"):
        problem = name_problem(instance, "Nama ini", 0, 10 ** 6)
        if problem:
            yield ValidationError(problem)


_ONE_OF = Draft202012Validator.VALIDATORS["oneOf"]
_CHOICES: dict[int, tuple[list, frozenset | None]] = {}
_LABEL_KEYS = {"const", "title", "description"}


def _labelled_choice(validator, branches, instance, schema):
    """A `oneOf` of `{"const": "...", "title": "..."}` branches is a choice list with labels: a lookup.
    (The general `oneOf` builds and throws away an error for every branch not chosen.)"""
    choices = _choices(branches)
    if choices is None:
        yield from _ONE_OF(validator, branches, instance, schema)
    elif not (isinstance(instance, str) and instance in choices):
        yield ValidationError(f"{instance!r} is not one of the choices")


def _choices(branches) -> frozenset | None:
    entry = _CHOICES.get(id(branches))
    if entry is None or entry[0] is not branches:
        consts = [b.get("const") for b in branches if isinstance(b, dict) and set(b) <= _LABEL_KEYS]
        plain = len(consts) == len(branches) and all(isinstance(c, str) for c in consts) \
            and len(set(consts)) == len(consts)
        if len(_CHOICES) > 4096:
            _CHOICES.clear()
        entry = _CHOICES[id(branches)] = (branches, frozenset(consts) if plain else None)
    return entry[1]


FormValidator = validators.extend(Draft202012Validator, {"pattern": _whole_pattern, "oneOf": _labelled_choice,
                                                         NAME: _name, **date_bounds.KEYWORDS})


@FORMATS.checks("nip", raises=())
def is_nip(value) -> bool:
    """NIP: birth date YYYYMMDD + appointment YYYYMM + sex digit (1/2) + 3-digit sequence."""
    if not isinstance(value, str):
        return True
    if len(value) != 18 or not (value.isascii() and value.isdigit()):
        return False
    try:
        born = date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
        appointed = date(int(value[8:12]), int(value[12:14]), 1)
    except ValueError:
        return False
    return value[14] in "12" and born < appointed


MESSAGES = {
    "required": "Wajib diisi.",
    "type": "Jenis isian tidak sesuai.",
    "minLength": "Terlalu pendek (minimal {limit} karakter).",
    "maxLength": "Terlalu panjang (maksimal {limit} karakter).",
    "minimum": "Nilai minimal {limit}.",
    "maximum": "Nilai maksimal {limit}.",
    "pattern": "Format isian tidak sesuai.",
    "format": "Format isian tidak sesuai.",
    "enum": "Pilihan tidak dikenal.",
    "oneOf": "Pilihan tidak dikenal.",
    "const": "Isian tidak sesuai.",
    "additionalProperties": "Isian tidak dikenal pada formulir ini.",
    "not": "Isian ini tidak boleh diisi untuk pilihan tersebut; kosongkan.",
    date_bounds.NOT_AFTER: "Tanggal tidak boleh sesudah hari ini.",
    date_bounds.NOT_BEFORE: "Tanggal tidak boleh sebelum {limit}.",
}
TYPE_MESSAGES = {"integer": "Harus bilangan bulat, ditulis dengan angka 0–9.",
                 "number": "Harus angka, ditulis dengan angka 0–9.", "string": "Harus berupa teks.",
                 "boolean": "Harus ya atau tidak.", "object": "Harus berupa kelompok isian.",
                 "array": "Harus berupa daftar."}
NULL_MESSAGE = "Tidak boleh null: isi nilainya (isian yang tidak wajib cukup dihilangkan)."
FORMAT_MESSAGES = {"date": "Tanggal tidak valid (format TTTT-BB-HH).", "email": "Alamat e-mail tidak valid.",
                   "nip": "NIP tidak valid."}

SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
TYPE_NAMES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    content_type: str = ""


@dataclass(frozen=True)
class Attachment:
    """An upload that passed its form's rules, with the type its bytes show and its field's title."""
    field: str
    filename: str
    content_type: str
    data: bytes
    title: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_schema(form_key: str, schema: dict, element: str) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise DeploymentError("form", f"Formulir {form_key} bukan JSON Schema yang valid: {exc.message}",
                              [{"element": element, "message": exc.message}]) from exc
    problem = outcome.problem(schema) or date_bounds.problem(schema)
    if problem:
        raise DeploymentError("form", f"Formulir {form_key}: {problem}", [{"element": element, "message": problem}])


def validate_data(schema: dict, data) -> None:
    """Raises Invalid with one entry per invalid field, in Bahasa Indonesia."""
    if not isinstance(data, dict):
        raise Invalid("invalid", "Data formulir harus berupa objek JSON.", [{"field": "", "message":
                                                                           "Data formulir harus berupa objek."}])
    validator = _validator(schema)
    errors = dict(_control_characters(data))
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        for field, message in describe(error):
            errors.setdefault(field, message)
    if errors:
        entries = [{"field": f, "message": m} for f, m in errors.items()]
        if len(entries) > MAX_ERRORS:  # a body of a million stray keys would answer with a million lines
            rest = len(entries) - MAX_ERRORS
            entries = entries[:MAX_ERRORS] + [{"field": "", "message": f"Dan {rest} masalah lain pada isian "
                                                                      "yang tidak ditampilkan."}]
        raise Invalid("invalid", "Isian formulir belum benar.", entries)


MAX_ERRORS = 100  # entries in one refusal; a person mends far fewer at a time
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # and lone surrogates


def _control_characters(value, path=""):
    """Control characters (NUL above all) have no place in a form and cannot be stored as text."""
    if isinstance(value, str):
        if CONTROL.search(value):
            yield path, "Isian mengandung karakter kontrol atau karakter tidak sah."
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if CONTROL.search(str(key)):
                yield name, "Nama isian mengandung karakter kontrol yang tidak diizinkan."
            else:
                yield from _control_characters(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _control_characters(item, f"{path}.{index}" if path else str(index))


_VALIDATORS: dict[int, tuple[dict, object]] = {}


def _validator(schema: dict):
    return cached_validator(schema, lambda s: FormValidator(s, format_checker=FORMATS))


def cached_validator(schema: dict, make):
    """One validator per deployed schema (those are never changed, only replaced by a new version)."""
    entry = _VALIDATORS.get(id(schema))
    if entry is None or entry[0] is not schema:
        if len(_VALIDATORS) > 512:
            _VALIDATORS.clear()
        entry = _VALIDATORS[id(schema)] = (schema, make(schema))
    return entry[1]


def describe(error):
    """A schema error as (field path, message in Bahasa Indonesia) pairs."""
    path = ".".join(str(p) for p in error.absolute_path)
    keyword = error.validator
    if keyword == "required":
        # One entry per missing field, named by its own path, in the field's own words if it has them.
        properties = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        for name in error.validator_value:
            if isinstance(error.instance, dict) and name not in error.instance:
                own = properties.get(name, {}).get("x-messages", {}) if isinstance(properties.get(name), dict) else {}
                yield (f"{path}.{name}" if path else name), own.get("required", MESSAGES["required"])
        return
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        for name in error.instance:
            if name not in allowed:
                yield (f"{path}.{name}" if path else name), MESSAGES["additionalProperties"]
        return
    if keyword in ("if", "then", "else", "allOf", "anyOf") and error.context:
        for sub in error.context:
            yield from describe(sub)
        return
    custom = error.schema.get("x-messages", {}) if isinstance(error.schema, dict) else {}
    if keyword in custom:
        yield path, custom[keyword]
    elif keyword == NAME:
        yield path, error.message  # in words already: what the name carries that it should not
    elif keyword == "format":
        yield path, FORMAT_MESSAGES.get(error.validator_value, MESSAGES["format"])
    elif keyword == "type" and error.instance is None:
        # null is how a JSON client says "nothing": the field's own words for a missing value, else how to send it
        yield path, custom.get("required", NULL_MESSAGE)
    elif keyword == "type":
        wanted = error.validator_value
        yield path, TYPE_MESSAGES.get(wanted if isinstance(wanted, str) else "", MESSAGES["type"])
    else:
        yield path, MESSAGES.get(keyword, "Isian tidak valid.").format(limit=error.validator_value)


def validate(schema: dict, data, uploads: dict[str, list[Upload]]) -> list[Attachment]:
    """Data and files in one round: a refusal lists every problem of both, so a person fixes them in one go
    instead of learning about the missing letter only after the fields are right."""
    problems = []
    try:
        validate_data(schema, data)
    except Invalid as exc:
        if not isinstance(data, dict):
            raise
        problems = exc.errors
    try:
        attachments = validate_files(schema, uploads)
    except Invalid as exc:
        if not problems:
            raise
        raise Invalid("invalid", "Isian formulir dan berkas unggahan belum benar.", problems + exc.errors) from exc
    if problems:
        raise Invalid("invalid", "Isian formulir belum benar.", problems)
    return attachments


def validate_files(schema: dict, uploads: dict[str, list[Upload]]) -> list[Attachment]:
    """Checks uploads against the form's `x-attachments`: required, count, size, and type by content."""
    declared = {a["name"]: a for a in schema.get("x-attachments", [])}
    errors, accepted = [], []
    for name in uploads:
        if name not in declared and uploads[name]:
            errors.append({"field": name, "in": "file", "message": "Berkas ini tidak diminta oleh formulir."})
    if sum(len(v) for v in uploads.values()) > MAX_FILES:
        errors.append({"field": "", "in": "file", "message": f"Paling banyak {MAX_FILES} berkas sekaligus."})
    for name, spec in declared.items():
        files = uploads.get(name, [])
        if not files:
            if spec.get("required"):
                errors.append({"field": name, "in": "file", "message": "Berkas wajib diunggah."})
            continue
        if len(files) > 1 and not spec.get("multiple"):
            errors.append({"field": name, "in": "file", "message": "Hanya satu berkas yang boleh diunggah."})
            continue
        for upload in files:
            if len(upload.data) > MAX_FILE_BYTES:
                raise TooLarge("too_large", f"Berkas {upload.filename} melebihi batas "
                                            f"{MAX_FILE_BYTES // (1024 * 1024)} MB.")
            kind = sniff(upload.data)
            accept = spec.get("accept", list(SIGNATURES))
            if not upload.data:
                errors.append({"field": name, "in": "file", "message": f"Berkas {upload.filename} kosong."})
            elif kind not in accept:
                wanted = "/".join(TYPE_NAMES.get(a, a) for a in accept)
                errors.append({"field": name, "in": "file",
                               "message": f"Berkas {upload.filename} bukan berkas {wanted} yang valid."})
            else:
                accepted.append(Attachment(name, _safe_name(upload.filename, kind), kind, upload.data,
                                           str(spec.get("title") or name)[:200]))
    if errors:
        raise Invalid("invalid", "Berkas unggahan belum benar.", errors)
    return accepted


# What a whole file of each type ends with (within its last 2 KB, where writers may pad): a file cut short
# in the upload, or a few bytes of signature alone, is not a document anyone can open.
ENDINGS = {
    "application/pdf": (b"startxref", b"%%EOF"),  # the cross-reference pointer, then the end marker
    "image/png": (b"IEND",),                     # the closing chunk
    "image/jpeg": (b"\xff\xd9",),                # end of image
}
EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}


def sniff(data: bytes) -> str | None:
    """The type the bytes themselves show: its signature at the start, its ending at the end and, between
    them, the first piece of structure every such file has."""
    for kind, magics in SIGNATURES.items():
        if any(data.startswith(m) for m in magics):
            tail = data[-2048:]
            if len(data) <= len(magics[0]) or not all(mark in tail for mark in ENDINGS[kind]):
                return None
            return kind if STRUCTURE[kind](data, tail) else None
    return None


PDF_POINTER = re.compile(rb"startxref\s+(\d{1,12})\s+%%EOF")
PDF_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")


def _whole_pdf(data: bytes, tail: bytes) -> bool:
    """At least one numbered object, and the cross-reference pointer inside the file: readers repair a
    pointer that is off, but one past the end means the file was cut short."""
    pointers = PDF_POINTER.findall(tail)
    return bool(pointers) and int(pointers[-1]) < len(data) and b"endobj" in data \
        and PDF_OBJECT.search(data) is not None


STRUCTURE = {
    "application/pdf": _whole_pdf,
    "image/png": lambda data, tail: data[8:16] == b"\x00\x00\x00\rIHDR",  # the header chunk comes first
    "image/jpeg": lambda data, tail: len(data) > 4 and data[3] >= 0xC0,    # a marker segment follows SOI
}


def _safe_name(filename: str, kind: str) -> str:
    """The upload's own name, without a path or characters a download header or file system would trip on,
    and always with the extension of the type its bytes showed."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(c for c in name if c.isprintable() and c not in '"<>|:*?').strip()
    extensions = EXTENSIONS.get(kind, ("",))
    own = next((e for e in extensions if e and name.lower().endswith(e)), None)
    stem, suffix = (name[:-len(own)], name[-len(own):]) if own else (name, extensions[0])
    return (stem.strip(" .")[:200 - len(suffix)] or "berkas") + suffix
