"""Accounts: one's own (password, API tokens) and, for administrators, everyone's (add, change, deactivate,
reset)."""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user

from engine.errors import Conflict, Invalid, NotFound
from engine.models import ROLES, SUPERVISED_LANES, utcnow

from .auth import ROLE_LABELS, LoginUser
from .formdata import Problem, errors_by_field
from .context import actor, engine

bp = Blueprint("accounts", __name__)
TICKET = "token_ticket"
# How long a token made on the page lasts (the form's choices; a year unless chosen otherwise).
TOKEN_DAYS = {"90": 90, "365": 365, "tanpa-batas": None}
DEFAULT_TOKEN_DAYS = "365"
USER_FIELDS = {"username": "Nama pengguna", "full_name": "Nama lengkap", "role": "Peran", "email": "E-mail",
               "agency": "Kode instansi",
               "lane": "Lajur yang diawasi", "password": "Kata sandi awal"}


@bp.route("/akun", methods=["GET", "POST"])
@login_required
def own():
    errors = {}
    if request.method == "POST":
        form = request.form
        try:
            changed = engine().identity.change_password(actor(), form.get("current", ""), form.get("new", ""),
                                                        form.get("repeated", ""))
        except Invalid as exc:
            errors = errors_by_field(exc.errors)
        else:
            login_user(LoginUser(changed, current_user.token))  # this login goes on; those elsewhere end
            flash("Kata sandi diubah. Perangkat lain perlu masuk kembali.", "success")
            return redirect(url_for("accounts.own"))
    return _own_page(errors=errors), (422 if errors else 200)


PASSWORD_FIELDS = {"current": "Kata sandi saat ini", "new": "Kata sandi baru", "repeated": "Ulangi kata sandi baru"}
AUTOCOMPLETE = {"current": "current-password", "new": "new-password", "repeated": "new-password"}


@bp.get("/akun/token")
@bp.get("/akun/token/<int:token_id>/cabut")
@login_required
def back_to_account(token_id=None):
    """A command's address opened again (a restored tab): the account page, not a 405 (nothing is made)."""
    return redirect(url_for("accounts.own"))


@bp.post("/akun/token")
@login_required
def new_token():
    # The form carries a one-time ticket: reloading the page that shows a token (which re-sends this POST)
    # must not make another one. The token is shown once, on this response only (never in a cookie or a flash).
    # The ticket names the newest token the page saw, and the engine refuses it once a newer one exists: the
    # session cookie alone could be replayed (it is the client's), the database cannot.
    ticket, sent = session.pop(TICKET, None), request.form.get("tiket", "")
    lasts = request.form.get("berlaku", DEFAULT_TOKEN_DAYS)
    if lasts not in TOKEN_DAYS:
        flash("Tidak ada token yang dibuat: pilih masa berlaku 90 hari, 1 tahun atau tanpa batas waktu.", "error")
        return redirect(url_for("accounts.own"))  # (no anchor: the message above takes the cursor)
    token = None
    if ticket and secrets.compare_digest(ticket.encode(), sent.encode()):  # bytes: any text may be posted
        try:
            token = engine().tokens.new(actor().username, after=int(ticket.split(".", 1)[0]),
                                        days=TOKEN_DAYS[lasts], label=request.form.get("untuk"))
        except Conflict:  # spent: a newer token exists than the page saw
            pass
        except Invalid as exc:  # (the box stops at its limit: only a forged form gets here)
            flash(f"Tidak ada token yang dibuat: {exc.errors[0]['message']}", "error")
            return redirect(url_for("accounts.own"))  # (no anchor: the message above takes the cursor)
    if token is None:
        flash("Tidak ada token baru yang dibuat: formulir itu sudah terpakai (misalnya halaman dimuat ulang) "
              "atau berasal dari tab lain. Tekan tombolnya lagi bila memang perlu token baru.", "info")
        return redirect(url_for("accounts.own"))
    response = make_response(_own_page(token=token))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/akun/token/<int:token_id>/cabut")
@login_required
def revoke_token(token_id):
    try:
        engine().tokens.revoke(actor(), token_id)
    except NotFound as exc:
        flash(exc.message, "error")
    else:
        flash("Token dicabut: sistem yang memakainya tidak dapat masuk lagi dengan token itu.", "success")
    return redirect(url_for("accounts.own"))  # (no anchor: the message above takes the cursor)


def _own_page(errors=None, token=None):
    tokens = engine().tokens.of(actor())  # newest first
    session[TICKET] = f"{tokens[0].id if tokens else 0}.{secrets.token_urlsafe(16)}"
    problems = [Problem(f"f-{name}", label, (errors or {})[name]) for name, label in PASSWORD_FIELDS.items()
                if name in (errors or {})]  # a refused change says so at the form's top, where the cursor goes
    return render_template("account.html", errors=errors or {}, token=token, ticket=session[TICKET],
                           problems=problems, password_fields=[(name, label, AUTOCOMPLETE[name])
                                                               for name, label in PASSWORD_FIELDS.items()],
                           tokens=tokens, now=utcnow(),
                           role_label=ROLE_LABELS.get(actor().role, actor().role),
                           agency=engine().identity.agency_names().get(actor().agency_id))


# -- administration ----------------------------------------------------------------------------------
@bp.route("/admin/pengguna", methods=["GET", "POST"])
@login_required
def users():
    if actor().role != "admin":
        abort(403)
    errors, sent = {}, {}
    if request.method == "POST":
        sent = {k: request.form.get(k, "").strip()
                for k in ("username", "full_name", "role", "email", "agency", "lane", "new_agency")}
        made = _makes_agency(sent)
        try:
            added = engine().identity.add_user(sent["username"], sent["role"], sent["email"],
                                               request.form.get("password", ""), sent["agency"] or None,
                                               sent["lane"] or None, by=actor(), full_name=sent["full_name"],
                                               new_agency=sent["new_agency"] == "1")
        except Invalid as exc:
            errors = errors_by_field(exc.errors)
        except Conflict as exc:  # the name is taken
            errors = {"username": exc.message}
        else:
            where = f" pada instansi baru {sent['agency']} (belum bernama)" if made else ""
            flash(f"Pengguna {added.username} ({ROLE_LABELS[added.role]}) ditambahkan{where}.", "success")
            return redirect(url_for("accounts.users"))
    return _users_page(errors, sent, request.args)


def _users_page(errors: dict, sent: dict, filters, reset: tuple[str, str] | None = None):
    """The users list (as `filters` q and peran filter it) with the add-user form; `reset`: a password reset
    refused, (username, why), shown open in its row with the error at the field."""
    problems = [Problem(f"f-{name}", label, errors[name]) for name, label in USER_FIELDS.items() if name in errors]
    everyone = engine().identity.accounts(actor())
    query, role = filters.get("q", "").strip(), filters.get("peran", "")
    shown = [a for a in everyone if (role not in ROLES or a.role == role) and _matches(a, query)]
    # the roles in the order of the work (the helpdesk first, administrators last), then by name
    shown.sort(key=lambda a: (WORK_ORDER.index(a.role), (a.full_name or a.username).lower()))
    return render_template("users.html", accounts=shown, total=len(everyone), query=query,
                           role_filter=role if role in ROLES else "", errors=errors, sent=sent,
                           problems=problems, mail=engine().outbox.status(), reset=reset,
                           new_code=_makes_agency(sent),
                           roles=ROLES, lanes=SUPERVISED_LANES, role_labels=ROLE_LABELS,
                           agencies=engine().identity.agencies()), (422 if errors or reset else 200)


def _makes_agency(sent: dict) -> bool:
    """Whether the form names an agency code that does not exist yet (it asks to confirm it as new)."""
    return engine().identity.is_new_agency(sent.get("agency"))


@bp.route("/admin/pengguna/<username>/ubah", methods=["GET", "POST"])
@login_required
def change_user(username):
    """An administrator corrects a user's role, e-mail, agency or supervised lane."""
    if actor().role != "admin":
        abort(403)
    found = engine().identity.accounts(actor(), username)
    if not found:
        abort(404)
    account, errors = found[0], {}
    sent = {"full_name": account.full_name or "", "role": account.role, "email": account.email,
            "agency": account.agency_code or "", "lane": account.lane or ""}
    if request.method == "POST":
        sent = {k: request.form.get(k, "").strip()
                for k in ("full_name", "role", "email", "agency", "lane", "new_agency")}
        made = _makes_agency(sent)
        try:
            released = engine().identity.change_user(actor(), username, sent["role"], sent["email"],
                                                     sent["agency"] or None, sent["lane"] or None,
                                                     full_name=sent["full_name"], new_agency=sent["new_agency"] == "1")
        except Invalid as exc:
            errors = errors_by_field(exc.errors)
        except Conflict as exc:  # one's own role
            errors = {"role": exc.message}
        except NotFound:
            abort(404)
        else:
            back = f"; {released} tugas yang dipegangnya kembali ke antrian" if released else ""
            where = f" (pada instansi baru {sent['agency']}, belum bernama)" if made else ""
            flash(f"Pengguna {username} diubah{where}{back}.", "success")
            return redirect(url_for("accounts.users"))
    problems = [Problem(f"f-{name}", label, errors[name]) for name, label in USER_FIELDS.items() if name in errors]
    return render_template("user_edit.html", account=account, own=username == actor().username, errors=errors,
                           sent=sent, problems=problems, new_code=_makes_agency(sent), roles=ROLES,
                           lanes=SUPERVISED_LANES, role_labels=ROLE_LABELS,
                           agencies=engine().identity.agencies()), (422 if errors else 200)


@bp.post("/admin/pengguna/<username>/status")
@login_required
def set_active(username):
    if actor().role != "admin":  # who may, before what was sent (a 400 would answer a question not theirs)
        abort(403)
    active = request.form.get("aktif")
    if active not in ("0", "1"):
        abort(400)
    try:
        released = engine().identity.set_active(actor(), username, active == "1")
    except (Conflict, NotFound) as exc:  # one's own account, or a name that is not there
        flash(exc.message, "error")
    else:
        if active == "1":
            flash(f"Pengguna {username} diaktifkan kembali. Token API lamanya tetap dicabut; ia membuat yang "
                  "baru di halaman Akun bila perlu.", "success")
        else:
            back = f"; {released} tugas yang dipegangnya kembali ke antrian" if released else ""
            flash(f"Pengguna {username} dinonaktifkan: sesi masuk dan token API-nya berakhir{back}.", "success")
    return _back_to_users()


@bp.post("/admin/pengguna/<username>/sandi")
@login_required
def reset_password(username):
    try:
        revoked = engine().identity.reset_password(actor(), username, request.form.get("password", ""))
    except Invalid as exc:  # the password: said at its field, the row's panel still open (the UX walk-through)
        why = "; ".join(e["message"] for e in exc.errors) or exc.message
        return _users_page({}, {}, request.form, reset=(username, why))
    except (NotFound, Conflict) as exc:
        flash(f"Kata sandi {username} tidak diubah: {exc.message}", "error")
    else:
        tokens = f" {revoked} token API-nya dicabut." if revoked else ""
        flash(f"Kata sandi {username} diganti; berikan kepadanya melalui jalur aman. Sesi masuknya berakhir.{tokens}",
              "success")
    return _back_to_users()


def _back_to_users():
    """Back to the users list as it was filtered: a user found by a search stays found after a change."""
    return redirect(url_for("accounts.users", q=request.form.get("q") or None, peran=request.form.get("peran") or None))


WORK_ORDER = ("tim_layanan", "pandi", "supervisor", "pemohon", "process_owner", "admin")


def _matches(account, query: str) -> bool:
    """A user the administrator looks for, by any part of their username, name, e-mail or agency."""
    if not query:
        return True
    said = " ".join(filter(None, (account.username, account.full_name, account.email, account.agency,
                                  account.agency_code))).lower()
    return all(word in said for word in query.lower().split())
