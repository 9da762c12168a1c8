"""The Flask face of Sengketa: worklist pages, the JSON API and the operators' CLI."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

from flask import Flask, redirect, url_for
from flask_wtf.csrf import CSRFProtect
from markupsafe import escape
from sqlalchemy.exc import ArgumentError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from engine import Engine

csrf = CSRFProtect()


class Sengketa(Flask):
    """The app: its redirects say so in Indonesian (Werkzeug's body, which curl and API clients show, is
    English: "Redirecting... You should be redirected automatically")."""

    def redirect(self, location: str, code: int = 302):
        response = super().redirect(location, code)
        target = escape(response.location)
        response.set_data(f'<!doctype html>\n<html lang="id">\n<title>Dialihkan</title>\n<h1>Dialihkan</h1>\n'
                          f'<p>Lanjutkan ke <a href="{target}">{target}</a>.</p>\n')
        return response


class RowNumber(IntegerConverter):
    """`<int:…>` in an address: ASCII digits only (Werkzeug's `\\d` also takes ١ or ๑ as 1), no leading zero
    (01 is 1 again) and at most 18 of them, so every id a URL names fits the database's 64-bit keys and has one
    address; anything else is an unknown address."""
    regex = r"0|[1-9][0-9]{0,17}"


MAX_REQUEST_BYTES = 32 * 1024 * 1024
# Engine settings, from the environment unless the app's config (tests) sets them.
ENGINE_SETTINGS = ("PUBLIC_URL", "DISPLAY_TIMEZONE", "SLA_CALENDAR", "SLA_WORKING_DAYS", "SLA_WORKING_HOURS",
                   "SLA_TIMEZONE", "SLA_HOLIDAYS", "SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD",
                   "SMTP_STARTTLS", "MAIL_FROM")


def create_app(test_config: dict | None = None) -> Flask:
    app = Sengketa(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = RowNumber
    app.url_map.merge_slashes = False  # `//` is a 404 like any unknown address, not a redirect page in English
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("DATABASE_URL")
        or f"sqlite:///{Path(app.instance_path) / 'sengketa.db'}",
        SECRET_KEY=os.environ.get("SECRET_KEY") or _instance_secret(Path(app.instance_path)),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        WAITING_POLL_SECONDS=30,  # how often a page asks how many tasks wait (waiting.js)
        DISPLAY_TIMEZONE=os.environ.get("DISPLAY_TIMEZONE", "Asia/Jakarta"),
        PROCESS_FILE=str(Path(app.root_path).parent / "process" / "sengketa.bpmn"),
        FORMS_DIR=str(Path(app.root_path).parent / "forms"),
    )
    if test_config:
        app.config.update(test_config)

    settings = {key: app.config.get(key, os.environ.get(key)) for key in ENGINE_SETTINGS}
    app.config["MAIL_CONFIGURED"] = bool(settings.get("SMTP_HOST"))  # pages say when mail cannot go out
    try:
        app.extensions["engine"] = Engine(app.config["DATABASE_URL"], settings=settings,
                                          secret=app.config["SECRET_KEY"])
    except (ValueError, ZoneInfoNotFoundError) as exc:  # SLA_*, SMTP_PORT: said in a line, not a traceback
        raise SystemExit(f"Pengaturan tidak valid: {exc}") from None
    except ArgumentError as exc:
        raise SystemExit(f"DATABASE_URL tidak valid: {exc}") from None
    except ImportError as exc:  # mysql://, say: a database this service does not run on, its driver absent
        raise SystemExit(f"DATABASE_URL tidak didukung ({exc.name or exc}): gunakan sqlite:///BERKAS atau "
                         "postgresql+psycopg://PENGGUNA@HOST/BASISDATA.") from None

    from . import (accounts, agencies, api, auth, cases, cli, errors, filters, headers, logs, notifications, process,
                   worklist)
    app.wsgi_app = errors.GuardedBody(app.wsgi_app)
    proxies = str(app.config.get("PROXIES", os.environ.get("PROXIES", "0"))).strip()
    if not (proxies.isascii() and proxies.isdigit() and int(proxies) <= 5):
        raise SystemExit(f"Pengaturan tidak valid: PROXIES harus 0-5 (jumlah proksi di depan aplikasi), bukan {proxies!r}.")
    if int(proxies):  # the client's address (login attempts are counted by it) and scheme, as the proxies pass them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(proxies), x_proto=int(proxies))
    app.before_request(errors.refuse_unreadable_text)  # before the CSRF check: a broken field is said as such
    csrf.init_app(app)
    auth.init_app(app)
    filters.init_app(app)
    errors.init_app(app)
    logs.init_app(app)
    headers.init_app(app, settings.get("PUBLIC_URL") or "")
    app.register_blueprint(auth.bp)
    app.register_blueprint(worklist.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(process.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(agencies.bp)
    csrf.exempt(api.bp)  # token-authenticated, no cookies: CSRF cannot ride on it
    cli.init_app(app)
    # browsers ask for /favicon.ico whatever the page links; answer with the icon the pages link
    app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(url_for("static", filename="favicon.svg"), 301))
    return app


def _instance_secret(instance: Path) -> str:
    """A per-installation secret kept in instance/, made on first start."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
