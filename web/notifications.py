"""In-app notifications: each user's list, with the unread count shown in the header."""
from __future__ import annotations

import re

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.notifications import SENT_BY

from .context import actor, engine
from .filters import app_path

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


@bp.get("/<int:notification_id>/buka")
@login_required
def open_one(notification_id):
    """'Buka' on the notifications page: what the notification is about, and it counts as read — when the person
    opened it themselves, from this app (`Sec-Fetch-Site: same-origin`) or typed or bookmarked (`none`). A link on
    another site does not mark it (the authorization probe: a page elsewhere could clear a supervisor's unread
    escalation by linking here); browsers that send no such header are taken at their word. (Mails link to the
    step or case itself, not here.)"""
    item = next((n for n in engine().notifications.list(actor(), limit=1, only=notification_id)), None)
    if item is None:
        abort(404)
    if request.headers.get("Sec-Fetch-Site", "none") in ("none", "same-origin"):
        engine().notifications.mark_read(actor(), notification_id)
    return redirect(app_path(item.link))


FIELD = re.compile(r"^([^:]{2,20}?)\s*:\s+(.+)$")
ITEM = re.compile(r"^  (\S[^:]*):(?: (.*))?$")  # a field of a block of data: '  Title: value' or '  Title:'


@bp.app_template_filter("isi_notifikasi")
def body_parts(body: str) -> list[tuple[str, object]]:
    """A notification's mail text for the page: runs of 'Label : value' lines become one list of pairs, a
    'Name:' line followed by indented '  Title: value' lines (a block of data, described.lines) a titled list
    of pairs whose deeper lines continue the value above them, other lines paragraphs; the mail's own link lines
    and its footer are left out (the page has a button, and nobody replies to a page)."""
    parts: list[tuple[str, object]] = []
    block = None
    for line in body.splitlines():
        if block is not None and line.startswith("  "):
            item = ITEM.match(line)
            if item:
                block[1].append([item.group(1).strip(), item.group(2) or ""])
            elif block[1]:
                last = block[1][-1]
                last[1] = f"{last[1]}\n{line.strip()}" if last[1] else line.strip()
            continue
        block = None
        if not line.strip() or line.startswith(("Buka tugas:", "Buka kasus:")):
            continue
        if line.startswith(SENT_BY):  # the mail's footer; a page is not a reply-to
            continue
        line = line.replace(f" {SENT_BY}.", "")
        field = FIELD.match(line)
        if line.endswith(":") and not line.startswith(" "):
            block = (line[:-1].strip(), [])
            parts.append(("block", block))
        elif field:
            if not parts or parts[-1][0] != "fields":
                parts.append(("fields", []))
            parts[-1][1].append((field.group(1).strip(), field.group(2).strip()))
        else:
            parts.append(("text", line.strip()))
    return parts
