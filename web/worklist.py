"""The worklist: Antrian (unclaimed work of my lanes), Tugas saya (claimed by me), and the task page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.errors import Conflict, Invalid, Unavailable

from . import formdata
from .cases import warn_same_domain
from .context import actor, engine
from .filters import LANE_LABELS

bp = Blueprint("worklist", __name__)
TABS = {"antrian": "queue", "saya": "mine", "semua": None}
PAGE = 50


@bp.app_context_processor
def waiting_for_me():
    """Every page's header says how many tasks wait for this person, so the agency sees the answer arrive."""
    if not current_user.is_authenticated:
        return {}
    return {"waiting_tasks": engine().tasks.waiting_count(actor())}


@bp.get("/worklist/menunggu")
@login_required
def waiting():
    """How many tasks wait for the person now: the pages ask it every WAITING_POLL_SECONDS (waiting.js), so a
    request filed while an officer sits on the worklist shows within the step's 10 minutes, without a reload."""
    return {"waiting": engine().tasks.waiting_count(actor())}


# Roles that work no lane start where their work is: the cases (a process owner inspects them; an
# administrator sees every case, and the users page is one click away).
START_ON_CASES = {"process_owner", "admin"}


@bp.get("/")
@login_required
def index():
    if actor().role in START_ON_CASES:
        return redirect(url_for("cases.index"))
    return redirect(url_for("worklist.tasks"))


@bp.get("/worklist")
@login_required
def tasks():
    # a process owner or an administrator takes no work from a queue: their worklist is everything open
    # a supervisor watches their lane rather than picking from a queue: they open on all of its open steps
    watches = actor().role == "supervisor" and actor().lane
    default = "semua" if actor().role in START_ON_CASES or watches else "antrian"
    tab = request.args.get("tab", default)
    if tab not in TABS or actor().role in START_ON_CASES:  # nothing of theirs to queue or hold: one list
        tab = default
    overdue = request.args.get("terlambat") == "1"
    lane = request.args.get("lajur") if request.args.get("lajur") in LANE_LABELS else None
    agency = actor().role == "pemohon"
    if agency:  # one list: their agency's own steps (the helpdesk's are on the case pages); no targets to filter
        tab, lane, overdue = "semua", "pemohon", False
    if "lajur" not in request.args and "tab" not in request.args and watches:
        lane = actor().lane  # ("lajur=semua" asks for every lane)
    page = max(formdata.whole_number(request.args.get("halaman"), 1), 1)
    rows, total = engine().tasks.list(actor(), view=TABS[tab], lane=lane, overdue=overdue, state="ready",
                                      limit=PAGE, offset=(page - 1) * PAGE)
    one_list = agency or actor().role in START_ON_CASES  # no queue, nothing held: only "semua" is counted
    counts = {name: engine().tasks.list(actor(), view=view, lane=lane, overdue=overdue, state="ready", limit=1)[1]
              for name, view in TABS.items() if not one_list or name == "semua"}  # what each tab would show
    late_mine = 0 if one_list else \
        engine().tasks.list(actor(), view="mine", lane=lane, overdue=True, state="ready", limit=1)[1]
    if "tab" not in request.args and tab == "antrian" and counts["saya"]:
        # work in hand comes first (one taken and left for a moment, one given to them, one that missed its
        # target): the queue is a click away, its count on its tab
        tab = "saya"
        rows, total = engine().tasks.list(actor(), view="mine", lane=lane, overdue=overdue, state="ready",
                                          limit=PAGE, offset=(page - 1) * PAGE)
    # a supervisor is there for the targets of their lane: what has missed one is the first thing they see
    late_in_lane = (engine().tasks.list(actor(), lane=actor().lane, overdue=True, state="ready", limit=1)[1]
                    if actor().role == "supervisor" and actor().lane else 0)
    # an officer's own work is rare (a correction, the answer); an empty list points them to their cases
    nothing_to_do = agency and counts["semua"] == 0
    twice = engine().instances.disputed_twice(actor(), {t.domain for t in rows})
    # columns that would say the same on every row are left out: an officer's one lane; the queue's holder
    # (nobody) and their own tasks' (themselves)
    several = len(actor().worked_lanes()) > 1
    columns = {"lane": not agency and not lane and (tab == "semua" or several), "holder": agency or tab == "semua"}
    return render_template("worklist.html", rows=rows, total=total, tab=tab, overdue=overdue, counts=counts,
                           twice=twice, columns=columns, rounds=engine().tasks.rounds(rows),
                           lane=lane, late_in_lane=late_in_lane, late_mine=late_mine,
                           watches_only=actor().role in START_ON_CASES, agency=agency,
                           nothing_to_do=nothing_to_do, page=page, pages=max((total + PAGE - 1) // PAGE, 1))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id):
    try:
        task = engine().tasks.claim(actor(), task_id)
    except Conflict as exc:  # a colleague was quicker, or it is done: who, and back where they were
        flash(_taken_by(task_id) if exc.code == "claimed" else exc.message, "error")
        back = request.form.get("kembali", "")
        if back.startswith("/worklist") and "\\" not in back:  # taken from a list: back to it, next one there
            return redirect(back)
        return redirect(url_for("worklist.task", task_id=task_id))
    flash(f"Tugas '{task.name}' untuk kasus {task.case_number} kini menjadi tugas Anda.", "success")
    return redirect(url_for("worklist.task", task_id=task_id))


def _taken_by(task_id: str) -> str:
    """A lost race for a step, said with who won it (the queue shows who holds what anyway)."""
    step = engine().tasks.row(actor(), task_id)  # (its name and holder: no workflow to read)
    holder = engine().identity.full_names([step.claimed_by]).get(step.claimed_by, step.claimed_by)
    return (f"Tugas '{step.name}' untuk kasus {step.case_number} sudah diambil lebih dulu oleh "
            f"{holder or 'petugas lain'}.")


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id):
    task = engine().tasks.unclaim(actor(), task_id)
    if task.released_from:  # a colleague's step: back to it, as giving it to someone is the usual next move
        flash(f"Tugas '{task.name}' dilepas dari {task.released_from} ke antrian.", "info")
        return redirect(url_for("worklist.task", task_id=task_id))
    flash(f"Tugas '{task.name}' dikembalikan ke antrian.", "info")
    return redirect(url_for("worklist.tasks"))


@bp.post("/tasks/<task_id>/berikan")
@login_required
def assign(task_id):
    """A supervisor (or the process owner) gives the step to a named officer."""
    try:
        task = engine().assignments.give(actor(), task_id, request.form.get("to"),
                                         seen=request.form.get("seen") or None)  # as the page showed it
    except Invalid as exc:  # nobody chosen, or someone who may no longer work the lane: beside the choice
        detail = engine().tasks.get(actor(), task_id)
        return _task_page(detail, _first_look(detail), 422, give_error=f"{exc.message} {exc.errors[0]['message']}")
    except Conflict as exc:  # taken, released or done meanwhile: the page says how it is now
        flash(exc.message, "error")
        return redirect(url_for("worklist.task", task_id=task_id))
    name = engine().identity.full_names([task.claimed_by]).get(task.claimed_by, task.claimed_by)
    flash(f"Tugas '{task.name}' untuk kasus {task.case_number} diberikan kepada {name}.", "success")
    return redirect(url_for("worklist.task", task_id=task_id))


@bp.get("/tasks/<task_id>/claim")
@bp.get("/tasks/<task_id>/unclaim")
@bp.get("/tasks/<task_id>/berikan")
@login_required
def back_to_task(task_id):
    """A command's address opened again (a restored tab, a reloaded result): the step's page, not a 405."""
    return redirect(url_for("worklist.task", task_id=task_id))


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id):
    detail = engine().tasks.get(actor(), task_id)

    take = request.method == "POST" and request.form.get("ambil") == "1"  # released while they typed

    def complete(values, files):
        return engine().tasks.complete(actor(), detail.id, values, files, take=take)
    try:
        sent = formdata.submit(detail.form, complete)
    except Conflict as exc:
        if exc.code == "already_done":  # the same form sent twice: the first one went through
            flash(f"Tugas '{detail.name}' sudah Anda selesaikan; kiriman kedua tidak disimpan lagi.", "info")
            return redirect(url_for("cases.show", case_ref=detail.case_number))
        return _overtaken(task_id, exc)
    except Unavailable as exc:  # the database went away for a moment: nothing saved, what they typed kept
        return _overtaken(task_id, exc, 503)
    if sent.result is not None:
        flash(f"Tugas '{detail.name}' selesai. {what_next(sent.result)}", "success")
        offer_next(sent.result)
        if sent.result.domain != detail.domain:  # a correction renamed the domain
            warn_same_domain(detail.case_id, sent.result.domain)
        return redirect(url_for("cases.show", case_ref=detail.case_number))
    fields = formdata.fields(detail.form, sent.values, sent.errors) if request.method == "POST" else _first_look(detail)
    return _task_page(detail, fields, sent.status,
                      sent.errors, files_lost=sent.files_lost,
                      unsent=sent.values if take and detail.claimed_by is None else None)  # still theirs to take


def _first_look(detail):
    """The form as a first look shows it: from what the case holds (the data the step corrects, where fields
    start (x-starts-from), the choice the case decided)."""
    return formdata.fields(detail.form, {**detail.current, **detail.initial, **detail.suggested}, {},
                           decided=frozenset(_paths(detail.suggested)))


def _task_page(detail, fields, status, errors=None, unsent=None, files_lost=None, give_error=None):
    """The step's page; it is the viewer's to send when they hold it, or when it is their agency's own step
    (even one a colleague took through the API: the agency's steps are the agency's)."""
    mine = detail.claimed_by == actor().username or actor().sends_own_step(detail.lane)
    attachments = detail.form.get("x-attachments", [])
    # Checking a request is where a second filing for a domain already in dispute is caught: say so here too.
    related = engine().instances.same_domain(actor(), detail.case_id, detail.domain)
    officers = (engine().assignments.officers(actor(), detail.id)
                if detail.state == "ready" and actor().assigns(detail.lane) else [])
    return render_template("task.html", task=detail, mine=mine, fields=fields, attachments=attachments,
                           officers=[o for o in officers if o.username != detail.claimed_by],
                           errors=errors or {}, problems=formdata.problems(fields, attachments, errors or {}),
                           files_sent=bool(files_lost), files_lost=files_lost or {}, unsent=unsent,
                           related=related, give_error=give_error), status


def _overtaken(task_id, refusal: Conflict | Unavailable, status: int = 409):
    """The step changed under the officer while they typed (a supervisor released it and a colleague took
    it, or it was done): the page as it is now, with what they sent shown back so nothing typed is lost."""
    detail = engine().tasks.get(actor(), task_id)
    unsent = formdata.from_form(detail.form, request.form)
    flash(f"{refusal.message} Isian Anda belum tersimpan; salinannya ada di bawah.", "error")
    return _task_page(detail, formdata.fields(detail.form, unsent, {}), status, unsent=unsent)


def what_next(done) -> str:
    """After a completion: the step(s) it made ready and who works them, or that the case has ended."""
    if done.case_status == "completed":
        return "Kasus selesai; tidak ada langkah lagi."
    if not done.next_tasks:
        return "Kasus menunggu langkah lain."
    steps = "; ".join(f"{t.name} — dikerjakan oleh {LANE_LABELS.get(t.lane, t.lane)}" for t in done.next_tasks)
    return f"Langkah berikutnya: {steps}."


def offer_next(done) -> None:
    """Under the message of a completion, what the officer does next, one click away: the step it made ready
    when it is theirs to take (the check, then the analysis of the same case), else back to their queue. Not
    for an agency's officer, whose next moves are on the case page."""
    if actor().role == "pemohon":
        return
    follow = next((t for t in done.next_tasks if actor().works(t.lane) and not t.claimed_by), None)
    flash({"task_id": follow.id, "name": follow.name} if follow else {}, "next")


def _paths(values: dict, prefix: str = ""):
    for name, value in values.items():
        if isinstance(value, dict):
            yield from _paths(value, f"{prefix}{name}.")
        else:
            yield prefix + name
