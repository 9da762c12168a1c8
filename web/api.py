"""JSON API under /api/v1, bearer-token authenticated, errors as application/problem+json."""
from __future__ import annotations

import json
import re

from flask import Blueprint, current_app, g, jsonify, request

from engine.errors import Conflict, Invalid, Malformed, TooLarge, Unauthenticated, Unavailable
from engine.instances import STATUSES as CASE_STATUSES
from engine.tasks import STATES, TaskRow

from . import openapi
from .cases import download
from .context import actor, engine
from .errors import problem
from .formdata import NO, YES, uploads

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def authenticate():
    if request.endpoint == "api.spec":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        found = engine().tokens.actor(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    except Unauthenticated as exc:  # a token past its end, said so (its holder knows it existed)
        response = problem(401, exc.message, exc.code)
        response.headers["WWW-Authenticate"] = 'Bearer realm="sengketa", error="invalid_token"'
        return response
    if found is None:
        response = problem(401, "Token API tidak ada atau tidak berlaku (Authorization: Bearer <token>).")
        response.headers["WWW-Authenticate"] = 'Bearer realm="sengketa"'
        return response
    g.api_actor = found
    return None


@bp.get("/openapi.json")
def spec():
    return jsonify(openapi.document())


@bp.post("/cases")
def start_case():
    data, files = _payload()
    key = request.headers.get("Idempotency-Key")  # a retry after a lost answer files nothing twice
    case = engine().instances.start(actor(), data, files, key=key)
    body = _case_summary(case)
    if case.replayed:  # filed before under this key: that case, as it is now
        body["open_tasks"] = [_task(t) for t in engine().tasks.list(actor(), case_id=case.id, state="ready")[0]]
    else:  # the filing already knows the tasks it made ready: no worklist query for them
        body["open_tasks"] = [_task(TaskRow.created(case.id, case.case_number, case.agency, case.domain, t))
                              for t in case.open_tasks]
    response = jsonify(body)
    response.status_code = 200 if case.replayed else 201
    if case.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/cases/{case.id}"
    return response


@bp.get("/cases")
def list_cases():
    limit, offset = _paging()
    status = request.args.get("status") or None
    if status not in (None, *CASE_STATUSES):
        raise Malformed("bad_filter", "Filter 'status' harus running, completed, cancelled atau withdrawn.")
    rows, total = engine().instances.list(actor(), status=status, query=request.args.get("q"), limit=limit,
                                          offset=offset)
    return jsonify({"items": [_case_summary(c) for c in rows], "total": total, "limit": limit, "offset": offset})


@bp.get("/cases/<case_ref>")
def get_case(case_ref):
    case = engine().instances.get(actor(), case_ref)
    body = _case_summary(case)
    body.update(
        process=case.process_name,
        started_by=case.started_by,
        open_tasks=[_task(t) for t in engine().tasks.list(actor(), case_id=case.id, state="ready")[0]],
        data=case.data,
        documents=[{"id": d.id, "field": d.field, "filename": d.filename, "content_type": d.content_type,
                    "size": d.size, "sha256": d.sha256, "uploaded_at": _iso(d.uploaded_at), "task_id": d.task_id,
                    "replaced_by": d.replaced_by, "url": f"/api/v1/cases/{case.id}/documents/{d.id}"} for d in case.documents],
        targets_minutes=case.targets,
        history=[{"at": _iso(h.at), "event": h.event, "label": h.label, "user": h.user, "task_id": h.task_id,
                  "element_id": h.element_id, "name": h.name,
                  **{key: h.detail[key] for key in SHOWN_DETAIL.get(h.event, ()) if key in (h.detail or {})},
                  **({"decided": [vars(d) for d in h.decided]} if h.decided else {})}
                 for h in case.history],
    )
    return jsonify(body)


# What of a history entry's detail the API shows: the reason given for an ending, whom a step went to or from.
SHOWN_DETAIL = {"case_withdrawn": ("reason",), "case_cancelled": ("reason",), "task_assigned": ("to", "from"),
                "task_unclaimed": ("from",)}


@bp.post("/cases/<case_ref>/cancel")
def cancel_case(case_ref):
    """Body {"reason": "..."}: the agency withdraws its case, a process owner or administrator cancels it."""
    body = _json_object()
    ended = engine().cancellations.end(actor(), case_ref, body.get("reason"))
    try:
        return get_case(case_ref)
    except (Unavailable, Conflict):  # (the race probe) the ending is saved: say so, not that nothing was
        return jsonify({"id": ended.case_id, "case_number": ended.case_number, "status": ended.status,
                        "history": [{"event": ended.event}]})


@bp.get("/cases/<case_ref>/documents/<int:document_id>")
def get_document(case_ref, document_id):
    return download(*engine().instances.document(actor(), case_ref, document_id))


@bp.get("/notifications")
def list_notifications():
    unread = _flag("unread")
    limit, offset = _paging()
    items = engine().notifications.list(actor(), unread_only=unread, limit=limit, offset=offset)
    return jsonify({"items": [{"id": n.id, "subject": n.subject, "body": n.body, "link": n.link,
                               "created_at": _iso(n.created_at), "read_at": _iso(n.read_at),
                               "delivery": n.delivery, "case_id": n.case_id} for n in items],
                    "unread": engine().notifications.unread_count(actor())})


@bp.get("/tasks")
def list_tasks():
    limit, offset = _paging()
    mine = _flag("mine")  # checked even beside a view, so a wrong word is said either way
    view = request.args.get("view") or ("mine" if mine else None)
    state = request.args.get("state") or "ready"
    if state not in (*STATES, "all"):
        raise Malformed("bad_filter", f"Filter 'state' tidak dikenal; pilih salah satu: {', '.join(STATES)}, all.")
    rows, total = engine().tasks.list(actor(), view=view, lane=request.args.get("lane") or None,
                                      state=None if state == "all" else state, overdue=_flag("overdue"),
                                      limit=limit, offset=offset)
    return jsonify({"items": [_task(t) for t in rows], "total": total, "limit": limit, "offset": offset})


def _flag(name: str) -> bool:
    """A yes/no filter: absent or empty is no; a word that is neither is refused, not read as no."""
    said = request.args.get(name, "").strip().lower()
    if not said or said in YES or said in NO:
        return said in YES
    raise Malformed("bad_filter", f"Filter '{name}' harus true atau false (juga 1/0, ya/tidak), bukan {said!r}.")


@bp.get("/tasks/<task_id>")
def get_task(task_id):
    detail = engine().tasks.get(actor(), task_id)
    body = _task(detail)
    body.update(form=detail.form, documentation=detail.documentation,
                inputs={k: {"name": name, "value": value, **_corrected(detail.corrected.get(k))}
                        for k, (name, value, _s) in detail.inputs.items()},
                suggested=detail.suggested, initial=detail.initial, current=detail.current,
                asked={k: {"name": name, "value": value} for k, (name, value, _s) in detail.asked.items()})
    return jsonify(body)


def _corrected(correction) -> dict:
    if correction is None:
        return {}
    at, fields = correction
    return {"corrected": {"at": _iso(at), "fields": fields}}


@bp.post("/tasks/<task_id>/claim")
def claim(task_id):
    return jsonify(_task(engine().tasks.claim(actor(), task_id)))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id):
    return jsonify(_task(engine().tasks.unclaim(actor(), task_id)))


@bp.post("/tasks/<task_id>/assign")
def assign(task_id):
    """Body {"to": "username"[, "from": the holder seen]}: a supervisor of the step's lane or the process owner
    gives it to that officer, only if "from" still holds it (left out: only if nobody does)."""
    body = _json_object()
    seen = body.get("from")  # left out: nobody holds it, so a step someone took meanwhile is not taken unseen
    seen = None if seen == "" else seen  # ("" is how a form says nobody)
    if not (seen is None or isinstance(seen, str)):  # a field of the command, as "to" is: 422 with its name
        raise Invalid("invalid", "Tugas belum diberikan.", [
            {"field": "from", "message": "Nama pengguna pemegang tugas yang Anda lihat, atau null bila tidak ada."}])
    return jsonify(_task(engine().assignments.give(actor(), task_id, body.get("to"), seen=seen)))


@bp.post("/tasks/<task_id>/complete")
def complete(task_id):
    data, files = _payload()
    done = engine().tasks.complete(actor(), task_id, data, files)
    return jsonify({**_task(done), "next_tasks": [_task(t) for t in done.next_tasks],
                    "case_status": done.case_status})


# -- reading requests -----------------------------------------------------------------------------
def _payload():
    """Form data as JSON: a JSON body {"data": {...}}, or multipart with a `data` part plus files."""
    if request.mimetype == "multipart/form-data":
        parts = request.form.getlist("data")
        if not parts:
            raise Malformed("malformed", "Bagian 'data' (JSON) tidak ada dalam permintaan multipart.")
        if len(parts) > 1:  # which one was meant cannot be guessed
            raise Malformed("malformed", f"Bagian 'data' dikirim {len(parts)} kali; kirim satu saja.")
        raw = parts[0]
        data = _json(raw)
        return data, uploads(request.files, {})
    if request.mimetype != "application/json":
        raise Malformed("malformed", "Kirim application/json atau multipart/form-data.")
    body = _json_body()
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise Malformed("malformed", "Badan JSON harus berbentuk {\"data\": {...}}.")
    return body["data"], {}


def _json_object() -> dict:
    """A JSON body that is one object (a command's parameters)."""
    if request.mimetype != "application/json":
        raise Malformed("malformed", "Kirim application/json.")
    body = _json_body()
    if not isinstance(body, dict):
        raise Malformed("malformed", "Badan JSON harus berupa satu objek: {\"nama\": nilai, ...}.")
    if any(isinstance(v, str) and SURROGATE.search(v) for v in (*body, *body.values())):
        # "\ud800" escapes to half of a character: no text can hold it (forms say so field by field)
        raise Malformed("malformed", "JSON memuat escape \\uD800-\\uDFFF tanpa pasangannya; kirim teks UTF-8 "
                                     "yang sah.")
    return body


def _json_body():
    """The request's body read as JSON: within the size limit, UTF-8, well formed."""
    raw = request.get_data()
    if len(raw) >= current_app.config["MAX_CONTENT_LENGTH"]:  # a chunked body stops at the limit, unannounced
        raise TooLarge("too_large", f"Permintaan melebihi batas {len(raw) // (1024 * 1024)} MB.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Malformed("malformed", f"Badan JSON bukan UTF-8 yang sah (byte ke-{exc.start + 1}).") from exc
    return _json(text)


def _json(raw: str):
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise Malformed("malformed", f"JSON tidak valid pada baris {exc.lineno}, kolom {exc.colno}: "
                                     f"{_json_problem(exc)}.") from exc
    except ValueError as exc:  # an integer of thousands of digits: Python refuses to convert it
        raise Malformed("malformed", "JSON tidak valid: angka terlalu panjang.") from exc
    except RecursionError as exc:
        raise Malformed("malformed", "JSON terlalu dalam bersarang.") from exc
    return data


SURROGATE = re.compile("[\ud800-\udfff]")
JSON_PROBLEMS = (  # the parser's English messages, by how they begin
    ("Expecting value", "nilai diharapkan di sini"),
    ("Expecting property name", "nama isian harus di antara tanda kutip ganda"),
    ("Expecting ':'", "tanda titik dua (:) diharapkan"),
    ("Expecting ','", "tanda koma (,) diharapkan"),
    ("Unterminated string", "teks tidak ditutup dengan tanda kutip"),
    ("Invalid control character", "karakter kontrol tidak boleh ada di dalam teks"),
    ("Invalid \\escape", "escape tidak sah di dalam teks"),
    ("Invalid \\uXXXX escape", "escape \\uXXXX tidak sah"),
    ("Extra data", "ada data lagi setelah akhir JSON"),
    ("Unexpected UTF-8 BOM", "tanda BOM di awal tidak diizinkan"),
)


def _json_problem(exc: json.JSONDecodeError) -> str:
    for english, indonesian in JSON_PROBLEMS:
        if exc.msg.startswith(english):
            return indonesian
    return "susunan tidak sah"


PAGING = re.compile(r"-?[0-9]{1,18}")  # ASCII digits: int() alone would also take "١٢" and "1_0"


def _paging() -> tuple[int, int]:
    raw = {name: request.args.get(name, default).strip() for name, default in (("limit", "100"), ("offset", "0"))}
    if not all(PAGING.fullmatch(value) for value in raw.values()):
        if all(re.fullmatch(r"-?[0-9]+", value) for value in raw.values()):  # (beyond what the database takes)
            raise Malformed("bad_paging", "limit dan offset paling banyak 18 angka.")
        raise Malformed("bad_paging", "limit dan offset harus bilangan bulat (angka 0–9).")
    limit, offset = int(raw["limit"]), int(raw["offset"])
    if not 1 <= limit <= 500 or offset < 0:
        raise Malformed("bad_paging", "limit harus 1–500 dan offset tidak negatif.")
    return limit, offset


# -- writing responses ----------------------------------------------------------------------------
def _iso(value):
    return value.isoformat() if value is not None else None


def _case_summary(case) -> dict:
    return {"id": case.id, "case_number": case.case_number, "status": case.status, "agency": case.agency,
            "domain": case.domain, "version": case.version, "started_at": _iso(case.started_at),
            "completed_at": _iso(case.completed_at),
            "outcome": {"value": case.outcome, "title": case.outcome_title, "tone": case.outcome_tone}
            if case.outcome is not None else None}


def _task(t) -> dict:
    return {"id": t.id, "case_id": t.case_id, "case_number": t.case_number, "name": t.name,
            "element_id": t.element_id, "lane": t.lane, "state": t.state, "claimed_by": t.claimed_by,
            "created_at": _iso(t.created_at), "due_at": _iso(t.due_at), "completed_at": _iso(t.completed_at),
            "completed_by": t.completed_by, "agency": t.agency, "domain": t.domain, "form_key": t.form_key}
