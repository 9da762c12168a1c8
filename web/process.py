"""The deployed process drawn in the browser: every version's diagram, with the steps a case waits on marked.

The drawing is bpmn-js (bpmn.io's viewer), vendored under static/vendor/bpmn-js, so pages load nothing from
the internet; the XML it draws is the one the engine runs, exactly as deployed."""
from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from engine import PROCESS_KEY

from .context import engine

bp = Blueprint("process", __name__, url_prefix="/proses")
ELEMENT_ID = re.compile(r"^[A-Za-z_][\w.-]{0,99}$")
MAX_MARKED = 20


@bp.get("")
@login_required
def index():
    version = request.args.get("versi", type=int)
    diagram = engine().definitions.source(PROCESS_KEY, version)
    versions = [d for d in engine().definitions.list() if d.process_key == PROCESS_KEY]
    marked = [e for e in request.args.get("sorot", "").split(",") if ELEMENT_ID.match(e)][:MAX_MARKED]
    return render_template("process.html", info=diagram.info, versions=versions, marked=marked,
                           marked_names=[diagram.step_names.get(e, e) for e in marked])


@bp.get("/<int:version>.bpmn")
@login_required
def source(version):
    diagram = engine().definitions.source(PROCESS_KEY, version)
    return Response(diagram.xml, mimetype="application/xml", headers={
        "Content-Disposition": f'inline; filename="{diagram.info.process_key}-v{diagram.info.version}.bpmn"'})
