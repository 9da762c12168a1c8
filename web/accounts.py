"""Accounts: one's own (password, API tokens) and, for administrators, everyone's (add, deactivate, reset)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user

from engine.errors import Conflict, Invalid, NotFound
from engine.models import LANES, ROLES

from .auth import ROLE_LABELS, LoginUser
from .context import actor, engine

bp = Blueprint("accounts", __name__)


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
            errors = _by_field(exc)
        else:
            login_user(LoginUser(changed))  # this login goes on; those elsewhere end
            flash("Kata sandi diubah. Login di perangkat lain perlu masuk kembali.", "success")
            return redirect(url_for("accounts.own"))
    return _own_page(errors=errors), (422 if errors else 200)


@bp.post("/akun/token")
@login_required
def new_token():
    token = engine().identity.new_token(actor().username)
    return _own_page(token=token)  # shown once, on this page only (never in a cookie or a flash)


def _own_page(errors=None, token=None):
    return render_template("account.html", errors=errors or {}, token=token, role_label=ROLE_LABELS.get(actor().role, actor().role),
                           agency=engine().identity.agency_names().get(actor().agency_id))


# -- administration ----------------------------------------------------------------------------------
@bp.route("/admin/pengguna", methods=["GET", "POST"])
@login_required
def users():
    if actor().role != "admin":
        abort(403)
    errors, sent = {}, {}
    if request.method == "POST":
        sent = {k: request.form.get(k, "").strip() for k in ("username", "role", "email", "agency", "lane")}
        try:
            added = engine().identity.add_user(sent["username"], sent["role"], sent["email"],
                                               request.form.get("password", ""), sent["agency"] or None,
                                               sent["lane"] or None, by=actor())
        except Invalid as exc:
            errors = _by_field(exc)
        except Conflict as exc:  # the name is taken
            errors = {"username": exc.message}
        else:
            flash(f"Pengguna {added.username} ({ROLE_LABELS[added.role]}) ditambahkan.", "success")
            return redirect(url_for("accounts.users"))
    return render_template("users.html", accounts=engine().identity.accounts(actor()), errors=errors, sent=sent,
                           roles=ROLES, lanes=LANES, role_labels=ROLE_LABELS,
                           agencies=engine().identity.agencies()), (422 if errors else 200)


@bp.post("/admin/pengguna/<username>/status")
@login_required
def set_active(username):
    active = request.form.get("aktif")
    if active not in ("0", "1"):
        abort(400)
    try:
        released = engine().identity.set_active(actor(), username, active == "1")
    except (Conflict, NotFound) as exc:  # one's own account, or a name that is not there
        flash(exc.message, "error")
    else:
        if active == "1":
            flash(f"Pengguna {username} diaktifkan.", "success")
        else:
            back = f"; {released} tugas yang dipegangnya kembali ke antrian" if released else ""
            flash(f"Pengguna {username} dinonaktifkan: login dan token API-nya berakhir{back}.", "success")
    return redirect(url_for("accounts.users"))


@bp.post("/admin/pengguna/<username>/sandi")
@login_required
def reset_password(username):
    try:
        engine().identity.reset_password(actor(), username, request.form.get("password", ""))
    except (Invalid, NotFound) as exc:
        flash(f"Kata sandi {username} tidak diubah: {exc.message}", "error")
    else:
        flash(f"Kata sandi {username} diganti; berikan kepadanya melalui jalur aman.", "success")
    return redirect(url_for("accounts.users"))


def _by_field(exc: Invalid) -> dict[str, str]:
    errors = {}
    for error in exc.errors:
        errors.setdefault(error.get("field", ""), error["message"])
    return errors
