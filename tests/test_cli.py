"""The operators' commands."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic import command
from sqlalchemy import func, select

from conftest import PASSWORD, PROCESS, ROOT
from engine import migrate
from engine.models import Document, Instance
from samples import (ANALYSIS_REJECT, ANSWER_REJECTED, CHECK_COMPLETE, CHECK_INCOMPLETE, CORRECTION, make_pdf,
                     multipart)
from test_accounts import can_log_in, logins_of
from test_pages import login
from test_sop_api import file_case, open_task, work


def test_users_add_and_token(runner, engine, client):
    result = runner.invoke(args=["users", "add", "wati", "--role", "pemohon", "--email", "wati@desa-a.desa.id",
                                 "--password", "rahasia-123", "--agency", "desa-a"])
    assert result.exit_code == 0, result.output
    assert "Instansi baru desa-a dibuat" in result.output  # a mistyped code is not taken in silence
    token = runner.invoke(args=["users", "token", "wati"]).output.strip().splitlines()[-1]
    response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert engine.tokens.actor(token).username == "wati"


def test_a_password_not_given_is_asked_hidden_and_twice(runner, engine, app):
    """On the command line it would stay in ps and the shell's history (the operator probe)."""
    result = runner.invoke(args=["users", "add", "yuli", "--role", "pandi", "--email", "yuli@pandi.id"],
                           input="rahasia-456\nrahasia-456\n")
    assert result.exit_code == 0 and "Kata sandi" in result.output and "rahasia-456" not in result.output
    assert engine.identity.authenticate("yuli", "rahasia-456").username == "yuli"
    mistyped = runner.invoke(args=["users", "add", "zaki", "--role", "pandi", "--email", "zaki@pandi.id"],
                             input="rahasia-456\nrahasia-457\n")
    assert mistyped.exit_code == 1 and engine.identity.accounts(None, "zaki") == []
    assert "Galat: Kedua isian tidak sama; tidak ada yang diubah." in mistyped.output


def test_a_database_this_service_does_not_run_on_is_said_in_a_line():
    from web import create_app
    with pytest.raises(SystemExit) as stopped:
        create_app({"DATABASE_URL": "mysql://sengketa@127.0.0.1/sengketa", "TESTING": True})
    assert str(stopped.value).startswith("DATABASE_URL tidak didukung (")
    assert "postgresql+psycopg://" in str(stopped.value)


def test_users_add_refuses_what_makes_no_sense(runner):
    assert runner.invoke(args=["users", "add", "x1", "--role", "raja", "--email", "a@b.go.id",
                               "--password", "rahasia-123"]).exit_code != 0
    result = runner.invoke(args=["users", "add", "x2", "--role", "pemohon", "--email", "a@b.go.id",
                                 "--password", "rahasia-123"])
    assert result.exit_code != 0 and "--agency" in result.output
    # said in Indonesian from its first word (the UX walk-through: click's "Error:" before an Indonesian message)
    assert result.output.startswith("Galat: ") and "Error:" not in result.output
    result = runner.invoke(args=["users", "add", "x3", "--role", "pandi", "--email", "a@b.go.id",
                                 "--password", "rahasia-123", "--lane", "pandi"])
    assert result.exit_code != 0 and "supervisor" in result.output
    ok = runner.invoke(args=["users", "add", "sup", "--role", "supervisor", "--email", "s@b.go.id",
                             "--password", "rahasia-123", "--lane", "pandi"])
    assert ok.exit_code == 0
    again = runner.invoke(args=["users", "add", "sup", "--role", "supervisor", "--email", "s@b.go.id",
                                "--password", "rahasia-123", "--lane", "pandi"])
    assert again.exit_code != 0 and "sudah ada" in again.output
    # A supervisor is told of a lane's missed targets: one without a lane, or of the agency's (no targets,
    # worked by the agency's own officers only), would be told of nothing.
    for lane in ([], ["--lane", "pemohon"]):
        idle = runner.invoke(args=["users", "add", "sup2", "--role", "supervisor", "--email", "s2@b.go.id",
                                   "--password", "rahasia-123", *lane])
        assert idle.exit_code != 0 and "Tim Layanan Domain (tim_layanan) atau PANDI (pandi)" in idle.output


def test_users_change_corrects_what_is_given_and_keeps_the_rest(runner, engine):
    def invoke(*args):
        return runner.invoke(args=["users", "change", *args])
    runner.invoke(args=["users", "add", "wati", "--role", "pemohon", "--email", "wati@desa-a.desa.id",
                        "--password", "rahasia-123", "--agency", "desa-a"])
    result = invoke("wati", "--email", "wati@desa-b.desa.id", "--agency", "desa-b")
    assert result.exit_code == 0 and "Pengguna wati diubah." in result.output, result.output
    wati = engine.identity.by_username("wati")
    [account] = engine.identity.accounts(None, "wati")
    assert (wati.role, wati.email, account.agency_code) == ("pemohon", "wati@desa-b.desa.id", "desa-b")
    # A new role drops the agency it no longer has; a lane it needs is given.
    assert invoke("wati", "--role", "supervisor", "--lane", "pandi").exit_code == 0
    wati = engine.identity.by_username("wati")
    assert (wati.role, wati.agency_id, wati.lane, wati.email) == ("supervisor", None, "pandi", "wati@desa-b.desa.id")
    refused = invoke("wati", "--email", "bukan alamat")
    assert refused.exit_code != 0 and "--email" in refused.output
    assert engine.identity.by_username("wati").email == "wati@desa-b.desa.id"
    missing = invoke("nobody", "--email", "n@b.go.id")
    assert missing.exit_code != 0 and "tidak ditemukan" in missing.output
    # a full name is given, kept when other things change, and cleared with ""
    assert invoke("wati", "--name", "Wati Susanti").exit_code == 0
    assert invoke("wati", "--email", "wati@desa-c.desa.id").exit_code == 0
    assert engine.identity.full_names(["wati"]) == {"wati": "Wati Susanti"}
    refused = invoke("wati", "--name", "x" * 201)
    assert refused.exit_code != 0 and "--name" in refused.output
    assert invoke("wati", "--name", "").exit_code == 0 and engine.identity.full_names(["wati"]) == {}


def test_demo_is_repeatable(runner, engine):
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert engine.identity.authenticate("layanan", "sengketa-demo").role == "tim_layanan"
    assert engine.identity.authenticate("layanan", "salah") is None


def test_db_upgrade_is_at_head(runner, app):
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert migrate.current(app.config["DATABASE_URL"]) == migrate.head() == "0014"


def test_tokens_and_passwords_are_stored_hashed(engine):
    engine.identity.add_user("hana", "pandi", "h@pandi.id", "rahasia-123")
    token = engine.tokens.new("hana")
    from sqlalchemy import select
    from engine.models import ApiToken, User
    with engine.store.transaction() as session:
        user = session.scalar(select(User).where(User.username == "hana"))
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert "rahasia-123" not in user.password_hash and user.password_hash.startswith("scrypt$")
    assert token not in stored and len(stored) == 1


def test_migrations_build_exactly_the_schema_the_models_describe(app):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from engine.models import Base
    with app.extensions["engine"].store.sql.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_demo_files_example_cases_at_different_steps_once(runner, engine):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    owner = engine.identity.by_username("pemilik")
    cases, total = engine.instances.list(owner)
    assert total == 4 and all(c.case_number in first.output for c in cases)
    waiting = {}
    for case in cases:
        view = engine.instances.get(owner, case.id)
        assert [d.filename for d in view.documents] == ["surat-permohonan.pdf"]
        tasks = [engine.tasks.get(owner, task_id) for task_id in view.open_tasks]
        waiting[view.domain] = (view.status, [(t.element_id, t.claimed_by) for t in tasks])
    assert waiting == {
        "contoh.go.id": ("completed", []),
        "wisatacontoh.go.id": ("running", [("Task_PenyelesaianPandi", None)]),
        "pasarcontoh.go.id": ("running", [("Task_Analisa", "layanan2")]),
        "contohkota.desa.id": ("running", [("Task_PeriksaPermohonan", None)]),
    }
    # Each agency's officer sees only their own agency's examples.
    assert engine.instances.list(engine.identity.by_username("pemohon2"))[1] == 2
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "sudah berisi kasus" in again.output
    assert engine.instances.list(owner)[1] == 4


def test_demo_without_cases(runner, engine):
    result = runner.invoke(args=["demo", "--no-cases"])
    assert result.exit_code == 0 and "Kasus contoh" not in result.output
    assert engine.instances.list(engine.identity.by_username("pemilik"))[1] == 0


def test_migration_0004_gives_earlier_cases_their_outcome_and_documents_their_titles(app, engine, people):
    """Cases answered and files uploaded before the outcome and titles were kept get what the shipped forms
    said: a downgrade drops them, the upgrade's backfill brings back exactly what the commands wrote."""
    ani, citra, dodi = people["ani"], people["citra"], people["dodi"]
    answered, corrected = file_case(ani, evidence=[("bukti.pdf", make_pdf("Bukti"))]), file_case(ani)
    work(citra, open_task(citra, answered), CHECK_COMPLETE)
    work(dodi, open_task(dodi, answered), ANALYSIS_REJECT)
    work(citra, open_task(citra, answered), ANSWER_REJECTED)
    work(citra, open_task(citra, corrected), CHECK_INCOMPLETE)
    correction = open_task(ani, corrected)
    ani.post(f"/tasks/{correction['id']}/claim")
    sent = ani.post(f"/tasks/{correction['id']}/complete",
                    data=multipart(CORRECTION, letter=[("pengganti.pdf", make_pdf())]),
                    content_type="multipart/form-data")
    assert sent.status_code == 200, sent.get_json()

    def stored():
        with engine.store.transaction() as session:
            return (session.execute(select(Instance.id, Instance.outcome, Instance.outcome_title,
                                           Instance.outcome_tone).order_by(Instance.id)).all(),
                    session.execute(select(Document.id, Document.title).order_by(Document.id)).all())
    before = stored()
    assert before[0][0][1:] == ("ditolak", "Permohonan ditolak", "not-granted") and before[0][1][1] is None
    assert [t for _, t in before[1]] == ["Surat permohonan bertanda tangan (PDF)", "Bukti pendukung",
                                         "Surat permohonan bertanda tangan (PDF)", "Surat permohonan pengganti (PDF)"]
    url = app.config["DATABASE_URL"]
    engine.store.sql.dispose()
    command.downgrade(migrate.alembic_config(url), "0003")
    migrate.upgrade(url)
    assert stored() == before


def test_migration_0012_tells_withdrawn_requests_from_cancelled_cases_and_keeps_every_row(app, engine, people):
    """0012 changes the case table's status constraint, which SQLite does by copying the table: every row that
    refers to a case (steps, timers, history, files, mail) stays, and a request its agency withdrew before
    then (the history says so) becomes `withdrawn` while a cancelled case stays `cancelled`."""
    from engine.models import HistoryEvent, HumanTask, Notification, Timer
    ani = people["ani"]
    withdrawn, cancelled, running = file_case(ani), file_case(ani), file_case(ani)
    assert ani.post(f"/cases/{withdrawn['id']}/cancel", json={"reason": "Ganda."}).status_code == 200
    engine.identity.add_user("pemilik", "process_owner", "pemilik@komdigi.go.id", PASSWORD)
    engine.cancellations.end(engine.identity.by_username("pemilik"), cancelled["id"], "Selesai antarinstansi.")

    def stored():
        with engine.store.transaction() as session:
            return ({i: s for i, s in session.execute(select(Instance.id, Instance.status))},
                    [session.scalar(select(func.count()).select_from(table))
                     for table in (HumanTask, Timer, HistoryEvent, Document, Notification)])
    before = stored()
    assert before[0] == {withdrawn["id"]: "withdrawn", cancelled["id"]: "cancelled", running["id"]: "running"}
    url = app.config["DATABASE_URL"]
    engine.store.sql.dispose()
    command.downgrade(migrate.alembic_config(url), "0011")
    assert stored() == ({**before[0], withdrawn["id"]: "cancelled"}, before[1])
    migrate.upgrade(url)
    assert stored() == before
    assert engine.tasks.list(engine.identity.by_username("citra"), view="queue")[1] == 1  # the running one's


def test_stepping_back_a_migration_keeps_the_data_it_does_not_own(app, engine, people):
    """An operator stepping back to the first schema (say, to run an older release) keeps every user and case:
    only what the later migrations added goes, and the upgrade brings it back."""
    case = file_case(people["ani"])
    url = app.config["DATABASE_URL"]
    engine.store.sql.dispose()
    command.downgrade(migrate.alembic_config(url), "0001")
    migrate.upgrade(url)
    with engine.store.transaction() as session:
        assert session.scalar(select(Instance.case_number).where(Instance.id == case["id"])) == case["case_number"]
    assert engine.identity.by_username("ani").role == "pemohon"
    assert engine.tasks.list(engine.identity.by_username("citra"), view="queue")[1] == 1


def test_commands_on_a_database_not_yet_migrated_say_to_migrate_it(tmp_path):
    """Not 'no such table' from deep inside: each command that needs the schema says which command makes it."""
    from web import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'kosong.db'}", "TESTING": True})
    runner = app.test_cli_runner()
    for args in (["users", "add", "hani", "--role", "pandi", "--email", "h@pandi.id", "--password", "rahasia-123"],
                 ["users", "token", "hani"], ["users", "change", "hani", "--role", "pandi"], ["demo"],
                 ["timers", "--once"], ["deploy", str(PROCESS)]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and "jalankan `flask --app wsgi db upgrade` dahulu" in result.output, args
        assert result.exception is None or isinstance(result.exception, SystemExit), args
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["timers", "--once"]).exit_code == 0
    app.extensions["engine"].close()


def test_the_timer_worker_refuses_settings_it_cannot_run_with(runner):
    for args in (["--max-sleep", "-1"], ["--max-sleep", "nan"], ["--lease-seconds", "0"],
                 ["--lease-seconds", "99999999999999"]):
        result = runner.invoke(args=["timers", "--once", *args])
        assert result.exit_code == 2 and ("Invalid value" in result.output or "harus berupa angka" in result.output), args


def test_an_smtp_port_that_is_not_a_port_is_named():
    from engine.outbox import SmtpSettings
    with pytest.raises(ValueError, match="SMTP_PORT harus nomor port"):
        SmtpSettings.from_settings({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "abc"})
    assert SmtpSettings.from_settings({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": " 2525 "}).port == 2525


@pytest.mark.parametrize("setting, value, words", [
    ("SMTP_PORT", "abc", "SMTP_PORT harus nomor port"), ("SLA_CALENDAR", "kadang-kadang", "SLA_CALENDAR tidak dikenal"),
    ("SLA_WORKING_DAYS", "9", "SLA_WORKING_DAYS tidak valid"), ("SLA_TIMEZONE", "Mars/Olympus", "Mars/Olympus"),
])
def test_a_setting_the_service_cannot_run_with_stops_it_with_one_line(tmp_path, setting, value, words):
    from web import create_app
    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", "TESTING": True, "SMTP_HOST": "127.0.0.1",
              "SLA_CALENDAR": "working-hours", setting: value}
    with pytest.raises(SystemExit) as stopped:
        create_app(config)
    assert str(stopped.value).startswith("Pengaturan tidak valid: ") and words in str(stopped.value)


def test_a_holidays_file_that_cannot_be_read_stops_the_service_with_one_line(tmp_path):
    from web import create_app
    with pytest.raises(SystemExit) as stopped:
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", "TESTING": True,
                    "SLA_CALENDAR": "working-hours", "SLA_HOLIDAYS": str(tmp_path / "tidak-ada.txt")})
    assert str(stopped.value).startswith("Pengaturan tidak valid: SLA_HOLIDAYS ")
    assert "tidak dapat dibaca: No such file or directory" in str(stopped.value)


def test_a_token_is_not_made_for_a_deactivated_account(runner, engine, people):
    """It would have woken with the account: reactivating revives no token (the operator probe)."""
    admin = engine.identity.add_user("gita", "admin", "gita@kominfo.go.id", "rahasia-123")
    engine.identity.set_active(admin, "eka", False)
    result = runner.invoke(args=["users", "token", "eka"])
    assert result.exit_code == 1 and "Akun eka tidak aktif; aktifkan dulu, lalu buat tokennya." in result.output
    engine.identity.set_active(admin, "eka", True)
    assert runner.invoke(args=["users", "token", "eka"]).exit_code == 0


NEW = "ganti-sandi-77"


def test_users_password_resets_a_password_and_ends_the_old_logins(runner, app, engine, people):
    """Without the Pengguna page (the last administrator locked out, an account in the wrong hands): the reset
    the page makes, so the old password, the logins made with it and the API tokens end."""
    desk = app.test_client()
    login(desk, "dodi")
    result = runner.invoke(args=["users", "password", "dodi", "--password", NEW])
    assert result.exit_code == 0, result.output
    assert "Kata sandi dodi diganti" in result.output and "1 token API-nya dicabut." in result.output
    assert logins_of(engine, "dodi") == 0  # the rows of the ended logins are gone, not left to expire
    assert not can_log_in(app, "dodi", PASSWORD) and can_log_in(app, "dodi", NEW)
    assert desk.get("/worklist").status_code == 302  # sent to the login page
    assert people["dodi"].get("/tasks").status_code == 401
    # the page refuses an administrator their own reset; the command line is nobody's own account
    engine.identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)
    assert runner.invoke(args=["users", "password", "gita", "--password", NEW]).exit_code == 0
    assert can_log_in(app, "gita", NEW)


def test_users_password_refuses_what_the_page_refuses_and_changes_nothing(runner, app, people):
    desk = app.test_client()
    login(desk, "dodi")
    for password, why in (("pendek", "Kata sandi minimal 8 karakter."),
                          (" " * 10, "Kata sandi tidak boleh hanya spasi atau memuat karakter kendali."),
                          ("x" * 201, "Kata sandi maksimal 200 karakter.")):
        refused = runner.invoke(args=["users", "password", "dodi", "--password", password])
        assert refused.exit_code == 1 and refused.output.startswith(f"Galat: {why}"), refused.output
    missing = runner.invoke(args=["users", "password", "nobody", "--password", NEW])
    assert missing.exit_code == 1 and missing.output.startswith("Galat: Pengguna nobody tidak ditemukan.")
    assert desk.get("/worklist").status_code == 200 and people["dodi"].get("/tasks").status_code == 200
    assert can_log_in(app, "dodi", PASSWORD) and not can_log_in(app, "nobody", NEW)


def test_users_password_not_given_is_asked_hidden_and_twice(runner, app, people):
    result = runner.invoke(args=["users", "password", "dodi"], input=f"{NEW}\n{NEW}\n")
    assert result.exit_code == 0 and "Kata sandi baru" in result.output and NEW not in result.output
    assert can_log_in(app, "dodi", NEW)
    mistyped = runner.invoke(args=["users", "password", "dodi"], input="lain-sandi-1\nlain-sandi-2\n")
    short = runner.invoke(args=["users", "password", "dodi"], input="pendek\npendek\n")
    given_up = runner.invoke(args=["users", "password", "dodi"], input="")  # Ctrl+D at the prompt
    assert mistyped.exit_code == 1 and "Galat: Kedua isian tidak sama; tidak ada yang diubah." in mistyped.output
    assert short.exit_code == 1 and "Galat: Kata sandi minimal 8 karakter." in short.output
    assert given_up.exit_code == 1 and "Galat: Dibatalkan" in given_up.output and "Aborted" not in given_up.output
    assert can_log_in(app, "dodi", NEW)
    # a name that is no account is said before anything is asked
    nobody = runner.invoke(args=["users", "password", "nobody"], input=f"{NEW}\n{NEW}\n")
    assert nobody.exit_code == 1 and nobody.output.startswith("Galat: Pengguna nobody tidak ditemukan.")
    assert "Kata sandi baru" not in nobody.output


def test_users_change_with_nothing_to_change_says_so(runner, engine):
    engine.identity.add_user("hana", "pandi", "h@pandi.id", "rahasia-123")
    result = runner.invoke(args=["users", "change", "hana"])
    assert result.exit_code == 2 and "Tidak ada yang diubah" in result.output
    result = runner.invoke(args=["users", "change", "hana", "--email", ""])
    assert result.exit_code == 1 and "--email: Alamat e-mail wajib diisi" in result.output
    assert engine.identity.by_username("hana").email == "h@pandi.id"


def test_the_command_line_s_account_changes_reach_the_audit_log(tmp_path):
    """Unconfigured, the audit's lines from `users add` were dropped: the command writes them to stderr."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    assert subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, capture_output=True).returncode == 0
    added = subprocess.run([*flask, "users", "add", "wati", "--role", "pandi", "--email", "wati@pandi.id",
                            "--password", "rahasia-123"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    assert "sengketa.audit: user wati (pandi) added by the command line" in added.stderr
    made = subprocess.run([*flask, "users", "token", "wati"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "sengketa.audit: api token made for wati" in made.stderr
    assert made.stdout.strip().splitlines()[-1] not in made.stderr  # the token itself is never logged
    reset = subprocess.run([*flask, "users", "password", "wati", "--password", "rahasia-456"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    assert "sengketa.audit: password of wati reset by the command line (1 api tokens revoked)" in reset.stderr
    assert "rahasia-456" not in reset.stderr


def test_a_database_that_cannot_be_opened_is_said_in_a_line(tmp_path):
    """No such folder for SQLite, no server for PostgreSQL, a URL no driver reads: one line, password hidden."""
    from web import create_app
    for url, words in ((f"sqlite:///{tmp_path / 'tidak-ada' / 's.db'}", "unable to open database file"),
                       ("postgresql+psycopg://petugas:rahasia@127.0.0.1:1/x", "petugas:***@127.0.0.1:1")):
        app = create_app({"DATABASE_URL": url, "TESTING": True})
        runner = app.test_cli_runner()
        for args in (["db", "upgrade"], ["users", "token", "ani"]):
            result = runner.invoke(args=args)
            assert result.exit_code == 1 and "tidak dapat dibuka" in result.output and words in result.output, args
            assert "rahasia" not in result.output
        app.extensions["engine"].close()
    with pytest.raises(SystemExit, match="DATABASE_URL tidak valid"):
        create_app({"DATABASE_URL": "bukan-driver://x", "TESTING": True})


def test_a_token_made_on_the_command_line_may_be_given_an_end(runner, engine, people):
    made = runner.invoke(args=["users", "token", "eka", "--days", "30", "--label", "Integrasi PANDI"])
    assert made.exit_code == 0 and "berlaku 30 hari" in made.output
    newest = engine.tokens.of(engine.identity.by_username("eka"))[0]
    assert (newest.expires_at - newest.created_at).days == 30 and newest.label == "Integrasi PANDI"
    for days in ("0", "3651"):
        refused = runner.invoke(args=["users", "token", "eka", "--days", days])
        assert refused.exit_code == 1 and "Galat: Masa berlaku token tidak valid." in refused.output, refused.output
        assert "--days: Masa berlaku token 1–3650 hari." in refused.output
    assert len(engine.tokens.of(engine.identity.by_username("eka"))) == 2  # the fixture's and the one


def test_an_upgrade_that_would_leave_broken_references_commits_nothing_on_sqlite(tmp_path, monkeypatch):
    """The review: SQLite's upgrade ran each migration in a transaction of its own, so the reference check
    (migrations/env.py: the tables are copied with foreign keys off) came after everything had committed —
    the database was left at the new revision and every later upgrade failed with a traceback."""
    import sqlite3
    from web import create_app
    db = tmp_path / "lama.db"
    url = f"sqlite:///{db}"
    migrate.upgrade(url, "0011")
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute("INSERT INTO history_event (instance_id, at, event) VALUES (999, '2026-01-01', 'case_started')")
    raw.commit()
    raw.close()
    monkeypatch.setenv("DATABASE_URL", url)
    runner = create_app({"DATABASE_URL": url, "TESTING": True}).test_cli_runner()
    refused = runner.invoke(args=["db", "upgrade"])
    assert refused.exit_code == 1 and "Galat: Migrasi dibatalkan; tidak ada yang diubah: 1 baris merujuk ke baris " \
        "yang tidak ada (history_event → process_instance)" in refused.output, refused.output
    assert migrate.current(url) == "0011"  # nothing of 0012 onwards committed
    raw = sqlite3.connect(db)
    assert "withdrawn" not in raw.execute("SELECT sql FROM sqlite_master WHERE name = 'process_instance'").fetchone()[0]
    raw.execute("DELETE FROM history_event WHERE instance_id = 999")
    raw.commit()
    raw.close()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0 and migrate.current(url) == migrate.head()


def test_an_upgrade_on_sqlite_waits_for_a_command_writing_meanwhile(tmp_path):
    """The review: the upgrade read first and asked to write later, so a command that committed in between
    failed it at once ("database is locked", which the CLI calls a database that cannot be opened). It now
    takes the write lock first, waiting like any command."""
    import sqlite3
    import threading
    import time
    db = tmp_path / "sibuk.db"
    url = f"sqlite:///{db}"
    migrate.upgrade(url, "0011")
    holding = threading.Event()

    def command():
        raw = sqlite3.connect(db, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO agency (code, name) VALUES ('lain', 'Instansi Lain')")
        holding.set()
        time.sleep(1.0)
        raw.execute("COMMIT")
        raw.close()
    writer = threading.Thread(target=command)
    writer.start()
    holding.wait(5)
    try:
        migrate.upgrade(url)
    finally:
        writer.join()
    assert migrate.current(url) == migrate.head()
