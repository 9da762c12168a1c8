"""The deployed process drawn in the browser: every version's diagram, with the steps a case waits on marked.

The drawing is bpmn-js (bpmn.io's viewer), vendored under static/vendor/bpmn-js, so pages load nothing from
the internet; the XML it draws is the one the engine runs, exactly as deployed."""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request
from flask_login import login_required

from engine import PROCESS_KEY

from .context import actor, engine

bp = Blueprint("process", __name__, url_prefix="/proses")
VERSION = re.compile(r"[1-9][0-9]{0,8}")
CASE_NUMBER = re.compile(r"[A-Z]{2,5}-[0-9]{4}-[0-9]{6,9}")


@bp.get("")
@login_required
def index():
    diagram = engine().definitions.source(PROCESS_KEY, _version(request.args.get("versi")))
    versions = [d for d in engine().definitions.list() if d.process_key == PROCESS_KEY]
    # Only the diagram's own steps can be marked, each once: the page never repeats arbitrary text.
    marked = list(dict.fromkeys(e for e in request.args.get("sorot", "").split(",") if e in diagram.step_names))
    case = request.args.get("kasus", "")  # opened from a case page: a way back to it
    # how many cases each version carries: what a process owner weighs before retiring or changing one
    counts = engine().definitions.case_counts(PROCESS_KEY) if actor().sees_all_cases() else None
    return render_template("process.html", info=diagram.info, versions=versions, marked=marked, counts=counts,
                           newest=max((v.version for v in versions), default=diagram.info.version),
                           marked_names=[diagram.step_names[e] for e in marked], outline=diagram.outline,
                           case_number=case if CASE_NUMBER.fullmatch(case) else None)


@bp.get("/<int:version>.bpmn")
@login_required
def source(version):
    diagram = engine().definitions.source(PROCESS_KEY, _version(str(version)))
    return Response(diagram.xml, mimetype="application/xml", headers={
        "Content-Disposition": f'inline; filename="{diagram.info.process_key}-v{diagram.info.version}.bpmn"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'"})  # opened directly, a diagram can never run script


def _version(raw: str | None) -> int | None:
    """None for the latest; a version number that is not one is simply not found."""
    if not raw:
        return None
    if not VERSION.fullmatch(raw):
        abort(404)
    return int(raw)
