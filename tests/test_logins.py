"""Logins to the pages end when they should (the security probe of session 13): logging out ends the login on the
server, not only in the browser; a login lasts a working day; a name that keeps failing waits, known or not; and
every answer tells the browser not to frame, sniff, cache or load from elsewhere."""
from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from conftest import PASSWORD
from engine.models import utcnow
from test_pages import login
from test_sop_api import file_case
from web import create_app


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def test_logging_out_ends_the_login_everywhere_its_cookie_was_copied(app, client, people):
    login(client, "citra")
    copied = cookie_of(client)
    other = app.test_client()
    other.set_cookie("session", copied)
    assert other.get("/worklist").status_code == 200  # the copy works while the login lasts
    assert client.post("/logout").status_code == 302
    assert other.get("/worklist").status_code == 302  # sent to the login page: the login is gone
    assert client.get("/worklist").status_code == 302


def test_one_logout_leaves_the_person_s_other_logins_alone(app, client, people):
    login(client, "citra")
    desk = app.test_client()
    login(desk, "citra")
    client.post("/logout")
    assert desk.get("/worklist").status_code == 200


def test_a_login_lasts_a_working_day(app, client, engine, people):
    login(client, "citra")
    with time_machine.travel(utcnow() + timedelta(hours=11, minutes=50)):
        assert client.get("/worklist").status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=12, minutes=1)):
        assert client.get("/worklist").status_code == 302
        login(app.test_client(), "dodi")  # and the ended logins of anyone go with the next login made
    from sqlalchemy import func, select
    from engine.models import LoginSession
    with engine.store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 1


def test_a_name_that_keeps_failing_waits_even_with_the_right_password(client, people):
    start = utcnow()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            assert client.post("/login", data={"username": "citra", "password": "salah"}).status_code == 401
        refused = client.post("/login", data={"username": "citra", "password": PASSWORD})
        assert refused.status_code == 429
        assert "Terlalu banyak percobaan masuk yang gagal" in refused.get_data(as_text=True)
        assert "coba lagi dalam 1 menit" in refused.get_data(as_text=True)
        # a colleague's name is not held up by it
        login(client, "dodi")
        client.post("/logout")
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        login(client, "citra")  # the wait is over, and the right password resets the count
        client.post("/logout")
        for _ in range(4):
            assert client.post("/login", data={"username": "citra", "password": "salah"}).status_code == 401
        login(client, "citra")


def test_the_wait_doubles_and_is_alike_for_names_that_are_no_account(client, people):
    start = utcnow()
    for name in ("citra", "tidak-ada-orangnya"):
        with time_machine.travel(start, tick=False):
            for _ in range(5):
                client.post("/login", data={"username": name, "password": "salah"})
        with time_machine.travel(start + timedelta(seconds=61), tick=False):
            assert client.post("/login", data={"username": name, "password": "salah"}).status_code == 401
            again = client.post("/login", data={"username": name.upper(), "password": PASSWORD})
            assert again.status_code == 429 and "coba lagi dalam 2 menit" in again.get_data(as_text=True), name


def test_a_password_typed_into_the_name_box_is_kept_nowhere_in_the_clear(client, engine, people, caplog):
    """The review of session 13: a held-back login wrote the name as typed to the log, and the attempt's row
    kept it, which may be a password typed into the wrong box. The row keeps a hash; the log names accounts only."""
    from sqlalchemy import select
    from engine.models import LoginAttempt
    for name in ("Rahasia-Sekali-99", "citra"):
        for _ in range(6):
            client.post("/login", data={"username": name, "password": "salah"})
    with engine.store.transaction() as session:
        keys = session.scalars(select(LoginAttempt.key)).all()
    assert len(keys) == 2 and not any("rahasia" in k or "citra" in k for k in keys)
    held = [r.getMessage() for r in caplog.records if "held back" in r.getMessage()]
    assert any("a name that is no account" in m for m in held) and any("account citra" in m for m in held)
    assert not any("rahasia" in m.lower() for m in caplog.messages)


def test_a_copy_of_the_database_does_not_tell_which_names_were_tried_from_where(database_url, people):
    """The attempt's key was the unkeyed SHA-256 of name and address, so a stolen copy of the table could be
    checked against guesses. It is keyed with the app's SECRET_KEY now: another key makes other rows (its own
    count, the older rows no longer counted), and under one key the count goes on as before."""
    import hashlib
    from sqlalchemy import select
    from engine.models import LoginAttempt
    ours, renewed = (create_app({"DATABASE_URL": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                                 "SECRET_KEY": key}).test_client() for key in ("kunci-lama", "kunci-baru"))
    for client in (renewed, ours):
        assert client.post("/login", data={"username": "citra", "password": "salah"}).status_code == 401
    with ours.application.extensions["engine"].store.transaction() as session:
        keys = set(session.scalars(select(LoginAttempt.key)))
    assert len(keys) == 2 and hashlib.sha256(b"citra|127.0.0.1").hexdigest() not in keys
    for _ in range(4):
        assert ours.post("/login", data={"username": "citra", "password": "salah"}).status_code == 401
    assert ours.post("/login", data={"username": "citra", "password": PASSWORD}).status_code == 429
    assert renewed.post("/login", data={"username": "citra", "password": PASSWORD}).status_code == 302
    for client in (ours, renewed):
        client.application.extensions["engine"].close()


def test_a_guesser_elsewhere_does_not_keep_the_officer_out_at_their_desk(app, client, people):
    """Per name and address (the review: per name alone, one wrong password a minute from anywhere kept a real
    officer out all day)."""
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(6):
        guesser.post("/login", data={"username": "citra", "password": "salah"})
    assert guesser.post("/login", data={"username": "citra", "password": PASSWORD}).status_code == 429
    login(client, "citra")  # from her own desk (the test client's address)


def test_behind_a_proxy_the_client_s_own_address_is_counted(database_url, people):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False, "PROXIES": "1"})
    guesser, officer = app.test_client(), app.test_client()
    for _ in range(6):
        guesser.post("/login", data={"username": "citra", "password": "salah"},
                     headers={"X-Forwarded-For": "203.0.113.9"})
    assert officer.post("/login", data={"username": "citra", "password": PASSWORD},
                        headers={"X-Forwarded-For": "192.0.2.44"}).status_code == 302
    app.extensions["engine"].close()


def test_attempts_sent_at_once_are_counted_before_any_password_is_compared(engine, people):
    """The review: 30 attempts sent together had 25 passwords compared. Each is counted first, in one
    transaction with the check, so no more than FREE_FAILURES are compared however many arrive at once."""
    import threading

    from engine.errors import Throttled
    from engine.logins import FREE_FAILURES
    results, start = [], threading.Barrier(12)

    def attempt():
        start.wait()
        try:
            results.append(engine.logins.log_in("citra", "salah", "198.51.100.7"))
        except Throttled:
            results.append("held back")

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(None) == FREE_FAILURES and results.count("held back") == 12 - FREE_FAILURES


def test_a_new_login_starts_a_new_session_not_the_visitor_s(database_url, people):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "x"})
    client = app.test_client()
    before = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": "citra", "password": PASSWORD,
                                       "csrf_token": before}).status_code == 302
    after = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/akun").get_data(as_text=True)).group(1)
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400  # the visitor's token is void
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302
    app.extensions["engine"].close()


def test_every_answer_refuses_framing_sniffing_and_foreign_code(client, people):
    login(client, "ani")
    case = file_case(people["ani"])
    for path in ("/login", "/worklist", f"/cases/{case['case_number']}", "/proses", "/api/v1/openapi.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["Cache-Control"] == "no-store", path  # a shared computer keeps no case
        assert "Strict-Transport-Security" not in response.headers  # served over plain HTTP here
    static = client.get("/static/style.css")
    assert static.status_code == 200 and static.headers.get("Cache-Control") != "no-store"
    static.close()
    diagram = client.get("/proses/1.bpmn")
    assert diagram.headers["Content-Security-Policy"] == "default-src 'none'"  # its own, stricter one stays


def test_behind_https_the_cookie_is_secure_and_browsers_stay_on_https(database_url, people):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "PUBLIC_URL": "https://sengketa.komdigi.go.id"})
    client = app.test_client()
    response = client.post("/login", data={"username": "citra", "password": PASSWORD},
                           base_url="https://sengketa.komdigi.go.id")
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    app.extensions["engine"].close()



def test_pressing_keluar_again_in_another_tab_lands_on_the_login_page(client, people):
    """The 500-hunt: the second Keluar sent the officer to /login?next=/logout, and their next login to a 405."""
    login(client, "citra")
    assert client.post("/logout").status_code == 302
    again = client.post("/logout")
    assert again.status_code == 302 and again.headers["Location"] == "/login"


def test_logging_in_as_someone_else_ends_the_first_login_too(app, client, people):
    """A shared computer: the supervisor's copied cookie still opened pages after a colleague logged in over it."""
    login(client, "fajar")
    copied = app.test_client()
    copied.set_cookie("session", cookie_of(client))
    login(client, "citra")
    assert copied.get("/worklist").status_code == 302
    assert client.get("/worklist").status_code == 200


def test_a_session_the_app_did_not_write_this_way_is_no_login(app, client, people):
    with client.session_transaction() as session:
        session["_user_id"] = 5  # signed with the key, not a login this version makes
    assert client.get("/worklist").status_code == 302
    with client.session_transaction() as session:
        session["_user_id"] = "1:abc:\udcff"
    assert client.get("/worklist").status_code == 302


def test_a_database_gone_while_the_login_is_read_is_a_503_page_not_a_bare_500(app, client, people, monkeypatch):
    """Reading the login is what failed, so the error page, which names who is signed in, failed again: gunicorn
    answered an empty 500. (The outage is injected: the login's own lookup raises as a lost connection does.)"""
    from engine.errors import Unavailable
    login(client, "citra")

    def gone(*_args):
        raise Unavailable("db_unavailable", "Basis data tidak dapat dihubungi; tidak ada yang tersimpan. Kirim ulang.")
    monkeypatch.setattr(app.extensions["engine"].logins, "actor", gone)
    page = client.get("/worklist")
    assert page.status_code == 503 and "Basis data tidak dapat dihubungi" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"]
