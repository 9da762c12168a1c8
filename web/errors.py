"""Every refusal becomes a clear answer: problem+json for the API, a page for people. Never a bare 500."""
from __future__ import annotations

import logging

from flask import current_app, g, jsonify, render_template, request
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import BadRequest, HTTPException

from engine.errors import EngineError

log = logging.getLogger(__name__)

STATUS = {"malformed": 400, "not_found": 404, "forbidden": 403, "conflict": 409, "too_large": 413,
          "invalid": 422, "deployment": 422, "unauthenticated": 401, "throttled": 429, "unavailable": 503}
TITLES = {400: "Permintaan tidak dapat dibaca", 401: "Perlu masuk", 403: "Tidak diizinkan",
          404: "Tidak ditemukan", 405: "Metode tidak diizinkan", 409: "Konflik", 413: "Permintaan terlalu besar",
          422: "Isian belum benar", 429: "Tunggu sebentar", 500: "Kesalahan server", 503: "Coba lagi sebentar"}
HTTP_DETAILS = {
    400: "Permintaan tidak dapat dibaca.",
    401: "Token API tidak ada atau tidak berlaku.",
    403: "Anda tidak diizinkan melakukan ini.",
    404: "Alamat yang diminta tidak ditemukan.",
    405: "Metode HTTP ini tidak didukung di alamat ini.",
    413: "Unggahan melebihi batas ukuran yang diizinkan.",
    500: "Terjadi kesalahan di server; tim teknis telah dicatat.",
}


class UnreadableBody(BadRequest):
    description = "Badan permintaan rusak atau terputus (misalnya potongan 'chunked' yang tidak sah); kirim ulang."


class NotUtf8(BadRequest):
    description = "Isian berisi teks yang bukan UTF-8 yang sah; kirim ulang dari formulir atau berkas UTF-8."


class GuardedBody:
    """WSGI middleware: a request body the server cannot read (gunicorn raises its own parse errors for a
    broken chunked encoding, the socket may close mid-body) is the client's 400, wherever it is read first
    (the CSRF check, a form, the API), not an unhandled error."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.input") is not None:
            environ["wsgi.input"] = _GuardedStream(environ["wsgi.input"])
        return self.app(environ, start_response)


class _GuardedStream:
    def __init__(self, stream):
        self._stream = stream

    def _guard(self, method, *args):
        try:
            return getattr(self._stream, method)(*args)
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001  (gunicorn's ParseException, NoMoreData, OSError, ...)
            raise UnreadableBody() from exc

    def read(self, *args):
        return self._guard("read", *args)

    def readline(self, *args):
        return self._guard("readline", *args)

    def readlines(self, *args):
        return self._guard("readlines", *args)

    def __iter__(self):
        return iter(self.readline, b"")


def refuse_unreadable_text() -> None:
    """Werkzeug decodes form fields with errors="replace": bytes that are not UTF-8 would be stored as U+FFFD.
    Nobody types U+FFFD; a field that holds it was not UTF-8, and is refused before anything runs."""
    if request.method == "POST" and request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        if None in request.form or None in request.files:  # a part with no name= answers to no field at all
            raise UnreadableBody("Badan permintaan rusak: ada bagian formulir tanpa nama (name=).")
        for key, value in request.form.items(multi=True):
            if "\ufffd" in key or "\ufffd" in value:
                raise NotUtf8()


def wants_json() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, detail: str, code: str | None = None, errors: list | None = None):
    body = {"type": f"https://sengketa.go.id/problems/{code or status}", "title": TITLES.get(status, "Galat"),
            "status": status, "detail": detail}
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _anonymous_if_unknown() -> None:
    """The error page asks who is signed in (the header): if finding out is what failed (the database gone while
    the login was read), it is drawn for nobody rather than failing again into a bare 500."""
    if "_login_user" not in g:
        g._login_user = AnonymousUserMixin()


def init_app(app) -> None:
    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError):
        status = STATUS.get(exc.kind, 400)
        if wants_json():
            return problem(status, exc.message, exc.code, exc.errors)
        _anonymous_if_unknown()
        return render_template("error.html", status=status, title=TITLES.get(status), message=exc.message,
                               errors=exc.errors), status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        detail = HTTP_DETAILS.get(status, f"Permintaan tidak dapat diproses (HTTP {status}).")
        code = None  # the app's own refusals say which (a plain 401, 404 or 405 does not)
        if status == 413:
            code = "too_large"
        if status == 413 and (request.content_length or 0) <= (current_app.config["MAX_CONTENT_LENGTH"] or 0):
            detail = "Satu isian terlalu panjang, atau permintaan berisi terlalu banyak bagian (isian atau berkas)."
        elif status == 413 and request.mimetype != "multipart/form-data":
            detail = "Permintaan melebihi batas ukuran yang diizinkan."  # a JSON body: nothing was uploaded
        if isinstance(exc, (UnreadableBody, NotUtf8)):
            detail, code = exc.description, "malformed"
        elif status == 400 and getattr(exc, "description", None) and "CSRF" in exc.description:
            detail = "Sesi formulir telah kedaluwarsa; muat ulang halaman dan coba lagi."
            if request.content_length and not request.form and not request.files:  # nothing could be read of it
                detail = UnreadableBody.description
        if wants_json():
            response = problem(status, detail, code)
        else:
            _anonymous_if_unknown()
            response = current_app.make_response((render_template(
                "error.html", status=status, title=TITLES.get(status, "Galat"), message=detail, errors=[]), status))
        if getattr(exc, "valid_methods", None):  # a 405 says which methods the address takes (RFC 9110)
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return problem(500, HTTP_DETAILS[500])
        _anonymous_if_unknown()
        return render_template("error.html", status=500, title=TITLES[500], message=HTTP_DETAILS[500],
                               errors=[]), 500
