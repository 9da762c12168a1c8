"""Accounts: everyone changes their own password and makes API tokens; an administrator adds users,
deactivates them and resets passwords, on the pages."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from conftest import PASSWORD
from engine.errors import Conflict, Invalid
from engine.models import LoginSession, User, utcnow
from samples import CHECK_COMPLETE
from test_pages import login
from test_sop_api import file_case, open_task, work
from test_timer_workers import pg_app  # noqa: F401  (a PostgreSQL app of its own)

NEW = "sandi-baru-456"


@pytest.fixture
def admin(engine, people):
    engine.identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)
    return "gita"


def marked(response) -> dict[str, str]:
    page = response.get_data(as_text=True)
    return dict(re.findall(r'<div class="field invalid" data-field="([^"]+)">.*?<small class="error-text" '
                           r'id="error-[^"]+">([^<]+)</small>', page, re.S))


def logins_of(engine, username: str) -> int:
    """How many login rows the account has (ended or not)."""
    with engine.store.transaction() as session:
        return session.scalar(select(func.count()).select_from(LoginSession).join(User)
                              .where(User.username == username))


def can_log_in(app, name, password) -> bool:
    return app.test_client().post("/login", data={"username": name, "password": password}).status_code == 302


def test_changing_ones_password_names_every_problem_and_ends_other_logins(app, client, people):
    login(client, "ani")
    elsewhere = app.test_client()
    login(elsewhere, "ani")
    refused = client.post("/akun", data={"current": "salah-sekali", "new": "pendek", "repeated": "lain"})
    assert refused.status_code == 422
    # the page says so at the form's top, where the cursor goes (the accessibility audit: a refused change
    # reloaded silently, the cursor at the page's start)
    summary = refused.get_data(as_text=True)
    assert '<div class="error-summary" id="form-problems" role="alert" tabindex="-1" autofocus>' in summary
    assert '<li><a href="#f-new">Kata sandi baru</a>: Kata sandi minimal 8 karakter.</li>' in summary
    assert marked(refused) == {"current": "Kata sandi saat ini salah.", "new": "Kata sandi minimal 8 karakter.",
                               "repeated": "Ulangan kata sandi baru tidak sama."}
    same = client.post("/akun", data={"current": PASSWORD, "new": PASSWORD, "repeated": PASSWORD})
    assert marked(same) == {"new": "Kata sandi baru harus berbeda dari yang sekarang."}
    assert can_log_in(app, "ani", PASSWORD) and elsewhere.get("/worklist").status_code == 200

    done = client.post("/akun", data={"current": PASSWORD, "new": NEW, "repeated": NEW})
    assert done.status_code == 302
    assert client.get("/worklist").status_code == 200  # this login goes on
    assert elsewhere.get("/worklist").status_code == 302  # the other one ends: back to the login page
    assert not can_log_in(app, "ani", PASSWORD) and can_log_in(app, "ani", NEW)


def make_token(client) -> tuple[str, str]:
    """Presses "Buat token API baru" on the account page; returns (token, the page showing it)."""
    ticket = re.search(r'name="tiket" value="([^"]+)"', client.get("/akun").get_data(as_text=True)).group(1)
    response = client.post("/akun/token", data={"tiket": ticket})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    return re.search(r'<code class="token">([^<]+)</code>', page).group(1), page


def test_an_api_token_made_on_the_account_page_works_and_is_shown_once(client, engine, people):
    login(client, "citra")
    token, page = make_token(client)
    answer = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and "items" in answer.get_json()
    assert token not in client.get("/akun").get_data(as_text=True)
    citra = engine.identity.by_username("citra")
    assert len(engine.tokens.of(citra)) == 2  # the fixture's and this one


def test_a_token_ends_when_it_was_made_to_and_says_when_it_was_last_used(client, engine, people):
    """A token lived until revoked and its owner could not tell one still used from one forgotten: the page
    makes a token for a year unless told otherwise, lists when each was last used, and one past its end is
    refused in words that say so (401 token_expired), while a token without an end goes on."""
    login(client, "citra")
    ticket = re.search(r'name="tiket" value="([^"]+)"', client.get("/akun").get_data(as_text=True)).group(1)
    forged = client.post("/akun/token", data={"tiket": ticket, "berlaku": "9999"}, follow_redirects=True)
    assert "Tidak ada token yang dibuat: pilih masa berlaku" in forged.get_data(as_text=True)
    citra = engine.identity.by_username("citra")
    assert len(engine.tokens.of(citra)) == 1  # the fixture's only
    token, _page = make_token(client)  # (the form as shown: a year)
    [new, old] = engine.tokens.of(citra)
    assert new.expires_at - new.created_at == timedelta(days=365) and old.expires_at is None
    assert new.last_used_at is None
    page = client.get("/akun").get_data(as_text=True)
    assert re.search(rf'<tr role="row" data-token="{new.id}">.*?belum pernah', page, re.S)

    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 200
    first = engine.tokens.of(citra)[0].last_used_at
    assert first is not None and abs(first - utcnow()) < timedelta(minutes=1)
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=False):  # noted at most every 5 minutes
        assert client.get("/api/v1/tasks", headers=bearer).status_code == 200
    assert engine.tokens.of(citra)[0].last_used_at == first
    with time_machine.travel(utcnow() + timedelta(minutes=6), tick=False):
        assert client.get("/api/v1/tasks", headers=bearer).status_code == 200
    assert engine.tokens.of(citra)[0].last_used_at > first

    with time_machine.travel(utcnow() + timedelta(days=366), tick=False):
        refused = client.get("/api/v1/tasks", headers=bearer)
        assert refused.status_code == 401 and refused.get_json()["code"] == "token_expired"
        assert "berakhir pada" in refused.get_json()["detail"] and "halaman Akun" in refused.get_json()["detail"]
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
        assert people["citra"].get("/tasks").status_code == 200  # the fixture's token has no end
        login(client, "citra")  # (a login lasts a working day)
        listed = client.get("/akun").get_data(as_text=True)
        assert re.search(rf'<tr role="row" data-token="{new.id}">.*?<strong class="late">berakhir ', listed, re.S)
    with pytest.raises(Invalid):
        engine.tokens.new("citra", days=0)


def test_the_new_token_takes_the_cursor_even_with_a_message_waiting(client, people):
    """The review: a message left by another tab's command took the one autofocus before the new token."""
    login(client, "citra")
    client.post("/akun/token/999999/cabut")  # "not found", flashed, the redirect not followed
    _token, page = make_token(client)
    assert page.count("autofocus") == 1 and re.search(r'id="new-token" tabindex="-1" autofocus', page)


def test_a_token_says_what_uses_it_and_is_revoked_only_when_confirmed(client, engine, people):
    """The walk-through: "#1, #2" told an agency officer nothing, and one tap revoked a token a system used."""
    login(client, "citra")
    page = client.get("/akun").get_data(as_text=True)
    ticket = re.search(r'name="tiket" value="([^"]+)"', page).group(1)
    made = client.post("/akun/token", data={"tiket": ticket, "untuk": "  Aplikasi\u200b persuratan  instansi "})
    assert made.status_code == 200
    citra = engine.identity.by_username("citra")
    newest = engine.tokens.of(citra)[0]
    assert newest.label == "Aplikasi persuratan instansi"
    listed = client.get("/akun").get_data(as_text=True)
    row = re.search(rf'<tr role="row" data-token="{newest.id}">.*?</tr>', listed, re.S).group(0)
    assert '<td role="cell" data-label="Dipakai untuk">Aplikasi persuratan instansi</td>' in row
    # revoking is asked once more, naming what will stop (a summary to open, then the button)
    assert f"<summary>Cabut<span class=\"visually-hidden\"> token #{newest.id}</span></summary>" in row
    assert f"Ya, cabut token #{newest.id}</button>" in row and "(Aplikasi persuratan instansi) tidak dapat masuk" in row
    ticket = re.search(r'name="tiket" value="([^"]+)"', listed).group(1)
    forged = client.post("/akun/token", data={"tiket": ticket, "untuk": "x" * 101}, follow_redirects=True)
    assert "Tidak ada token yang dibuat: Keterangan paling panjang 100 karakter." in forged.get_data(as_text=True)
    assert len(engine.tokens.of(citra)) == 2  # the fixture's and the labelled one


def test_a_token_whose_use_cannot_be_noted_still_lets_its_request_in(client, engine, people, monkeypatch):
    """The review: the note of a token's use is a write, and a database busy with a long write refused the
    read it came with (409 after 15 s on SQLite). The note is bookkeeping: the request goes on without it."""
    from engine.errors import Conflict as Busy
    real = engine.store.transaction

    def busy(write=False):
        if write:
            raise Busy("busy", "Basis data sedang sibuk; coba lagi.")
        return real()
    monkeypatch.setattr(engine.store, "transaction", busy)
    assert people["citra"].get("/tasks").status_code == 200
    monkeypatch.undo()
    assert engine.tokens.of(engine.identity.by_username("citra"))[0].last_used_at is None


def test_reloading_the_page_that_shows_a_token_makes_no_second_token(client, engine, people):
    """A reload re-sends the POST: its one-time ticket is spent, so nothing new is made and the page says so."""
    login(client, "citra")
    ticket = re.search(r'name="tiket" value="([^"]+)"', client.get("/akun").get_data(as_text=True)).group(1)
    assert client.post("/akun/token", data={"tiket": ticket}).status_code == 200
    citra = engine.identity.by_username("citra")
    made = len(engine.tokens.of(citra))
    for sent in ({"tiket": ticket}, {}, {"tiket": "x" * 22}):
        again = client.post("/akun/token", data=sent, follow_redirects=True)
        assert "Tidak ada token baru yang dibuat" in again.get_data(as_text=True), sent
        assert '<code class="token">' not in again.get_data(as_text=True)
    for forged in ("é", "😀", "٣.x"):  # a ticket waits in the session; the form sends text that is not ASCII
        client.get("/akun")
        again = client.post("/akun/token", data={"tiket": forged}, follow_redirects=True)
        assert again.status_code == 200 and "Tidak ada token baru yang dibuat" in again.get_data(as_text=True)
    assert len(engine.tokens.of(citra)) == made


def test_a_replayed_session_cookie_makes_no_second_token(client, engine, people):
    """The robustness probe: the ticket lived only in the signed session cookie, so sending the old cookie
    and ticket again made a token each time. The database now says whether the ticket is spent."""
    login(client, "citra")
    ticket = re.search(r'name="tiket" value="([^"]+)"', client.get("/akun").get_data(as_text=True)).group(1)
    old_cookie = client.get_cookie("session").value
    citra = engine.identity.by_username("citra")
    made = len(engine.tokens.of(citra))
    assert client.post("/akun/token", data={"tiket": ticket}).status_code == 200
    for _ in range(3):
        client.set_cookie("session", old_cookie)
        again = client.post("/akun/token", data={"tiket": ticket}, follow_redirects=True)
        assert "Tidak ada token baru yang dibuat" in again.get_data(as_text=True)
    assert len(engine.tokens.of(citra)) == made + 1


def test_of_two_token_requests_on_one_ticket_one_makes_a_token(engine, people):
    citra = engine.identity.by_username("citra")
    seen = engine.tokens.of(citra)[0].id
    results, barrier = [], threading.Barrier(4)

    def press():
        barrier.wait()
        try:
            results.append(engine.tokens.new("citra", after=seen))
        except Conflict as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=press) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r == "token_sent_twice" for r in results) == [False, True, True, True], results
    assert engine.tokens.of(citra)[0].id != seen


def test_users_added_at_the_same_moment_are_one_user_and_one_agency(engine):
    """The robustness probe's suspicion: on PostgreSQL the name check and the insert race, and the loser's
    IntegrityError would have been a 500. Six admins add the same user; six add users of one new agency."""
    def at_once(calls):
        results, barrier = [], threading.Barrier(len(calls))

        def run(call):
            barrier.wait()
            try:
                results.append(call().username)
            except Conflict as exc:
                results.append(exc.code)

        threads = [threading.Thread(target=run, args=(call,)) for call in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sorted(results)

    same = at_once([lambda: engine.identity.add_user("hana", "tim_layanan", "hana@contoh.go.id", PASSWORD)] * 6)
    assert same == ["hana"] + ["user_exists"] * 5, same
    names = [f"petugas{n}" for n in range(6)]
    made = at_once([lambda name=name: engine.identity.add_user(name, "pemohon", f"{name}@baru.go.id", PASSWORD,
                                                               "kab-baru") for name in names])
    assert made == names, made
    assert len({engine.identity.by_username(name).agency_id for name in names}) == 1


def test_one_revokes_ones_own_tokens_and_only_those(client, engine, people):
    login(client, "citra")
    token, _ = make_token(client)
    citra, dodi = engine.identity.by_username("citra"), engine.identity.by_username("dodi")
    newest = engine.tokens.of(citra)[0].id
    page = client.get("/akun").get_data(as_text=True)
    assert set(re.findall(r'<tr role="row" data-token="(\d+)">', page)) == {
        str(t.id) for t in engine.tokens.of(citra)}
    others = engine.tokens.of(dodi)[0].id
    refused = client.post(f"/akun/token/{others}/cabut", follow_redirects=True)
    assert "Token ini tidak ditemukan" in refused.get_data(as_text=True)
    assert people["dodi"].get("/tasks").status_code == 200  # dodi's token still works
    done = client.post(f"/akun/token/{newest}/cabut", follow_redirects=True)
    assert "Token dicabut" in done.get_data(as_text=True)
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert people["citra"].get("/tasks").status_code == 200  # the other token of hers is untouched
    assert "Token ini tidak ditemukan" in client.post(f"/akun/token/{newest}/cabut",
                                                      follow_redirects=True).get_data(as_text=True)


def test_only_an_administrator_sees_and_manages_users(client, people, admin):
    login(client, "fajar")  # a supervisor
    assert client.get("/admin/pengguna").status_code == 403
    assert client.post("/admin/pengguna/ani/status", data={"aktif": "0"}).status_code == 403
    assert client.post("/admin/pengguna/ani/sandi", data={"password": NEW}).status_code == 403
    assert "/admin/pengguna" not in client.get("/worklist").get_data(as_text=True)
    login(client, admin)
    page = client.get("/admin/pengguna").get_data(as_text=True)
    assert set(re.findall(r'<tr data-user="([^"]+)"', page)) == {"ani", "bayu", "citra", "dodi", "eka", "fajar",
                                                                "gita"}
    assert "<strong>server e-mail belum diatur</strong> (SMTP_HOST)" in page  # the one who can set it is told
    assert 'href="/admin/pengguna"' in client.get("/worklist").get_data(as_text=True)


def test_adding_a_user_names_every_problem_and_adds_nothing_until_right(app, client, engine, people, admin):
    login(client, admin)
    refused = client.post("/admin/pengguna", data={"username": "Hani Baru", "role": "pemohon", "email": "hani",
                                                   "password": "123", "agency": "", "lane": "pandi"})
    assert refused.status_code == 422
    assert marked(refused) == {
        "username": "Gunakan 3–80 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung (tanpa spasi "
                    "dan huruf besar).",
        "email": "Alamat e-mail tidak valid (satu alamat, huruf Latin tanpa spasi, paling panjang 200 karakter).",
        "password": "Kata sandi minimal 8 karakter.",
        "agency": "Petugas instansi (pemohon) harus terikat pada instansi: isi kode instansinya.",
        "lane": "Lajur yang diawasi hanya diisi untuk peran supervisor."}
    page = refused.get_data(as_text=True)
    assert 'value="Hani Baru"' in page  # what was typed stays, but not the password
    # The form is below the list of users: the refusal lands on it (its summary takes the cursor, which an anchor
    # on the action would stop: test_browser) and sums up what to fix, field by field.
    assert 'action="/admin/pengguna" novalidate' in page and 'id="form-problems" role="alert" tabindex="-1" autofocus' in page
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert re.findall(r'<a href="#f-(\w+)">', summary) == ["username", "email", "agency", "lane", "password"]
    assert "5 isian perlu diperbaiki" in summary
    no_role = client.post("/admin/pengguna", data={"username": "hani", "role": "", "email": "h@pandi.id",
                                                   "password": NEW, "agency": "kab-contoh"})
    assert marked(no_role) == {"role": "Pilih peran."}
    agency_for_staff = client.post("/admin/pengguna", data={"username": "hani", "role": "pandi",
                                                            "email": "h@pandi.id", "password": NEW,
                                                            "agency": "kab-contoh"})
    assert marked(agency_for_staff) == {"agency": "Kode instansi hanya diisi untuk petugas instansi (pemohon)."}
    bad_code = client.post("/admin/pengguna", data={"username": "hani", "role": "pemohon", "email": "h@desa.id",
                                                    "password": NEW, "agency": "Desa Maju\n"})
    assert marked(bad_code) == {"agency": "Kode instansi 2-40 karakter: huruf kecil, angka, . -"}
    taken = client.post("/admin/pengguna", data={"username": "ani", "role": "pandi", "email": "a@pandi.id",
                                                 "password": NEW})
    assert marked(taken) == {"username": "Pengguna ani sudah ada."}
    assert len(engine.identity.accounts(engine.identity.by_username(admin))) == 7

    added = client.post("/admin/pengguna", data={"username": "hani", "role": "pemohon", "email": "h@desa.id",
                                                 "password": NEW, "agency": "kab-contoh"})
    assert added.status_code == 302
    assert can_log_in(app, "hani", NEW)
    hani = engine.identity.by_username("hani")
    assert hani.agency_id == engine.identity.by_username("ani").agency_id  # an existing agency, by its code


def test_a_new_agency_code_is_made_only_when_the_administrator_says_it_is_new(client, engine, people, admin):
    """The UX walk-through: "kab-conto" typed for "kab-contoh" made an agency nobody meant, silently."""
    login(client, admin)
    typo = client.post("/admin/pengguna", data={"username": "sekda", "role": "pemohon", "email": "s@desa.id",
                                                "password": NEW, "agency": "kab-conto"})
    assert marked(typo) == {"agency": "Kode instansi kab-conto belum ada. Periksa ejaannya, atau nyatakan bahwa ini "
                                      "instansi baru."}
    page = typo.get_data(as_text=True)
    assert 'name="new_agency" value="1"' in page and "Buat instansi baru dengan kode kab-conto" in page
    assert 'aria-describedby="error-agency hint-agency" aria-invalid="true"' in page  # read with its control
    assert "kab-conto" not in dict(engine.identity.agencies())
    both = client.post("/admin/pengguna", data={"username": "sekda", "role": "pemohon", "email": "s at desa",
                                                "password": NEW, "agency": "kab-conto"})
    assert set(marked(both)) == {"email", "agency"}  # in one round (the review: the agency came second)
    made = client.post("/admin/pengguna", data={"username": "sekda", "role": "pemohon", "email": "s@desa.id",
                                                "password": NEW, "agency": "desa-maju", "new_agency": "1"},
                       follow_redirects=True)
    assert "ditambahkan pada instansi baru desa-maju (belum bernama)" in made.get_data(as_text=True)
    assert "desa-maju" in dict(engine.identity.agencies())
    moved = client.post("/admin/pengguna/ani/ubah", data={"role": "pemohon", "email": "ani@contoh.go.id",
                                                          "agency": "kota-contohh", "lane": ""})
    assert "kota-contohh belum ada" in marked(moved)["agency"]
    assert "kota-contohh" not in dict(engine.identity.agencies())


def test_deactivating_ends_logins_and_revokes_tokens_and_reactivating_restores_the_login(app, client, engine,
                                                                                         people, admin):
    citra_pages = app.test_client()
    login(citra_pages, "citra")
    login(client, admin)
    # Deactivating is asked twice: the list opens a confirmation that says what will happen.
    row = re.search(r'<tr data-user="citra".*?</tr>', client.get("/admin/pengguna").get_data(as_text=True), re.S)
    confirm = re.search(r'<details class="deactivate">.*?</details>', row.group(0), re.S).group(0)
    assert "token API-nya dicabut" in confirm and "Ya, nonaktifkan citra" in confirm
    assert client.post("/admin/pengguna/citra/status", data={"aktif": "0"}).status_code == 302
    assert citra_pages.get("/worklist").status_code == 302
    assert logins_of(engine, "citra") == 0  # her logins' rows are gone, not left to expire
    assert not can_log_in(app, "citra", PASSWORD)
    # with her right password she is told why, rather than sent to retry it; a wrong one says only that
    told = app.test_client().post("/login", data={"username": "citra", "password": PASSWORD})
    assert told.status_code == 403 and "Akun Anda dinonaktifkan" in told.get_data(as_text=True)
    wrong = app.test_client().post("/login", data={"username": "citra", "password": "bukan-ini-123"})
    assert wrong.status_code == 401 and "dinonaktifkan" not in wrong.get_data(as_text=True)
    assert people["citra"].get("/tasks").status_code == 401
    page = client.get("/admin/pengguna").get_data(as_text=True)
    row = re.search(r'<tr data-user="citra".*?</tr>', page, re.S).group(0)
    assert "Nonaktif" in row and 'data-label="Token API">0</td>' in row  # no token left
    assert "Aktifkan<span class=\"visually-hidden\"> citra</span></button>" in row and "deactivate" not in row
    back = client.post("/admin/pengguna/citra/status", data={"aktif": "1"}, follow_redirects=True)
    assert "citra diaktifkan kembali. Token API lamanya tetap dicabut" in back.get_data(as_text=True)
    assert can_log_in(app, "citra", PASSWORD)
    assert people["citra"].get("/tasks").status_code == 401  # a revoked token stays revoked
    assert citra_pages.get("/worklist").status_code == 302  # and a login from before stays ended
    # An administrator cannot lock themselves out, and odd input changes nothing.
    own = client.post("/admin/pengguna/gita/status", data={"aktif": "0"}, follow_redirects=True)
    assert "tidak dapat menonaktifkan akun Anda sendiri" in own.get_data(as_text=True)
    assert client.post("/admin/pengguna/citra/status", data={"aktif": "ya"}).status_code == 400
    officer = app.test_client()
    login(officer, "dodi")  # not an administrator: refused as such, whatever was sent (the probe: 400 first)
    assert officer.post("/admin/pengguna/citra/status", data={"aktif": "ya"}).status_code == 403
    missing = client.post("/admin/pengguna/tidak-ada/status", data={"aktif": "0"}, follow_redirects=True)
    assert "Pengguna tidak-ada tidak ditemukan." in missing.get_data(as_text=True)
    assert can_log_in(app, admin, PASSWORD)


def test_deactivating_puts_the_tasks_someone_holds_back_in_the_queue(client, people, admin):
    """No case waits on someone who has left: their claims go back to the lane, in each case's history."""
    citra, dodi = people["citra"], people["dodi"]
    first, second = file_case(people["ani"]), file_case(people["ani"])
    work(citra, open_task(citra, first), CHECK_COMPLETE)  # done by citra: stays hers
    held = [open_task(citra, first, "Task_Analisa"), open_task(citra, second)]
    for task in held:
        assert citra.post(f"/tasks/{task['id']}/claim").status_code == 200
    login(client, admin)
    done = client.post("/admin/pengguna/citra/status", data={"aktif": "0"}, follow_redirects=True)
    assert "2 tugas yang dipegangnya kembali ke antrian" in done.get_data(as_text=True)
    queue = {t["id"]: t for t in dodi.get("/tasks?view=queue").get_json()["items"]}
    assert all(task["id"] in queue and queue[task["id"]]["claimed_by"] is None for task in held)
    history = dodi.get(f"/cases/{first['id']}").get_json()["history"]
    assert [(h["event"], h["user"], h["name"], h["label"]) for h in history if h["event"] == "task_released"] == [
        ("task_released", admin, "Analisa aduan", "Tugas dikembalikan ke antrian (akun pemegangnya dinonaktifkan)")]
    checked = [h for h in history if h["event"] == "task_completed"]
    assert checked[0]["user"] == "citra"
    assert dodi.post(f"/tasks/{held[0]['id']}/claim").status_code == 200


def test_an_administrator_resets_a_password(app, client, people, admin):
    dodi_pages = app.test_client()
    login(dodi_pages, "dodi")
    login(client, admin)
    # the browser's own bubble (English in an English browser) is not asked: the page says it, in Indonesian
    assert re.search(r'action="/admin/pengguna/dodi/sandi" novalidate>', client.get("/admin/pengguna").get_data(as_text=True))
    short = client.post("/admin/pengguna/dodi/sandi", data={"password": "123", "q": "dod", "peran": "tim_layanan"})
    # the list as it was filtered, the row's panel open with the error at its field, the cursor in it (the UX
    # walk-through: a flash at the top, the panel closed, the cursor on the page)
    assert short.status_code == 422
    page = short.get_data(as_text=True)
    assert re.findall(r'<tr data-user="([^"]+)"', page) == ["dodi"]
    row = re.search(r'<tr data-user="dodi".*?</tr>', page, re.S).group(0)
    assert '<details class="reset" open>' in row and 'aria-invalid="true" autofocus' in row
    assert 'id="reset-error-dodi" role="alert">Kata sandi belum diganti: Kata sandi minimal 8 karakter.' in row
    assert 'action="/admin/pengguna"' in page  # a search from here goes to the list, not to this address
    for blank in ("\x00" * 20, " " * 10):  # a password nobody can type, or nobody should
        refused = client.post("/admin/pengguna/dodi/sandi", data={"password": blank}, follow_redirects=True)
        assert "tidak boleh hanya spasi atau memuat karakter kendali" in refused.get_data(as_text=True)
    assert can_log_in(app, "dodi", PASSWORD) and people["dodi"].get("/tasks").status_code == 200
    done = client.post("/admin/pengguna/dodi/sandi", data={"password": NEW}, follow_redirects=True)
    assert "Sesi masuknya berakhir. 1 token API-nya dicabut." in done.get_data(as_text=True)
    assert not can_log_in(app, "dodi", PASSWORD) and can_log_in(app, "dodi", NEW)
    # A reset is for an account in the wrong hands: its logins and its API tokens end with it.
    assert dodi_pages.get("/worklist").status_code == 302
    assert people["dodi"].get("/tasks").status_code == 401


def test_an_administrator_changes_their_own_password_on_the_account_page_only(app, client, people, admin):
    """The reset skips the current password; on one's own account that would let anyone at the desk take it."""
    login(client, admin)
    row = re.search(r'<tr data-user="gita".*?</tr>', client.get("/admin/pengguna").get_data(as_text=True), re.S)
    assert "/sandi" not in row.group(0) and 'href="/akun"' in row.group(0)
    refused = client.post(f"/admin/pengguna/{admin}/sandi", data={"password": NEW}, follow_redirects=True)
    assert "Kata sandi Anda sendiri diubah di halaman Akun" in refused.get_data(as_text=True)
    assert can_log_in(app, admin, PASSWORD) and not can_log_in(app, admin, NEW)


def test_an_administrator_deactivated_meanwhile_can_no_longer_act(engine, people, admin):
    """Two administrators deactivating each other: the second finds they are no longer one."""
    from engine.errors import Forbidden
    engine.identity.add_user("hadi", "admin", "hadi@kominfo.go.id", PASSWORD)
    gita, hadi = engine.identity.by_username("gita"), engine.identity.by_username("hadi")
    engine.identity.set_active(gita, "hadi", False)
    with pytest.raises(Forbidden):
        engine.identity.set_active(hadi, "gita", False)  # hadi's actor was read before he was deactivated
    with pytest.raises(Forbidden):
        engine.identity.reset_password(hadi, "ani", NEW)
    assert [a.username for a in engine.identity.accounts(gita) if a.role == "admin" and a.active] == ["gita"]


def test_a_refused_user_leaves_no_agency_behind_and_odd_addresses_are_refused(client, engine, people, admin):
    login(client, admin)
    before = engine.identity.agencies()
    taken = client.post("/admin/pengguna", data={"username": "ani", "role": "pemohon", "email": "a@desa.id",
                                                 "password": NEW, "agency": "salah-ketik"})
    assert taken.status_code == 422 and engine.identity.agencies() == before
    blank = client.post("/admin/pengguna", data={"username": "hani", "role": "pandi", "email": "  ",
                                                 "password": NEW})
    assert marked(blank)["email"] == "Alamat e-mail wajib diisi: ke sanalah pemberitahuan dikirim."
    for email in ("h@x.id\r\nBcc: semua@x.id", "h @x.id", "a" * 196 + "@x.id", "h@x",
                  "bädi@b.go.id", "budi@bädi.go.id", "x,a@b.go.id", "<a@b.go.id>"):  # no mail server carries
        refused = client.post("/admin/pengguna", data={"username": "hani", "role": "pandi", "email": email,
                                                       "password": NEW})
        assert refused.status_code == 422, email
        assert marked(refused)["email"].startswith("Alamat e-mail tidak valid"), email
    assert engine.identity.agencies() == before and len(engine.identity.accounts(
        engine.identity.by_username(admin))) == 7


def test_account_forms_need_the_csrf_token(app, database_url, people, admin):
    from web import create_app
    strict = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "x"})  # CSRF on
    for name, posts in (("ani", (("/akun", {"current": PASSWORD, "new": NEW, "repeated": NEW}), ("/akun/token", {}))),
                        (admin, (("/admin/pengguna/ani/status", {"aktif": "0"}),
                                 ("/admin/pengguna/ani/sandi", {"password": NEW}),
                                 ("/admin/pengguna", {"username": "hani", "role": "pandi", "email": "h@pandi.id",
                                                      "password": NEW})))):
        client = strict.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
        assert client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token}).status_code == 302
        for path, data in posts:
            assert client.post(path, data=data).status_code == 400, path
    assert can_log_in(app, "ani", PASSWORD) and not can_log_in(app, "hani", NEW)
    assert people["ani"].get("/tasks").status_code == 200
    strict.extensions["engine"].close()


def test_an_account_deactivated_while_its_request_runs_claims_nothing(engine, people, admin):
    """The claim itself checks the account: a request already past the login check claims nothing, so no task
    is left held by someone who has left (on PostgreSQL the account row is share-locked by the claim)."""
    from engine.errors import Forbidden
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    citra = engine.identity.by_username("citra")  # read before the deactivation, as a running request has it
    engine.identity.set_active(engine.identity.by_username(admin), "citra", False)
    with pytest.raises(Forbidden, match="tidak aktif"):
        engine.tasks.claim(citra, task["id"])
    assert open_task(people["dodi"], case)["claimed_by"] is None
    assert people["dodi"].post(f"/tasks/{task['id']}/claim").status_code == 200


def test_an_administrator_corrects_a_users_email_role_agency_and_lane(app, client, engine, people, admin):
    """The e-mail a step's announcement goes to, an officer who moved agency, a member made supervisor: each
    is corrected in place, by the rules of adding a user; what the user may no longer work goes back."""
    citra, ani = people["citra"], people["ani"]
    case = file_case(ani)
    step = open_task(citra, case)
    assert citra.post(f"/tasks/{step['id']}/claim").status_code == 200
    login(client, admin)
    assert 'href="/admin/pengguna/ani/ubah"' in client.get("/admin/pengguna").get_data(as_text=True)
    page = client.get("/admin/pengguna/ani/ubah").get_data(as_text=True)
    assert 'value="kab-contoh"' in page and 'value="ani@contoh.go.id"' in page  # today's values, to correct

    refused = client.post("/admin/pengguna/ani/ubah", data={"role": "pandi", "email": "ani at contoh",
                                                            "agency": "kab-contoh", "lane": "pandi"})
    assert refused.status_code == 422
    assert marked(refused) == {
        "email": "Alamat e-mail tidak valid (satu alamat, huruf Latin tanpa spasi, paling panjang 200 karakter).",
        "agency": "Kode instansi hanya diisi untuk petugas instansi (pemohon).",
        "lane": "Lajur yang diawasi hanya diisi untuk peran supervisor."}
    assert 'value="ani at contoh"' in refused.get_data(as_text=True)  # what was typed stays
    assert engine.identity.by_username("ani").email == "ani@contoh.go.id"  # and nothing changed

    moved = client.post("/admin/pengguna/ani/ubah", data={"role": "pemohon", "email": "ani@kotacontoh.go.id",
                                                          "agency": "kota-contoh", "lane": ""})
    assert moved.status_code == 302
    now = engine.identity.by_username("ani")
    assert now.email == "ani@kotacontoh.go.id" and now.agency_id == engine.identity.by_username("bayu").agency_id
    assert ani.get(f"/cases/{case['id']}").status_code == 404  # the old agency's cases are no longer hers

    # Citra becomes the PANDI lane's supervisor: the Tim Layanan task she held goes back to its queue.
    made = client.post("/admin/pengguna/citra/ubah", data={"role": "supervisor", "email": "citra@contoh.go.id",
                                                           "agency": "", "lane": "pandi"}, follow_redirects=True)
    assert "Pengguna citra diubah; 1 tugas yang dipegangnya kembali ke antrian." in made.get_data(as_text=True)
    dodi = people["dodi"]
    assert [t["id"] for t in dodi.get("/tasks?view=queue").get_json()["items"]] == [step["id"]]
    released = [h for h in dodi.get(f"/cases/{case['id']}").get_json()["history"] if h["event"] == "task_released"]
    assert [(h["user"], h["name"]) for h in released] == [(admin, "Periksa permohonan")]
    # said as it happened: her role changed, her account was not deactivated (the UX walk-through)
    assert released[0]["label"] == "Tugas dikembalikan ke antrian (peran, lajur atau instansi pemegangnya diubah)"
    assert citra.post(f"/tasks/{step['id']}/claim").status_code == 403  # her new role holds at once


def test_an_administrator_keeps_their_own_role_and_only_administrators_change_users(client, engine, people,
                                                                                    admin):
    login(client, "fajar")
    assert client.get("/admin/pengguna/ani/ubah").status_code == 403
    assert client.post("/admin/pengguna/ani/ubah", data={"role": "admin", "email": "a@b.go.id"}).status_code == 403
    login(client, admin)
    own = client.post(f"/admin/pengguna/{admin}/ubah", data={"role": "pandi", "email": "gita@kominfo.go.id"})
    assert own.status_code == 422
    assert marked(own) == {"role": "Anda tidak dapat mengubah peran Anda sendiri; minta administrator lain "
                                   "mengubahnya."}
    assert engine.identity.by_username(admin).role == "admin"
    mail = client.post(f"/admin/pengguna/{admin}/ubah", data={"role": "admin", "email": "gita@komdigi.go.id"})
    assert mail.status_code == 302 and engine.identity.by_username(admin).email == "gita@komdigi.go.id"
    assert client.get("/admin/pengguna/nobody/ubah").status_code == 404
    assert client.post("/admin/pengguna/nobody/ubah", data={"role": "pandi", "email": "n@pandi.id"}).status_code \
        == 404


def test_the_command_line_keeps_one_administrator(runner, engine, people, admin):
    """`users change` acts for nobody in particular: it must not demote the last active administrator."""
    refused = runner.invoke(args=["users", "change", admin, "--role", "pandi", "--email", "gita@pandi.id"])
    assert refused.exit_code != 0 and "satu-satunya administrator aktif" in refused.output
    assert engine.identity.by_username(admin).role == "admin"
    engine.identity.add_user("hadi", "admin", "hadi@komdigi.go.id", PASSWORD)
    moved = runner.invoke(args=["users", "change", admin, "--role", "pandi", "--email", "gita@pandi.id"])
    assert moved.exit_code == 0, moved.output
    assert engine.identity.by_username(admin).role == "pandi"


def test_a_new_agency_added_by_two_at_once_is_one_agency(pg_app):
    """A user moved to an agency code someone else creates in the same moment: PostgreSQL refuses the second
    insert only at its commit's turn; the change then finds the agency instead of failing. (SQLite runs one
    writer at a time, so only PostgreSQL meets this.)"""
    import psycopg
    identity = pg_app.extensions["engine"].identity
    identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)
    identity.add_user("ani", "pemohon", "ani@contoh.go.id", PASSWORD, "kab-contoh")
    url = pg_app.config["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    other = psycopg.connect(url)
    other.execute("INSERT INTO agency (code, name) VALUES ('kab-baru', 'Kabupaten Baru')")  # not yet committed
    outcome = {}

    def change():
        try:
            outcome["released"] = identity.change_user(identity.by_username("gita"), "ani", "pemohon",
                                                       "ani@kabbaru.go.id", "kab-baru")
        except Exception as exc:  # noqa: BLE001  (what the test reports)
            outcome["error"] = exc
    worker = threading.Thread(target=change)
    worker.start()
    worker.join(1.0)  # the change waits on the uncommitted agency row
    other.commit()
    other.close()
    worker.join(10)
    assert outcome == {"released": 0}, outcome
    assert dict(identity.agencies())["kab-baru"] == "Kabupaten Baru"
    assert identity.by_username("ani").agency_id is not None


def test_people_are_shown_by_their_full_name_where_others_read_who_did_what(client, engine, people, admin):
    """The UX walk-through: pages said 'Diambil oleh layanan2', 'diajukan oleh pemohon'. An administrator
    gives a user their full name (adding or correcting); the worklist, the task and the case read it."""
    login(client, admin)
    added = client.post("/admin/pengguna", data={
        "username": "hani", "full_name": "  Hani   Puspita, S.Kom. ", "role": "tim_layanan",
        "email": "hani@komdigi.go.id", "agency": "", "lane": "", "password": "rahasia-123"}, follow_redirects=True)
    assert "Hani Puspita, S.Kom." in added.get_data(as_text=True)  # tidied, listed under the username
    refused = client.post("/admin/pengguna/citra/ubah", data={
        "full_name": "Citra\x07", "role": "tim_layanan", "email": "citra@contoh.go.id", "agency": "", "lane": ""})
    assert refused.status_code == 422 and "karakter kendali" in marked(refused)["full_name"]
    too_long = client.post("/admin/pengguna/citra/ubah", data={
        "full_name": "C" * 201, "role": "tim_layanan", "email": "citra@contoh.go.id", "agency": "", "lane": ""})
    assert too_long.status_code == 422 and "200 karakter" in marked(too_long)["full_name"]
    client.post("/admin/pengguna/citra/ubah", data={"full_name": "Citra Lestari", "role": "tim_layanan",
                                                    "email": "citra@contoh.go.id", "agency": "", "lane": ""})
    assert 'value="Citra Lestari"' in client.get("/admin/pengguna/citra/ubah").get_data(as_text=True)
    client.post("/logout")

    case = file_case(people["ani"])
    step = open_task(people["citra"], case)
    people["citra"].post(f"/tasks/{step['id']}/claim")
    login(client, "dodi")
    worklist = client.get("/worklist?tab=semua").get_data(as_text=True)
    assert re.search(r'data-label="Diambil oleh">Citra Lestari</td>', worklist)
    assert "sedang dikerjakan oleh <strong>Citra Lestari</strong>" in client.get(f"/tasks/{step['id']}").get_data(
        as_text=True)
    page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert '<span class="user">Citra Lestari</span>' in page and "diajukan" in page
    assert '<span class="user">ani</span>' in page  # no full name: the username, as before
    # clearing the name from the command line brings the username back
    assert engine.identity.change_user(None, "citra", "tim_layanan", "citra@contoh.go.id", full_name="") == 0
    assert '<span class="user">citra</span>' in client.get(f"/cases/{case['case_number']}").get_data(as_text=True)


def test_an_administrator_names_an_agency_that_still_reads_as_its_code(client, engine, people, admin, runner):
    """The UX walk-through: a new agency showed as its raw code ('kab-baru') everywhere until its first
    filing named it, and nobody could correct an agency's name after a reorganisation."""
    engine.identity.add_user("wati", "pemohon", "wati@kabbaru.go.id", PASSWORD, "kab-baru")
    login(client, admin)
    page = client.get("/admin/instansi").get_data(as_text=True)
    row = re.search(r'<tr role="row" id="instansi-kab-baru".*?</tr>', page, re.S).group(0)
    assert "kab-baru <small class=\"muted\">(belum bernama)</small>" in row and 'data-label="Petugas aktif">1<' in row
    blank = client.post("/admin/instansi/kab-baru/nama", data={"name": "   "})
    assert blank.status_code == 422 and "Nama instansi wajib diisi." in blank.get_data(as_text=True)
    refused = client.post("/admin/instansi/kab-baru/nama", data={"name": " x "}, follow_redirects=True)
    assert "Nama instansi kab-baru tidak diubah: Nama instansi 2–200 karakter (yang diisi 1)." in \
        refused.get_data(as_text=True)
    # a name pasted too long is said so, and what was typed stays in its row to shorten (it was cut unseen)
    long_name = ("Dinas Komunikasi, Informatika, Statistik dan Persandian " * 5).strip()
    refused = client.post("/admin/instansi/kab-baru/nama", data={"name": long_name})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and f"(yang diisi {len(long_name.strip())})" in page
    assert f'value="{long_name}"' in page and 'aria-describedby="problem-kab-baru"' in page

    for hidden in ("\u202eurab netapubak", "Kabupaten\u200bBaru"):  # shown reversed; a look-alike
        refused = client.post("/admin/instansi/kab-baru/nama", data={"name": hidden}, follow_redirects=True)
        assert "karakter tak terlihat" in refused.get_data(as_text=True)
    # a Cyrillic е among Latin letters reads exactly like another agency's name (the security probe)
    refused = client.post("/admin/instansi/kab-baru/nama", data={"name": "Pemerintah Kabupat\u0435n Contoh"},
                          follow_redirects=True)
    assert ("Nama instansi mencampur huruf Latin dan Sirilik (\u0435), yang tampak sama tetapi berbeda"
            in refused.get_data(as_text=True))
    named = client.post("/admin/instansi/kab-baru/nama", data={"name": "Pemerintah  Kabupaten Baru"},
                        follow_redirects=True)
    assert "Instansi kab-baru kini bernama Pemerintah Kabupaten Baru." in named.get_data(as_text=True)
    assert ("kab-baru", "Pemerintah Kabupaten Baru") in engine.identity.agencies()
    # a name another agency has would make the two look alike everywhere
    twin = client.post("/admin/instansi/kab-contoh/nama", data={"name": "pemerintah  kabupaten BARU"})
    assert twin.status_code == 422 and "sudah dipakai instansi berkode kab-baru" in twin.get_data(as_text=True)
    assert client.post("/admin/instansi/tidak-ada/nama", data={"name": "Apa Saja"},
                       follow_redirects=True).status_code == 200  # said on the page, not a 500
    # its case shows the name it was given, not one made up from the code or the request
    assert runner.invoke(args=["agencies", "rename", "kab-contoh", "Pemerintah Kabupaten Contoh (baru)"]).exit_code == 0
    case = file_case(people["ani"])
    assert people["citra"].get(f"/cases/{case['id']}").get_json()["agency"] == "Pemerintah Kabupaten Contoh (baru)"
    listed = runner.invoke(args=["agencies", "list"]).output
    assert "kab-baru" in listed and "Pemerintah Kabupaten Baru" in listed
    client.post("/logout")
    login(client, "citra")
    assert client.get("/admin/instansi").status_code == 403
    assert client.post("/admin/instansi/kab-baru/nama", data={"name": "Bukan Admin"}).status_code == 403


def test_renaming_an_agency_whose_code_in_the_address_holds_a_line_break_is_not_a_500(client, people, admin):
    login(client, admin)
    answer = client.post("/admin/instansi/kab%0Acontoh/nama", data={"name": "Pemerintah Kabupaten Contoh"})
    assert answer.status_code == 302 and "\n" not in answer.headers["Location"]
    assert "tidak ditemukan" in client.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_users_list_reads_in_the_order_of_the_work_and_finds_people(client, engine, people, admin):
    """The UX walk-through: users sorted by role code put the Tim Layanan officers last, and nothing searched."""
    engine.identity.change_user(None, "dodi", "tim_layanan", "dodi@contoh.go.id", full_name="Dodi Prasetyo")
    login(client, admin)
    page = client.get("/admin/pengguna").get_data(as_text=True)
    order = re.findall(r'<tr data-user="([^"]+)"', page)
    assert order.index("citra") < order.index("eka") < order.index("fajar") < order.index("ani") < order.index(admin)
    found = client.get("/admin/pengguna?q=prasetyo").get_data(as_text=True)
    assert re.findall(r'<tr data-user="([^"]+)"', found) == ["dodi"] and "1 dari 7 pengguna" in found
    agency = client.get("/admin/pengguna?q=kota-contoh").get_data(as_text=True)
    assert re.findall(r'<tr data-user="([^"]+)"', agency) == ["bayu"]
    pandi = client.get("/admin/pengguna?peran=pandi").get_data(as_text=True)
    assert re.findall(r'<tr data-user="([^"]+)"', pandi) == ["eka"]
    kept = client.post("/admin/pengguna/dodi/status", data={"aktif": "0", "q": "prasetyo", "peran": ""})
    assert kept.headers["Location"].endswith("/admin/pengguna?q=prasetyo")  # the search stays
    nobody = client.get("/admin/pengguna?q=tidak+ada+siapa").get_data(as_text=True)
    assert 'id="no-users"' in nobody and client.get("/admin/pengguna?peran=raja").status_code == 200


def test_a_tokens_end_is_said_in_utc_whatever_zone_the_database_answers_in():
    from datetime import datetime
    from zoneinfo import ZoneInfo
    from engine.tokens import _when
    assert _when(datetime(2026, 12, 2, 3, 6, tzinfo=ZoneInfo("Asia/Jakarta"))) == "2026-12-01 20:06 UTC"


def test_a_token_label_of_control_characters_is_refused_alike_on_both_databases(engine, people):
    """The review: a NUL was stored on SQLite (and written raw into the page) and refused with a bare 400 on
    PostgreSQL, the form's ticket spent."""
    for label in ("a\x00b", "bel\x07\x1bx"):
        with pytest.raises(Invalid) as refused:
            engine.tokens.new("citra", label=label)
        assert refused.value.errors == [{"field": "label",
                                         "message": "Keterangan berisi karakter kendali; tulis teks biasa."}]
    assert len(engine.tokens.of(engine.identity.by_username("citra"))) == 1  # the fixture's
