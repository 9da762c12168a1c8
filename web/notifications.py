"""In-app notifications: each user's list, with the unread count shown in the header."""
from __future__ import annotations

import re

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .context import actor, engine

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def unread_count():
    if not current_user.is_authenticated:
        return {}
    return {"unread_notifications": engine().notifications.unread_count(actor())}


@bp.get("")
@login_required
def index():
    unread_only = request.args.get("belum") == "1"
    items = engine().notifications.list(actor(), unread_only=unread_only, limit=100)
    return render_template("notifications.html", items=items, unread_only=unread_only)


@bp.post("/read")
@login_required
def mark_read():
    raw = request.form.get("id", "")
    if raw and not re.fullmatch(r"[0-9]{1,18}", raw):
        abort(400)
    engine().notifications.mark_read(actor(), int(raw) if raw else None)
    return redirect(url_for("notifications.index"))
