"""Agencies, for administrators: who they are (name, code), how many officers and cases each has, and
naming one (until named, an agency reads as the code its first officer was given)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from engine.errors import Invalid, NotFound

from .context import actor, engine

bp = Blueprint("agencies", __name__, url_prefix="/admin/instansi")


@bp.get("")
@login_required
def index():
    if actor().role != "admin":
        abort(403)
    return _page()


def _page(typed=None, problem=None, status=200):
    """The list; after a refused rename, that row keeps what was typed, with what is wrong beside it."""
    return render_template("agencies.html", agencies=engine().agencies.list(actor()), typed=typed or {},
                           problem=problem or {}), status


@bp.post("/<code>/nama")
@login_required
def rename(code):
    if actor().role != "admin":
        abort(403)
    typed = request.form.get("name", "")
    try:
        name = engine().agencies.rename(actor(), code, typed)
    except Invalid as exc:
        flash(f"Nama instansi {code} tidak diubah: {exc.errors[0]['message']}", "error")
        return _page({code: typed}, {code: exc.errors[0]["message"]}, 422)
    except NotFound as exc:
        flash(exc.message, "error")
    else:
        flash(f"Instansi {code} kini bernama {name}.", "success")
    return redirect(url_for("agencies.index", _anchor=f"instansi-{code}"))  # quoted: the code is as typed
