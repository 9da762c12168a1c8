"""Cases: filing one (the start form), the list, the case page with status, history and documents."""
from __future__ import annotations

import io
import re
import secrets

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from engine import PROCESS_KEY
from engine.cancellation import may_end
from engine.errors import Invalid
from engine import tidy
from engine.instances import STATUSES

from . import formdata
from .context import actor, engine

FORM_KEY = re.compile(r"[0-9a-f]{32}")
bp = Blueprint("cases", __name__, url_prefix="/cases")
PAGE = 50


@bp.get("")
@login_required
def index():
    page = max(formdata.whole_number(request.args.get("halaman"), 1), 1)
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        status = None
    query = request.args.get("q", "").strip() or None
    raw_version = request.args.get("versi", "").strip() if actor().sees_all_cases() else ""
    version = formdata.whole_number(raw_version, None)  # from the process page: a version's cases
    version = version if version and version > 0 else None
    known = version is None or any(d.process_key == PROCESS_KEY and d.version == version
                                   for d in engine().definitions.list())
    if raw_version and version is None:  # "abc", "0", 20 digits: no version, said so, rather than every case
        version, known = raw_version[:20], False
    rows, total = [], 0
    if known:
        rows, total = engine().instances.list(actor(), status=status, query=query, version=version, limit=PAGE,
                                              offset=(page - 1) * PAGE)
    return render_template("cases.html", rows=rows, total=total, status=status, statuses=STATUSES, q=query or "",
                           page=page, version=version, version_known=known, pages=max((total + PAGE - 1) // PAGE, 1))


def warn_same_domain(case_id: int, domain: str) -> None:
    """A case that now names a domain already in dispute in another running case the officer can see (a
    double filing, or a corrected name that another case has): said once, as the case gets the name."""
    running = [c.case_number for c in engine().instances.same_domain(actor(), case_id, domain, running=True)]
    if running:
        flash(f"Perhatian: domain ini juga sedang disengketakan dalam kasus {', '.join(running)} dari instansi "
              "Anda. Bila ini pengajuan ganda, tarik salah satunya dari halaman kasusnya.", "info")


DOMAIN_MAX = 253  # the longest name DNS has


@bp.get("/serupa")
@login_required
def same_domain():
    """The running cases the reader may see about a domain, for the filing form to say so while the domain is
    typed (same_domain.js), before a second request for it is sent rather than after: JSON."""
    typed = request.args.get("domain", "")
    if len(typed) > DOMAIN_MAX + 20:  # (room for a pasted "https://" and a path)
        return {"detail": f"Nama domain paling panjang {DOMAIN_MAX} karakter."}, 400
    domain = tidy.KINDS["domain"](typed) if typed.strip() else ""
    running = engine().instances.same_domain(actor(), 0, domain, running=True)
    return {"domain": domain, "running": [{"case_number": c.case_number, "agency": c.agency,
                                           "url": url_for("cases.show", case_ref=c.case_number)} for c in running]}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if actor().role != "pemohon":
        abort(403)
    schema = engine().instances.start_form()
    # the form's own filing key: a double click or a resent form files the request once
    key = request.form.get("kunci") if request.method == "POST" else None
    key = key if key and FORM_KEY.fullmatch(key) else secrets.token_hex(16)

    def file(values, files):
        try:
            return engine().instances.start(actor(), values, files, key=key)
        except Invalid as exc:  # the form came back (Back button) and was changed: a new request, a new key
            if exc.code != "key_reused":
                raise
            return engine().instances.start(actor(), values, files, key=secrets.token_hex(16))
    sent = formdata.submit(schema, file)
    if sent.result is not None and sent.result.replayed:
        flash(f"Permohonan ini sudah tercatat sebagai kasus {sent.result.case_number}; kiriman kedua tidak "
              "dicatat lagi.", "info")
        return redirect(url_for("cases.show", case_ref=sent.result.case_number))
    if sent.result is not None:
        flash(f"Permohonan tercatat sebagai kasus {sent.result.case_number}.", "success")
        warn_same_domain(sent.result.id, sent.result.domain)
        return redirect(url_for("cases.show", case_ref=sent.result.case_number))
    values, prefilled_from = sent.values, None
    if request.method == "GET":  # a first look starts from this officer's last filing; a refused one keeps its own
        values, prefilled_from = engine().instances.start_values(actor())
    fields, attachments = formdata.fields(schema, values, sent.errors), schema.get("x-attachments", [])
    return render_template("new_case.html", schema=schema, fields=fields, attachments=attachments, errors=sent.errors,
                           problems=formdata.problems(fields, attachments, sent.errors), files_sent=sent.files_sent,
                           files_lost=sent.files_lost,
                           prefilled_from=prefilled_from, filing_key=key,
                           start_at=formdata.first_empty(fields) if prefilled_from else None), sent.status


@bp.get("/<case_ref>")
@login_required
def show(case_ref, reason: str | None = None, reason_error: str | None = None):
    """`reason`, `reason_error`: an ending refused for its reason, shown again open, with what was typed."""
    case = engine().instances.get(actor(), case_ref)
    tasks, _ = engine().tasks.list(actor(), case_id=case.id, state=None, limit=200)
    return render_template("case.html", case=case, tasks=tasks, step_names={t.id: t.name for t in tasks},
                           related=engine().instances.same_domain(actor(), case.id, case.domain),
                           may_end=case.status == "running" and may_end(actor(), case.agency_id,
                                                                         answered=case.outcome is not None),
                           answer=_answer(case), ended=_last(case.history, ENDINGS),
                           reason=reason, reason_error=reason_error), 422 if reason_error else 200


ENDINGS = ("case_withdrawn", "case_cancelled")


def _answer(case):
    """The answer to the applicant, for the top of the page (the agency came for it): the data object that states
    the case's outcome, under its own name, and the history entry of the step that sent it; None before."""
    if case.answer_key is None or case.answer_key not in case.data:
        return None
    name, schema = case.data_forms[case.answer_key]
    sent = next((h for h in reversed(case.history)
                 if h.event == "task_completed" and case.answer_key in (h.detail or {})), None)
    return {"name": name, "value": case.data[case.answer_key], "schema": schema, "sent": sent}


def _last(history, events):
    return next((h for h in reversed(history) if h.event in events), None)


@bp.get("/<case_ref>/akhiri")
@login_required
def back_to_case(case_ref):
    """The ending's address opened again (a restored tab): the case's page, not a 405 (nothing is ended)."""
    return redirect(url_for("cases.show", case_ref=case_ref))


@bp.post("/<case_ref>/akhiri")
@login_required
def end(case_ref):
    """The agency withdraws its request, or a process owner or administrator cancels the case, with a reason."""
    try:
        event = engine().cancellations.end(actor(), case_ref, request.form.get("reason", "")).event
    except Invalid as exc:  # the form again, open, the reason kept and its problem beside it (not a flash above)
        return show(case_ref, reason=request.form.get("reason", ""), reason_error=exc.errors[0]["message"])
    else:
        flash("Permohonan ditarik." if event == "case_withdrawn" else "Kasus dibatalkan.", "success")
        flash("Langkah yang terbuka ditutup dan target waktunya dihentikan; riwayat mencatat alasannya.", "info")
    return redirect(url_for("cases.show", case_ref=case_ref))


@bp.get("/<case_ref>/documents/<int:document_id>")
@login_required
def document(case_ref, document_id):
    info, content = engine().instances.document(actor(), case_ref, document_id)
    return download(info, content, inline=request.args.get("lihat") == "1")


# A document opened in the browser's own viewer (a tab of its own): no script, nothing from elsewhere, never
# framed; Chromium draws a PDF through an internal embed (object-src) on a page with inline styles.
VIEWING = ("default-src 'none'; object-src 'self'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; "
           "form-action 'none'; frame-ancestors 'none'")


def download(info, content, inline: bool = False) -> Response:
    """A stored upload; `inline`: to be read in the browser (every type a form accepts, PDF, PNG or JPEG, was
    checked by its bytes on upload and is sent as that type, never sniffed)."""
    response = send_file(io.BytesIO(content), mimetype=info.content_type, as_attachment=not inline,
                         download_name=info.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if inline:
        response.headers["Content-Security-Policy"] = VIEWING
    return response
