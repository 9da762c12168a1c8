"""Logging in and out of the pages (the API authenticates by bearer token instead, see api.py)."""
from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from engine.errors import Forbidden, Throttled

from .context import engine

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Silakan masuk terlebih dahulu."
login_manager.login_message_category = "info"

ROLE_LABELS = {
    "pemohon": "Petugas Instansi (Pemohon)",
    "tim_layanan": "Tim Layanan Domain",
    "pandi": "PANDI",
    "supervisor": "Supervisor",
    "process_owner": "Pemilik Proses",
    "admin": "Administrator",
}


class LoginUser(UserMixin):
    def __init__(self, actor, token: str):
        self.actor = actor
        self.token = token  # the login's row (engine/logins.py): logging out removes it
        self.id = f"{actor.id}:{actor.session_key}:{token}"  # a new password ends the logins made with the old one

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.actor.role, self.actor.role)


@login_manager.user_loader
def load_user(user_id: str):
    if not isinstance(user_id, str):  # a session signed with this app's key, but not by this version of it
        return None
    number, key, token = (user_id.split(":") + ["", ""])[:3]
    if not (number.isascii() and number.isdigit() and len(number) <= 18 and key and token.isascii()
            and len(token) <= 100):
        return None
    found = engine().logins.actor(int(number), token)
    if found is None or not hmac.compare_digest(found.session_key.encode(), key.encode()):
        return None
    return LoginUser(found, token)


def init_app(app) -> None:
    login_manager.init_app(app)


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        if not username or not request.form.get("password"):  # said in Indonesian, not by the browser's bubble
            return render_template("login.html", error="Isi nama pengguna dan kata sandi."), 401
        try:
            found = engine().logins.log_in(username, request.form.get("password", ""), request.remote_addr or "")
        except (Forbidden, Throttled) as exc:  # a deactivated account's right password; a name failing again
            return render_template("login.html", error=exc.message), 403 if isinstance(exc, Forbidden) else 429
        if found is None:
            error = "Nama pengguna atau kata sandi salah."
        else:
            if current_user.is_authenticated:  # someone else's login on this browser ends, not only here
                engine().logins.log_out(current_user.token)
            session.clear()  # nothing of the anonymous visit (its CSRF token, say) carries into the login
            login_user(LoginUser(*found))
            return redirect(_safe_next(request.args.get("next")) or url_for("worklist.index"))
    return render_template("login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    """Not login_required: Keluar pressed again in another tab (already out) lands on the login page, not on a
    login that would send the officer back to GET /logout."""
    if current_user.is_authenticated:
        engine().logins.log_out(current_user.token)
    logout_user()
    flash("Anda telah keluar.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str | None:
    """Only local paths: a login link must not send people to another site."""
    if not target:
        return None
    if any(ord(c) < 32 or c == "\x7f" for c in target):  # CR/LF would not even fit in a Location header
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
