"""What every answer tells the browser: no framing, no guessing of types, no script or style from elsewhere, and
nothing of a case kept in a cache (a shared office computer after its officer logged out)."""
from __future__ import annotations

from flask import request

# Every script and style is a file of ours (bpmn.io's viewer included: it needs nothing inline, see test_browser);
# its stylesheet draws the breadcrumb of a collapsed subprocess as a data: image, hence img-src data:.
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HSTS_SECONDS = 365 * 24 * 3600


def init_app(app, public_url: str) -> None:
    secure = public_url.startswith("https://")
    # Behind HTTPS the session cookie never travels in clear, and browsers are told to come back over HTTPS only.
    if secure:
        app.config["SESSION_COOKIE_SECURE"] = True

    @app.after_request
    def protect(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", POLICY)  # a diagram's own stricter one stays
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if secure:
            headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
        if request.endpoint != "static":  # pages, documents and the API carry people's data
            headers["Cache-Control"] = "no-store"
        return response
