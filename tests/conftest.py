"""Fixtures after Flask's tutorial (app, client, runner), run on SQLite and, where a server answers,
on PostgreSQL too; with CI=true PostgreSQL is required. Every test gets a database of its own, copied
from one migrated (Alembic) and deployed template per backend."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import psycopg
import pytest

from engine import migrate
from web import create_app

ROOT = Path(__file__).resolve().parent.parent
PROCESS = ROOT / "process" / "sengketa.bpmn"
FORMS = ROOT / "forms"
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_POSTGRES") == "1"


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


PG = _pg_available()
BACKENDS = ["sqlite", "postgresql"] if (PG or REQUIRE_PG) else ["sqlite"]


def _pg_url(name: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def _prepare(url: str) -> None:
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    app.extensions["engine"].definitions.deploy_file(PROCESS, FORMS)
    app.extensions["engine"].close()


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    """One migrated database with the process deployed, per backend."""
    made = {}
    folder = tmp_path_factory.mktemp("db")
    sqlite_file = folder / "template.db"
    _prepare(f"sqlite:///{sqlite_file}")
    made["sqlite"] = sqlite_file
    pg_template = None
    if "postgresql" in BACKENDS:
        if not PG:
            pytest.fail("PostgreSQL is required (CI=true) but does not answer at " + PG_ADMIN)
        pg_template = f"sengketa_tpl_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{pg_template}"')
        _prepare(_pg_url(pg_template))
        made["postgresql"] = pg_template
    yield made
    if pg_template:
        _pg_admin(f'DROP DATABASE IF EXISTS "{pg_template}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def database_url(request, templates, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "sengketa.db"
        shutil.copy(templates["sqlite"], path)
        yield f"sqlite:///{path}"
        return
    name = f"sengketa_t_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{templates["postgresql"]}"')
    yield _pg_url(name)
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def app_settings():
    """Extra app config for a module's tests (SMTP, calendar); override the fixture to set some."""
    return {}


@pytest.fixture
def app(database_url, app_settings):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "test", "SMTP_HOST": None, **app_settings})
    yield app
    app.extensions["engine"].close()


@pytest.fixture
def engine(app):
    return app.extensions["engine"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


PASSWORD = "rahasia-123"
PEOPLE = {
    # name: (role, agency, lane)
    "ani": ("pemohon", "kab-contoh", None),
    "bayu": ("pemohon", "kota-contoh", None),
    "citra": ("tim_layanan", None, None),
    "dodi": ("tim_layanan", None, None),
    "eka": ("pandi", None, None),
    "fajar": ("supervisor", None, "tim_layanan"),
}


class ApiUser:
    """One person calling the API with their own token."""

    def __init__(self, client, name, token):
        self.client, self.name, self.token = client, name, token

    def _headers(self, extra=None):
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, **kw):
        return self.client.post("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.client.delete("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def people(app, engine):
    """The users of a story: two agencies' officers, two Tim Layanan members, PANDI, a supervisor."""
    for name, (role, agency, lane) in PEOPLE.items():
        engine.identity.add_user(name, role, f"{name}@contoh.go.id", PASSWORD, agency, lane)
    client = app.test_client()
    return {name: ApiUser(client, name, engine.tokens.new(name)) for name in PEOPLE}


# Row locks are PostgreSQL's (SQLite serializes every writer: its worker waits on the one write lock by design):
# these run there only, without a skipped SQLite twin.
on_postgresql = pytest.mark.parametrize("database_url", [
    "postgresql" if "postgresql" in BACKENDS else pytest.param("postgresql", marks=pytest.mark.skip("no PostgreSQL"))],
    indirect=True)


@pytest.fixture
def pg_only(database_url):
    return database_url
