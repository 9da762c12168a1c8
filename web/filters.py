"""How times, durations and states read on the pages (WIB by default)."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import g
from markupsafe import Markup, escape

from engine.described import date_text, in_form_order
from engine.forms import MAX_FILE_BYTES, MAX_FILES, TYPE_NAMES
from engine.models import utcnow

from .context import engine

LANE_LABELS = {"pemohon": "Instansi (K/L/D/Desa)", "tim_layanan": "Tim Layanan Domain", "pandi": "PANDI"}
STATUS_LABELS = {"running": "Berjalan", "completed": "Selesai", "cancelled": "Dibatalkan", "withdrawn": "Ditarik",
                 "ready": "Menunggu", "claimed": "Diambil"}


def init_app(app) -> None:
    zone = ZoneInfo(app.config["DISPLAY_TIMEZONE"])

    @app.template_filter("waktu")
    def waktu(value: datetime | None) -> str:
        if value is None:
            return "–"
        return value.astimezone(zone).strftime("%d-%m-%Y %H:%M %Z")

    app.add_template_filter(in_form_order, "urut_formulir")

    @app.template_filter("tanggal")
    def tanggal(value) -> str:
        return date_text(value)

    @app.template_filter("umur")
    def umur(value: datetime | None) -> str:
        return _minutes(utcnow() - value) if value else "–"

    @app.template_filter("orang")
    def person(username: str | None) -> str:
        """A user as people know them: their full name when they have one, else their username."""
        if not username:
            return "–"
        if "full_names" not in g:  # one lookup per page: the people it names are among a few hundred users
            g.full_names = engine().identity.full_names()
        return g.full_names.get(username, username)

    @app.template_filter("domain")
    def domain(value: str | None) -> Markup:
        """A domain that wraps after its dots (bapperida.contohkota.<wbr>go.id), not mid-label."""
        return Markup(str(escape(value or "")).replace(".", ".<wbr>"))

    @app.template_filter("lajur")
    def lajur(value: str | None) -> str:
        return LANE_LABELS.get(value or "", value or "–")

    @app.template_filter("status")
    def status(value: str | None) -> str:
        return STATUS_LABELS.get(value or "", value or "–")

    app.jinja_env.globals["max_file_bytes"] = MAX_FILE_BYTES
    app.jinja_env.globals["max_files"] = MAX_FILES
    app.jinja_env.globals["max_request_bytes"] = app.config["MAX_CONTENT_LENGTH"]

    @app.template_global()
    def durasi(start: datetime | None, end: datetime | None) -> str:
        return _minutes(end - start) if start and end else "–"

    @app.template_filter("menit")
    def minutes_said(minutes: int) -> str:
        """A target in words: "15 menit", "2 jam", "3 hari" (not "4320 menit")."""
        days, rest = divmod(int(minutes), 24 * 60)
        hours, mins = divmod(rest, 60)
        said = [f"{n} {unit}" for n, unit in ((days, "hari"), (hours, "jam"), (mins, "menit")) if n]
        return " ".join(said) or "0 menit"

    @app.template_global()
    def sisa_waktu(due: datetime | None) -> tuple[str, bool]:
        """Remaining time to a target, or how far past it; and whether it is overdue."""
        if due is None:
            return "–", False
        delta = due - datetime.now(timezone.utc)
        if delta.total_seconds() >= 0:
            return ("sisa " + _minutes(delta)) if delta.total_seconds() >= 60 else "sisa < 1 mnt", False
        return ("terlambat " + _minutes(-delta)) if -delta.total_seconds() >= 60 else "baru saja terlambat", True

    app.add_template_global(sop_parts)

    app.add_template_filter(app_path, "tautan_aplikasi")
    app.add_template_global(document_kind, "jenis_dokumen")


def document_kind(document) -> str:
    """'Surat permohonan bertanda tangan · PDF': the title of the upload field that received it, and its type
    by name instead of 'application/pdf' (the title's own '(PDF)' would say it twice)."""
    kind = re.sub(r"\s*\((PDF|PNG|JPEG|PDF/PNG/JPEG)[^)]*\)$", "", document.title or document.field)
    return f"{kind} · {TYPE_NAMES.get(document.content_type, document.content_type)}"


def app_path(link: str | None) -> str:
    """A notification's link (absolute, for e-mail, under PUBLIC_URL) as a path in this app, so the
    button works however the app is reached."""
    path = urlsplit(link or "").path
    return path if path.startswith("/") and not path.startswith("//") else "/"


SOP_PARTS = re.compile(r"\b(Uraian|Persyaratan|Waktu|Output|Keterangan):\s*")


def sop_parts(text: str | None) -> tuple[str, list[tuple[str, str]]]:
    """A step's documentation (its SOP row: "Langkah 2 (SOP). Uraian: … Waktu: 10 menit. Keterangan: -.") as
    its heading and its labelled parts, leaving out those the SOP left empty ("-")."""
    pieces = SOP_PARTS.split(text or "")
    heading, parts = pieces[0].strip().rstrip(".").rstrip(), []  # "Langkah 2 (SOP)", a heading, not a sentence
    for label, value in zip(pieces[1::2], pieces[2::2]):
        value = value.strip()
        value = value[:-1].rstrip() if value.endswith(".") else value
        if value and value != "-":
            parts.append((label, value))
    return heading, parts


def _minutes(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} mnt"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} jam {minutes} mnt"
    days, hours = divmod(hours, 24)
    return f"{days} hari {hours} jam"  # not "2 h 3 j": an h reads as hours
