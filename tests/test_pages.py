"""The pages people use, through Flask's test client (the browser story is in test_browser.py)."""
from __future__ import annotations

import html
import io
import re

import pytest

from conftest import PASSWORD
from samples import (ANALYSIS_FORWARD, ANALYSIS_REJECT, ANSWER, ANSWER_REJECTED, CHECK_COMPLETE, PANDI, RECEIPT, make_pdf,
                     request_data)
from test_sop_api import file_case, open_task, work
from web import create_app


def login(client, name):
    response = client.post("/login", data={"username": name, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_login_is_required_and_wrong_password_is_refused(client, people):
    assert client.get("/worklist").status_code == 302
    wrong = client.post("/login", data={"username": "citra", "password": "salah"})
    assert wrong.status_code == 401 and "salah" in wrong.get_data(as_text=True)
    # the name stays and the cursor waits in the password (the UX review: it went back to the name)
    page = wrong.get_data(as_text=True)
    assert re.search(r'<input name="username"[^>]*value="citra"', page)
    assert re.search(r'<input name="password"[^>]*autofocus', page)
    assert not re.search(r'<input name="username"[^>]*autofocus', page)
    assert re.search(r'<input name="username"[^>]*autofocus', client.get("/login").get_data(as_text=True))
    login(client, "citra")
    assert client.get("/worklist").status_code == 200


def test_login_does_not_redirect_to_other_sites(client, people):
    response = client.post("/login?next=https://contoh.com/", data={"username": "citra", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_a_redirect_says_so_in_indonesian(client, people):
    """The authorization probe: every redirect's body (what curl and API clients print) was Werkzeug's English
    "Redirecting... You should be redirected automatically"."""
    for path in ("/worklist", "/worklist/menunggu", "/cases/serupa?domain=contoh.go.id", "/favicon.ico"):
        response = client.get(path)
        body = response.get_data(as_text=True)
        assert response.status_code in (301, 302, 308) and "Redirecting" not in body, path
        assert '<html lang="id">' in body and "Dialihkan" in body
        assert f'href="{html.escape(response.headers["Location"])}"' in body, path
    # a location with markup in it is written as text
    from flask import redirect
    with client.application.test_request_context():
        body = redirect('/cases?q="><script>x</script>').get_data(as_text=True)
    assert "<script>" not in body and "&lt;script&gt;" in body


def test_a_next_address_with_a_line_break_goes_to_the_worklist_not_to_an_error(client, people):
    for target in ("/%0A", "/worklist%0D%0ASet-Cookie:x=1", "/%09x"):
        response = client.post(f"/login?next={target}", data={"username": "citra", "password": PASSWORD})
        assert response.status_code == 302 and response.headers["Location"] == "/", target
        client.post("/logout")


def test_worklist_shows_case_step_agency_domain_and_due_time(client, people):
    case = file_case(people["ani"])
    login(client, "citra")
    page = client.get("/worklist?tab=antrian").get_data(as_text=True)
    assert case["case_number"] in page and "Periksa permohonan" in page
    assert "contoh.<wbr>go.<wbr>id" in page and "WIB" in page and "sisa" in page  # wraps after a dot only
    task = open_task(people["citra"], case)
    assert client.post(f"/tasks/{task['id']}/claim").status_code == 302
    mine = client.get("/worklist?tab=saya").get_data(as_text=True)
    assert case["case_number"] in mine and "Kerjakan" in mine
    # where one is, said to screen readers too: the open tab and the menu item (the accessibility walk-through)
    assert [t.strip() for t in re.findall(r'<a [^>]*aria-current="page">([^<]+)', mine)] == ["Daftar kerja", "Tugas saya"]


def test_a_refused_form_s_ids_are_unique_and_every_description_exists(client, people):
    """The review: the check's field named `summary` gave its error the summary box's own id, so a screen reader
    read the whole box as that field's description."""
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    login(client, "citra")
    client.post(f"/tasks/{task['id']}/claim")
    page = client.post(f"/tasks/{task['id']}", data={"decision": "lengkap", "letter_valid": "on"})
    page = page.get_data(as_text=True)
    assert 'id="error-summary"' in page  # the field's own error: the case the box's id collided with
    ids = re.findall(r' id="([^"]+)"', page)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    for described in re.findall(r'aria-describedby="([^"]+)"', page):
        for target in described.split():
            assert target in ids, target


def test_the_case_list_says_by_when_each_case_is_due_and_who_holds_it(client, people):
    """The walk-through: the process owner lands on the case list, which said neither (only the worklist did)."""
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    people["citra"].post(f"/tasks/{task['id']}/claim")
    login(client, "fajar")
    page = client.get("/cases").get_data(as_text=True)
    row = re.search(rf'{case["case_number"]}</a>.*?</tr>', page, re.S).group(0)
    steps = re.search(r'data-label="Langkah / hasil">(.*?)</td>', row, re.S).group(1)
    assert steps == 'Periksa permohonan<br><small class="muted">dipegang citra</small>'
    due = re.search(r'data-label="Tenggat">(.*?)</td>', row, re.S).group(1)
    assert "WIB" in due and re.search(r'<small class="muted">sisa (9|10) mnt</small>', due), due


def test_the_waiting_count_is_asked_without_a_page(client, people):
    assert client.get("/worklist/menunggu").status_code == 302  # to the login page
    login(client, "citra")
    assert client.get("/worklist/menunggu").get_json() == {"waiting": 0}
    file_case(people["ani"])
    answer = client.get("/worklist/menunggu")
    assert answer.get_json() == {"waiting": 1} and answer.headers["Cache-Control"] == "no-store"


def waiting(app, name) -> int:
    """The count beside "Daftar kerja" in the header of `name`'s pages (0 when none is shown)."""
    client = app.test_client()
    login(client, name)
    link = re.search(r'<a href="/worklist" id="worklist-link">(.*?)</a>', client.get("/cases").get_data(as_text=True))
    count = re.search(r'<span class="waiting-count"[^>]*>.*?(\d+)</span>$', link.group(1))
    return int(count.group(1)) if count else 0


def test_every_page_says_how_many_tasks_wait_for_me(app, people):
    """An agency officer learns that the answer has arrived from any page, not only the worklist."""
    case = file_case(people["ani"])
    assert {n: waiting(app, n) for n in ("ani", "bayu", "citra", "dodi", "eka")} == {
        "ani": 0, "bayu": 0, "citra": 1, "dodi": 1, "eka": 0}
    check = open_task(people["citra"], case)
    people["citra"].post(f"/tasks/{check['id']}/claim")
    assert (waiting(app, "citra"), waiting(app, "dodi")) == (1, 0)  # claimed: citra's, no longer the queue's
    assert people["citra"].post(f"/tasks/{check['id']}/complete", json={"data": CHECK_COMPLETE}).status_code == 200
    work(people["dodi"], open_task(people["dodi"], case), ANALYSIS_FORWARD)
    assert waiting(app, "eka") == 1
    work(people["eka"], open_task(people["eka"], case), PANDI)
    work(people["citra"], open_task(people["citra"], case), ANSWER)
    assert {n: waiting(app, n) for n in ("ani", "bayu", "citra", "eka")} == {"ani": 1, "bayu": 0, "citra": 0, "eka": 0}


def test_an_agency_step_a_colleague_opened_still_counts_as_waiting_for_every_officer(app, engine, people):
    """The authorization probe: the worklist listed the agency's step a colleague had taken through the API
    (any officer of the agency may send it), the header said nothing was waiting."""
    from conftest import ApiUser
    from samples import ANSWER_REJECTED, ANALYSIS_REJECT
    engine.identity.add_user("ana", "pemohon", "ana@contoh.go.id", PASSWORD, "kab-contoh")
    ana = ApiUser(app.test_client(), "ana", engine.tokens.new("ana"))
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_COMPLETE)
    work(people["citra"], open_task(people["citra"], case), ANALYSIS_REJECT)
    work(people["citra"], open_task(people["citra"], case), ANSWER_REJECTED)
    receipt = open_task(ana, case)
    assert ana.post(f"/tasks/{receipt['id']}/claim").status_code == 200
    assert (waiting(app, "ani"), waiting(app, "ana"), waiting(app, "bayu")) == (1, 1, 0)


def test_an_ended_case_says_at_its_top_who_ended_it_when_and_why(client, people):
    case = file_case(people["ani"])
    login(client, "ani")
    assert 'id="case-ended"' not in client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    people["ani"].post(f"/cases/{case['id']}/cancel", json={"reason": "Sudah disepakati antarinstansi."})
    page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    notice = re.search(r'<p class="notice ended" id="case-ended">(.*?)</p>', page, re.S).group(1)
    assert notice.startswith("Permohonan ditarik oleh ani (instansi pemohon) pada ")
    assert "Alasan: Sudah disepakati antarinstansi." in notice and "· ditarik " in page  # the header agrees
    assert 'id="case-answer"' not in page


def test_a_case_page_says_how_the_dispute_ended_once_answered(client, people):
    case = file_case(people["ani"])
    login(client, "ani")
    assert 'id="case-outcome"' not in client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    work(people["citra"], open_task(people["citra"], case), CHECK_COMPLETE)
    work(people["dodi"], open_task(people["dodi"], case), ANALYSIS_REJECT)
    work(people["citra"], open_task(people["citra"], case), ANSWER_REJECTED)
    page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert '<span class="outcome not-granted" id="case-outcome">Hasil: Permohonan ditolak</span>' in page
    # the answer itself heads the page, before the steps and the request (the UX walk-through: on a phone it
    # was on the fifth screen of seven), with when and by whom it was sent
    box = re.search(r'<section class="card answer" id="case-answer".*?</section>', page, re.S).group(0)
    assert page.index('id="case-answer"') < page.index('id="steps"')
    assert "Jawaban atas permohonan Anda" in box and "oleh citra" in box and "dikirim" in box  # said to the agency
    # its one thing left to do is in the box (the walk-through: the seventh row of the steps, far below), and
    # withdrawing is no longer offered once the request is answered
    confirm = re.search(r'id="confirm-answer" href="(/tasks/[^"]+)">Terima konfirmasi/jawaban</a>', box)
    assert confirm and client.get(confirm.group(1)).status_code == 200
    assert "Tarik permohonan" not in page
    refused = people["ani"].post(f"/cases/{case['id']}/cancel", json={"reason": "Berubah pikiran."})
    assert refused.status_code == 409 and refused.get_json()["code"] == "answered"
    # not asked for a reason first (the API probe: an empty reason was a 422, as if giving one would do)
    assert people["ani"].post(f"/cases/{case['id']}/cancel", json={}).get_json()["code"] == "answered"
    client.post("/logout")
    login(client, "citra")  # the helpdesk reads the box under the data object's own name, with nothing to do
    staff = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert '<h2 id="case-answer-title">Konfirmasi/jawaban ke pemohon</h2>' in staff and "confirm-answer" not in staff
    client.post("/logout")
    login(client, "ani")
    assert html.escape(ANSWER_REJECTED["answer"]) in box
    # The case list says it too, beside the step a case still waits on.
    other = file_case(people["ani"])

    def listed():
        return dict(re.findall(r'>(SNG-[0-9-]+)</a>.*?<td role="cell" data-label="Langkah / hasil">(.*?)</td>',
                               client.get("/cases").get_data(as_text=True), re.S))
    outcome = '<span class="outcome not-granted">Permohonan ditolak</span>'
    assert listed() == {case["case_number"]: f"Terima konfirmasi/jawaban · {outcome}",
                        other["case_number"]: "Periksa permohonan"}
    work(people["ani"], open_task(people["ani"], case), RECEIPT)
    assert listed()[case["case_number"]] == outcome
    answer = people["ani"].get(f"/cases/{case['id']}").get_json()["outcome"]
    assert answer == {"value": "ditolak", "title": "Permohonan ditolak", "tone": "not-granted"}
    assert people["ani"].get(f"/cases/{other['id']}").get_json()["outcome"] is None


def test_completing_a_task_on_its_page(client, people):
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    login(client, "citra")
    client.post(f"/tasks/{task['id']}/claim")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'name="decision"' in page and "Budi Santoso" in page and "surat-permohonan.pdf" in page
    # the form's title is not the page's heading again in Title Case (the walk-through)
    assert "<h2>Periksa Permohonan</h2>" not in page and re.search(r"<h1[^>]*>Periksa permohonan", page)
    # what the upload was, in its form's words, and its type by name (not a MIME type)
    assert re.search(r"surat-permohonan\.pdf</a>\s*<a class=\"view\"[^>]*>lihat<span class=\"visually-hidden\"> "
                     r"surat-permohonan\.pdf di tab baru</span></a> <small>\(Surat permohonan bertanda tangan · PDF, "
                     r"[0-9]+,[0-9] KB", page)
    invalid = client.post(f"/tasks/{task['id']}", data={"decision": "tidak_lengkap", "summary": "Kurang"})
    assert invalid.status_code == 422 and "Wajib diisi" in invalid.get_data(as_text=True)
    done = client.post(f"/tasks/{task['id']}", data={"decision": "lengkap", "summary": CHECK_COMPLETE["summary"],
                                                     "letter_valid": "on"})
    assert done.status_code == 302 and done.headers["Location"].endswith(case["case_number"])
    assert open_task(people["citra"], case)["element_id"] == "Task_Analisa"
    assert "(sisa " in page  # while it waited, its target counted down
    # Back on the finished step's page: who finished it, and no countdown to a target that no longer applies.
    finished = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert re.search(r'<p id="task-ended">Tugas ini telah diselesaikan oleh citra pada [0-9-]+ [0-9:]+ WIB\.</p>',
                     finished), finished
    assert "(sisa " not in finished and "terlambat" not in finished


def test_a_document_opens_in_the_browser_beside_its_download_and_first_on_the_step(client, people):
    """The walk-through: checking the signed letter is the check, and the letter downloaded from the foot of
    the page. It is listed first now, to read in a tab (the browser's own viewer, under a policy that lets
    nothing run) or to download as before."""
    case = file_case(people["ani"])
    check = open_task(people["citra"], case)
    login(client, "citra")
    page = client.get(f"/tasks/{check['id']}").get_data(as_text=True)
    needed = page[page.index('id="task-inputs"'):]
    assert needed.index("<h3>Dokumen</h3>") < needed.index("Nama domain")
    view = re.search(r'<a class="view" href="([^"]+)" target="_blank" rel="noopener">lihat', needed).group(1)
    shown = client.get(html.unescape(view))
    assert shown.status_code == 200 and shown.mimetype == "application/pdf" and shown.data.startswith(b"%PDF-")
    assert shown.headers["Content-Disposition"].startswith("inline;")
    policy = shown.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    saved = client.get(html.unescape(view).replace("?lihat=1", ""))
    assert saved.headers["Content-Disposition"].startswith("attachment;") and saved.data == shown.data
    # another agency's officer opens it neither way
    login(client, "bayu")
    assert client.get(html.unescape(view)).status_code == 404


def test_a_step_taken_first_by_a_colleague_says_who_and_leads_back_to_the_queue(client, people):
    """The walk-through: losing the race for a step left the officer on the colleague's step page."""
    case = file_case(people["ani"])
    other = file_case(people["ani"])
    step = open_task(people["citra"], case)
    login(client, "citra")
    page = client.get("/worklist?tab=antrian").get_data(as_text=True)
    back = re.search(r'name="kembali" value="([^"]+)"', worklist_row(page, case["case_number"])).group(1)
    assert html.unescape(back) == "/worklist?tab=antrian"  # the list it was taken from, filters and all
    assert people["dodi"].post(f"/tasks/{step['id']}/claim").status_code == 200  # dodi was quicker
    lost = client.post(f"/tasks/{step['id']}/claim", data={"kembali": "/worklist?tab=antrian"})
    assert lost.status_code == 302 and lost.headers["Location"] == "/worklist?tab=antrian"
    elsewhere = client.post(f"/tasks/{step['id']}/claim", data={"kembali": "https://contoh.com/worklist"})
    assert elsewhere.headers["Location"] == f"/tasks/{step['id']}"  # never away from this app
    queue = client.get(lost.headers["Location"]).get_data(as_text=True)
    assert (f"Tugas &#39;Periksa permohonan&#39; untuk kasus {case['case_number']} sudah diambil lebih dulu oleh "
            "dodi." in queue) and other["case_number"] in queue
    # from the step's own page, the page stays (it says who holds it now)
    lost = client.post(f"/tasks/{step['id']}/claim")
    assert lost.headers["Location"] == f"/tasks/{step['id']}"
    assert open_task(people["citra"], case)["claimed_by"] == "dodi"


def test_after_a_step_the_next_one_is_one_click_away_when_it_is_the_officers_to_take(client, people):
    """The walk-through: after the check, the analysis of the same case took three page loads to reach."""
    case = file_case(people["ani"])
    check = open_task(people["citra"], case)
    login(client, "citra")
    client.post(f"/tasks/{check['id']}/claim")
    done = client.post(f"/tasks/{check['id']}", data={"decision": "lengkap", "summary": CHECK_COMPLETE["summary"],
                                                      "letter_valid": "on"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    analysis = open_task(people["citra"], case)
    offer = re.search(r'<div class="next-step" id="next-step">(.*?)</div>', page, re.S).group(1)
    assert f'action="/tasks/{analysis["id"]}/claim"' in offer and "Ambil dan kerjakan: Analisa aduan" in offer
    assert 'href="/worklist?tab=antrian">kembali ke antrian' in offer
    taken = client.post(f"/tasks/{analysis['id']}/claim")
    assert taken.headers["Location"].endswith(f"/tasks/{analysis['id']}")
    assert open_task(people["citra"], case)["claimed_by"] == "citra"
    # the offer is said once: the next page has none
    assert 'id="next-step"' not in client.get(f"/tasks/{analysis['id']}").get_data(as_text=True)
    # a step whose next one is another lane's leads back to the queue only
    done = client.post(f"/tasks/{analysis['id']}", data=_flatten(ANALYSIS_FORWARD), follow_redirects=True)
    offer = re.search(r'<div class="next-step" id="next-step">(.*?)</div>', done.get_data(as_text=True), re.S)
    assert offer and "Ambil dan kerjakan" not in offer.group(1) and 'href="/worklist?tab=antrian"' in offer.group(1)


def test_an_unticked_letter_check_on_a_returned_request_says_nothing_to_the_agency(app, client, engine, people):
    """The walk-through: left unticked while sending a request back, the box reached the agency as 'Surat
    ditujukan kepada Dirjen …: Tidak', an official finding nobody made. Unticked, an optional box is left out."""
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    login(client, "citra")
    client.post(f"/tasks/{task['id']}/claim")
    sent = client.post(f"/tasks/{task['id']}", data={"decision": "tidak_lengkap", "summary": "Lampiran kurang",
                                                     "missing": "Salinan akta pendirian."})
    assert sent.status_code == 302
    from sqlalchemy import select
    from engine.models import HistoryEvent
    with engine.store.transaction() as session:
        complaint = session.scalar(select(HistoryEvent.detail).where(HistoryEvent.event == "task_completed"))["complaint"]
    assert "letter_valid" not in complaint and complaint["decision"] == "tidak_lengkap"
    agency = app.test_client()
    login(agency, "ani")
    correction = open_task(people["ani"], case)
    page = agency.get(f"/tasks/{correction['id']}").get_data(as_text=True)
    assert "Salinan akta pendirian." in page and "Surat ditujukan kepada Dirjen" not in page


def test_an_officer_overtaken_while_typing_keeps_what_they_typed(client, people):
    """The UX review: a supervisor released the step and a colleague took it while the officer typed; the
    officer's submit led to a bare 'Konflik' page and the text was gone."""
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    login(client, "citra")
    client.post(f"/tasks/{task['id']}/claim")
    people["fajar"].post(f"/tasks/{task['id']}/unclaim")
    people["dodi"].post(f"/tasks/{task['id']}/claim")
    typed = "Surat lengkap; NIP dan jabatan penanda tangan sesuai. Catatan khusus: lampiran bukti 3 halaman."
    response = client.post(f"/tasks/{task['id']}", data={"decision": "lengkap", "summary": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "sedang dikerjakan oleh <strong>dodi</strong>" in page
    assert "Isian Anda belum tersimpan; salinannya ada di bawah." in page
    unsent = re.search(r'<div id="unsent" class="unsent">(.*?)</div>\s*</section>', page, re.S).group(1)
    assert typed in unsent and 'id="task-form"' not in page
    assert open_task(people["dodi"], case)["claimed_by"] == "dodi"  # nothing of citra's was stored
    # Pressing a stale 'Ambil' leads to the step's page, which says who has it.
    again = client.post(f"/tasks/{task['id']}/claim", follow_redirects=True)
    assert again.status_code == 200
    text = again.get_data(as_text=True)
    assert "sudah diambil lebih dulu oleh dodi" in text and "sedang dikerjakan oleh <strong>dodi</strong>" in text


def test_an_officer_whose_step_was_released_takes_it_back_and_sends_what_they_typed(client, engine, people):
    """The UX walk-through: a supervisor released the step while the officer typed; the refusal said only
    'Ambil tugas ini terlebih dahulu', and after claiming, the form was empty and the copy gone."""
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    login(client, "citra")
    client.post(f"/tasks/{task['id']}/claim")
    people["fajar"].post(f"/tasks/{task['id']}/unclaim")
    [told] = engine.notifications.list(engine.identity.by_username("citra"))  # told at once, not on sending
    assert "Tugas Anda dilepas ke antrian" in told.subject and "Supervisor fajar melepas" in told.body
    typed = "Surat lengkap; penanda tangan Sekretaris Daerah, NIP sesuai."
    refused = client.post(f"/tasks/{task['id']}", data={"decision": "lengkap", "summary": typed,
                                                        "letter_valid": "on"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Tugas ini telah dilepas ke antrian oleh fajar" in page
    assert 'id="released"' in page and '<input type="hidden" name="ambil" value="1">' in page
    assert re.search(r'<textarea id="f-summary"[^>]*>' + re.escape(typed) + "</textarea>", page)
    assert 'id="unsent"' not in page  # the form itself holds it: no second copy
    sent = client.post(f"/tasks/{task['id']}", data={"decision": "lengkap", "summary": typed,
                                                     "letter_valid": "on", "ambil": "1"})
    assert sent.status_code == 302
    assert open_task(people["citra"], case)["element_id"] == "Task_Analisa"
    done = [h for h in people["citra"].get(f"/cases/{case['id']}").get_json()["history"]
            if h["task_id"] == task["id"]]
    assert [(h["event"], h["user"]) for h in done][-3:] == [("task_unclaimed", "fajar"), ("task_claimed", "citra"),
                                                            ("task_completed", "citra")]


def test_taking_back_and_sending_with_a_mistake_takes_nothing_and_keeps_the_form(client, people):
    """The review: 'Ambil tugas ini dan kirim' with a field wrong claimed the step in a command of its own,
    then showed 'Tugas ini belum diambil' with the entries gone. Claim and completion are one command now:
    refused, it takes nothing, and the page keeps the form, the entries and the errors."""
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    login(client, "citra")
    client.post(f"/tasks/{task['id']}/claim")
    people["fajar"].post(f"/tasks/{task['id']}/unclaim")
    typed = "Surat lengkap; penanda tangan Sekretaris Daerah, NIP sesuai."
    sent = client.post(f"/tasks/{task['id']}", data={"decision": "lengkap", "summary": typed, "ambil": "1"})
    page = sent.get_data(as_text=True)
    assert sent.status_code == 422 and "Tugas ini belum diambil." not in page
    assert re.search(r'<textarea id="f-summary"[^>]*>' + re.escape(typed) + "</textarea>", page)
    assert '<input type="hidden" name="ambil" value="1">' in page and 'aria-invalid="true"' in page
    assert open_task(people["citra"], case)["claimed_by"] is None  # refused: nothing taken


def test_a_form_without_uploads_says_nothing_of_upload_limits(client, people):
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    login(client, "citra")
    client.post(f"/tasks/{task['id']}/claim")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'type="file"' not in page and 'id="file-limits"' not in page and "too-many" not in page


def test_an_agency_officer_sends_their_own_step_straight_from_its_page(client, people):
    """The UX review: the officer had to 'Ambil' a correction of their own case, under the helpdesk's SOP row."""
    from samples import CHECK_INCOMPLETE, CORRECTION
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)
    task = open_task(people["ani"], case, "Task_LengkapiPermohonan")
    login(client, "ani")
    row = re.search(rf'<tr[^>]*data-task="{task["id"]}".*?</tr>', client.get("/worklist").get_data(as_text=True),
                    re.S).group(0)
    # each row's action names its step and case to a screen reader (a list of "Ambil, Ambil, Ambil" says nothing)
    assert f'>Kerjakan<span class="visually-hidden"> Lengkapi permohonan {case["case_number"]}</span></a>' in row
    assert ">Ambil<" not in row
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'id="task-form"' in page and "Ambil tugas ini" not in page and 'class="sop"' not in page
    assert '<button class="primary" type="submit">Kirim perbaikan</button>' in page
    # what Tim Layanan found missing comes first, above the form, and is not repeated below it
    asked = page.index('id="from-helpdesk"')
    assert asked < page.index('id="task-form"') and CHECK_INCOMPLETE["summary"] in page[asked:page.index('id="task-form"')]
    assert page.count(CHECK_INCOMPLETE["summary"]) == 1
    assert "Kembalikan ke antrian" not in page  # nothing to give back before it is theirs
    refused = client.post(f"/tasks/{task['id']}", data={"notes": ""})
    assert refused.status_code == 422  # a refused send changes nothing: the step is not taken either
    assert open_task(people["ani"], case, "Task_LengkapiPermohonan")["claimed_by"] is None
    done = client.post(f"/tasks/{task['id']}", data=CORRECTION)
    assert done.status_code == 302
    sent = [h for h in people["ani"].get(f"/cases/{case['id']}").get_json()["history"] if h["task_id"] == task["id"]]
    assert [(h["event"], h["user"]) for h in sent] == [("task_created", None), ("task_completed", "ani")]
    assert open_task(people["citra"], case)["element_id"] == "Task_PeriksaPermohonan"
    # Tim Layanan's steps still go through the queue: the same page offers citra 'Ambil tugas ini'.
    client.post("/logout")
    login(client, "citra")
    assert "Ambil tugas ini" in client.get(f"/tasks/{open_task(people['citra'], case)['id']}").get_data(as_text=True)


def test_a_task_page_shows_its_sop_row_without_the_parts_the_sop_left_empty(client, people):
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    login(client, "citra")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "<dt>Waktu</dt><dd>10 menit</dd>" in page and "<dt>Output</dt>" in page
    summary = re.search(r'<details class="sop-box" id="sop"><summary>(.*?)</summary>', page).group(1)
    assert summary.startswith("Langkah 2 (SOP) · target 10 menit")  # closed: the line says which row, and the time
    assert "<dt>Keterangan</dt>" not in page and ": -." not in page  # the SOP has no note for step 2


def test_a_supervisor_releases_a_colleagues_task_from_its_page(client, people):
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    people["citra"].post(f"/tasks/{task['id']}/claim")
    login(client, "dodi")  # a colleague sees who has it, and no button
    assert "Lepaskan ke antrian" not in client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    client.post("/logout")
    login(client, "fajar")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "sedang dikerjakan oleh <strong>citra</strong>" in page and "Lepaskan ke antrian" in page
    assert client.post(f"/tasks/{task['id']}/unclaim").status_code == 302
    assert open_task(people["citra"], case)["claimed_by"] is None
    # the history says whose step the supervisor released, not as if they let go of their own
    history = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert "Tugas dilepas</strong>: Periksa permohonan dari citra — <span class=\"user\">fajar</span>" in history
    assert people["fajar"].get(f"/cases/{case['id']}").get_json()["history"][-1]["from"] == "citra"


def test_an_optional_choice_can_be_taken_back_on_the_page(client, people):
    """Radios cannot be unticked: an optional choice offers "Tidak ada", and choosing it leaves the field out."""
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_COMPLETE)
    task = open_task(people["citra"], case, "Task_Analisa")
    login(client, "citra")
    client.post(f"/tasks/{task['id']}/claim")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    empty = re.findall(r'<input type="radio" name="([a-z_]+)" value="" ?(checked)? aria-describedby', page)
    assert empty == [("recommended_action", "")]  # not for the required decision; started from the request
    # the action is required once the request is forwarded: the page says so beside its title (UX review)
    assert ('Tindakan yang direkomendasikan <span class="req" aria-hidden="true">*</span> <small class="when">(wajib bila Keputusan: '
            'Diteruskan ke PANDI untuk diselesaikan)</small>') in page
    # and "unless": PANDI's date is needed unless the action could not be carried out (the walk-through met the
    # refusal with no mark beside the field)
    from web.formdata import fields
    import json
    from conftest import FORMS
    [date] = [f for f in fields(json.loads((FORMS / "penyelesaian_pandi.json").read_text()), {}, {})
              if f.name == "executed_on"]
    assert date.required_when == "kecuali Tindakan yang dilaksanakan: Tidak dapat dilaksanakan"
    # a rejection sent with the action the form started from (a page without script, which would have hidden
    # it) goes through without it: the page leaves out what the choice made meaningless (the diff review)
    done = client.post(f"/tasks/{task['id']}", data={**ANALYSIS_REJECT, "recommended_action": "pengalihan"})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    assert open_task(people["citra"], case)["element_id"] == "Task_JawabPemohon"
    decided = people["citra"].get(f"/cases/{case['id']}").get_json()["data"]["analysis_decision"]
    assert decided["decision"] == "ditolak" and "recommended_action" not in decided


def test_filing_on_the_page_with_a_bad_pdf_shows_the_error_and_files_nothing(client, people):
    login(client, "ani")
    form = _flatten(request_data())
    form["letter"] = (io.BytesIO(b"bukan pdf"), "surat.pdf")
    response = client.post("/cases/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 422 and "bukan berkas PDF" in response.get_data(as_text=True)
    # the refused file is not asked for again as if it had been lost (the walk-through): its own error says it
    assert "pilih lagi: surat.pdf" not in response.get_data(as_text=True)
    assert "pilih kembali berkas Anda" not in response.get_data(as_text=True)
    assert people["ani"].get("/cases").get_json()["total"] == 0
    form = _flatten(request_data())
    form["letter"] = (io.BytesIO(make_pdf()), "surat.pdf")
    ok = client.post("/cases/new", data=form, content_type="multipart/form-data")
    assert ok.status_code == 302
    assert people["ani"].get("/cases").get_json()["total"] == 1


def test_an_oversized_letter_on_the_page_says_the_limit_and_how_to_go_back(client, people):
    login(client, "ani")
    form = _flatten(request_data())
    form["letter"] = (io.BytesIO(make_pdf() + b"0" * (11 * 1024 * 1024) + b"\n%%EOF\n"), "pindaian.pdf")
    response = client.post("/cases/new", data=form, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "pindaian.pdf melebihi batas 10 MB" in page and "Batas unggahan: 10 MB per berkas." in page
    assert people["ani"].get("/cases").get_json()["total"] == 0
    assert "Maksimal 10 MB per berkas." in client.get("/cases/new").get_data(as_text=True)


def test_a_second_filing_for_a_domain_in_dispute_is_pointed_out(client, people):
    """The UX review filed ganda.go.id twice while the first case ran: nothing said so."""
    first = file_case(people["ani"])
    other_agency = file_case(people["bayu"], request_data(**{"agency.name": "Pemerintah Kota Contoh",
                                                             "agency.level": "kota"}))
    login(client, "ani")
    form = _flatten(request_data())
    form["letter"] = (io.BytesIO(make_pdf()), "surat.pdf")
    filed = client.post("/cases/new", data=form, content_type="multipart/form-data", follow_redirects=True)
    page = filed.get_data(as_text=True)
    assert f"domain ini juga sedang disengketakan dalam kasus {first['case_number']} dari instansi Anda" in page
    assert other_agency["case_number"] not in page  # another agency's case stays out of sight
    related = re.search(r'<p class="meta" id="same-domain">(.*?)</p>', page, re.S).group(1)
    assert first["case_number"] in related and "(berjalan)" in related
    client.post("/logout")
    login(client, "citra")  # Tim Layanan sees every agency's case about the domain, with the agency named
    page = client.get(f"/cases/{first['case_number']}").get_data(as_text=True)
    related = re.search(r'<p class="meta" id="same-domain">(.*?)</p>', page, re.S).group(1)
    assert other_agency["case_number"] in related and "Pemerintah Kota Contoh" in related
    assert first["case_number"] not in related  # not itself
    # ... and on the step that checks the request, where a duplicate is sent back or rejected
    check = open_task(people["citra"], first)
    page = client.get(f"/tasks/{check['id']}").get_data(as_text=True)
    related = re.search(r'<p class="meta" id="same-domain">(.*?)</p>', page, re.S).group(1)
    assert other_agency["case_number"] in related and first["case_number"] not in related


def worklist_row(page: str, case_number: str) -> str:
    return next(row for row in re.findall(r'<tr class="[^"]*" data-task=.*?</tr>', page, re.S) if case_number in row)


def test_the_queue_flags_a_domain_that_more_than_one_running_case_disputes(client, people):
    """A double filing is noticed in the queue, before two officers check the two requests apart; the agency
    sees only its own cases counted."""
    first = file_case(people["ani"])
    second = file_case(people["bayu"], request_data(**{"agency.name": "Pemerintah Kota Contoh",
                                                       "agency.level": "kota"}))
    alone = file_case(people["ani"], request_data(**{"domain.name": "sendiri.go.id"}))
    login(client, "citra")
    page = client.get("/worklist?tab=antrian").get_data(as_text=True)
    flag = "juga di kasus lain yang berjalan"
    assert flag in worklist_row(page, first["case_number"]) and flag in worklist_row(page, second["case_number"])
    assert flag not in worklist_row(page, alone["case_number"])
    assert 'href="/cases?q=contoh.go.id"' in worklist_row(page, first["case_number"])  # both, one click away
    # once one of the two is withdrawn, the other is a case like any other
    assert people["bayu"].post(f"/cases/{second['id']}/cancel",
                               json={"reason": "Pengajuan ganda dengan kasus sebelumnya."}).status_code == 200
    page = client.get("/worklist?tab=antrian").get_data(as_text=True)
    assert flag not in worklist_row(page, first["case_number"])


def test_a_supervisor_gives_a_held_step_from_its_worklist_row(client, people):
    """The walk-through: a late row someone held had no action in the supervisor's list."""
    held, waiting = file_case(people["ani"]), file_case(people["ani"])
    step = open_task(people["citra"], held)
    assert people["citra"].post(f"/tasks/{step['id']}/claim").status_code == 200
    login(client, "fajar")
    page = client.get("/worklist").get_data(as_text=True)
    give = re.search(r'<a class="button small" href="([^"]+)">Berikan…', worklist_row(page, held["case_number"]))
    assert give and give.group(1) == f"/tasks/{step['id']}#give"
    assert 'id="give"' in client.get(give.group(1)).get_data(as_text=True)
    assert "Ambil" in worklist_row(page, waiting["case_number"])  # one nobody holds is his to take
    login(client, "dodi")  # an officer gives nothing
    assert "Berikan" not in worklist_row(client.get("/worklist?tab=semua").get_data(as_text=True), held["case_number"])


def test_a_step_done_before_in_its_case_says_which_round_it_is(client, people):
    """The walk-through: a corrected request came back as a plain "Periksa permohonan", like a new one."""
    from samples import CHECK_INCOMPLETE, CORRECTION
    returned = file_case(people["ani"])
    fresh = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], returned), CHECK_INCOMPLETE)
    sent = people["ani"].post(f"/tasks/{open_task(people['ani'], returned)['id']}/complete", json={"data": CORRECTION})
    assert sent.status_code == 200
    login(client, "dodi")
    page = client.get("/worklist?tab=antrian").get_data(as_text=True)
    assert re.search(r'Periksa permohonan</a> <span class="badge round">ke-2<span class="visually-hidden"> kali pada '
                     r'kasus ini</span></span>',
                     worklist_row(page, returned["case_number"]))
    assert "ke-" not in worklist_row(page, fresh["case_number"])


def test_an_empty_filing_names_every_missing_field_and_the_letter_in_one_round(client, people):
    login(client, "ani")
    response = client.post("/cases/new", data={}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    marked = set(re.findall(r'<div class="field invalid" data-field="([^"]+)"', page))
    for field in ("agency.name", "contact.nip", "domain.name", "dispute.category", "letter.number",
                  "letter.signatory.name", "file:letter"):
        assert field in marked, field
    # The summary at the top lists each marked field once, in page order, each a link to its field.
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    # (each links to its control, which summary.js gives the cursor: f-<field>, file-<upload>)
    links = [(re.sub(r"^(f-|file-)", lambda m: "" if m.group(1) == "f-" else "file:", anchor), label, message)
             for anchor, label, message in
             re.findall(r'<li><a href="#([^"]+)">([^<]+)</a>: ([^<]+)</li>', summary)]
    for anchor in re.findall(r'<li><a href="#([^"]+)">', summary):
        assert re.search(rf'<(input|select|textarea)[^>]* id="{re.escape(anchor)}"', page), anchor
    assert [anchor for anchor, _, _ in links] == [
        name for name in re.findall(r'data-field="([^"]+)" id="field-', page) if name in marked]
    assert f"{len(marked)} isian perlu diperbaiki" in summary
    assert ("file:letter", "Surat permohonan bertanda tangan (PDF)", "Berkas wajib diunggah.") in links
    assert ("domain.name", "Nama domain yang disengketakan", "Wajib diisi.") in links  # not said twice
    assert ("letter.signatory.name", "Surat permohonan › Penandatangan › Nama penandatangan", "Wajib diisi.") in [
        (a, label, m) for a, label, m in links]
    # The letter's file error stays with the file, not on the group of letter fields that shares its name,
    # and nothing asks to choose files again when none were chosen.
    assert page.count("Berkas wajib diunggah.") == 2
    # the file's control says it is invalid and why, as the other fields do (the accessibility walk-through)
    assert re.search(r'<input id="file-letter"[^>]* aria-describedby="[^"]*error-file-letter" aria-invalid="true" aria-required="true">',
                     page)
    assert "pilih kembali berkas" not in page
    assert people["ani"].get("/cases").get_json()["total"] == 0
    assert "20–5000 karakter." in page  # the description's length is said before it is broken
    # a line stops at its limit as it is typed (the UX review met them only after sending); a NIP typed in
    # groups is tidied after, so it keeps no limit on typing
    assert re.search(r'<input id="f-letter\.number" name="letter\.number" type="text"[^>]* maxlength="\d+"', page)
    assert not re.search(r'<input id="f-contact\.nip"[^>]*maxlength', page)
    assert 'placeholder="contoh: ' in page


def test_a_number_field_takes_only_ascii_digits(client, people):
    """Python's int() reads "١٢" and "1_0" as numbers; a form field does not, and says what is wrong."""
    login(client, "ani")
    for odd in ("١٢", "1_0", "１２", "nan"):
        form = _flatten(request_data())
        form["letter.attachments_count"] = odd
        form["letter"] = (io.BytesIO(make_pdf()), "surat.pdf")
        response = client.post("/cases/new", data=form, content_type="multipart/form-data")
        assert response.status_code == 422, odd
        marked = set(re.findall(r'<div class="field invalid" data-field="([^"]+)"', response.get_data(as_text=True)))
        assert marked == {"letter.attachments_count"}, (odd, marked)
        assert "Harus bilangan bulat, ditulis dengan angka 0–9." in response.get_data(as_text=True)
    assert people["ani"].get("/cases").get_json()["total"] == 0
    form = _flatten(request_data())
    form["letter.attachments_count"], form["letter"] = " 3 ", (io.BytesIO(make_pdf()), "surat.pdf")
    assert client.post("/cases/new", data=form, content_type="multipart/form-data").status_code == 302
    case = people["ani"].get("/cases").get_json()["items"][0]
    assert people["ani"].get(f"/cases/{case['id']}").get_json()["data"]["permohonan"]["letter"]["attachments_count"] == 3


def test_a_page_number_that_is_not_ascii_digits_opens_the_first_page(client, people, monkeypatch):
    monkeypatch.setattr("web.cases.PAGE", 1)
    for _ in range(2):
        file_case(people["ani"])
    login(client, "ani")
    assert "Halaman 2 dari 2" in client.get("/cases?halaman=2").get_data(as_text=True)
    for odd in ("٢", "2_0", "-2", "２"):
        assert "Halaman 1 dari 2" in client.get(f"/cases?halaman={odd}").get_data(as_text=True), odd


def field_value(page: str, name: str) -> str:
    """The value an <input>, <textarea> or <select> of the page shows (html-unescaped)."""
    import html
    tag = re.search(rf'<input id="f-{re.escape(name)}"[^>]*>', page)
    if tag:
        return html.unescape(re.search(r'value="([^"]*)"', tag.group(0)).group(1))
    area = re.search(rf'<textarea id="f-{re.escape(name)}"[^>]*>(.*?)</textarea>', page, re.S)
    if area:
        return html.unescape(area.group(1))
    select = re.search(rf'<select id="f-{re.escape(name)}".*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)" selected', select)
    return html.unescape(chosen.group(1)) if chosen else ""


def test_a_new_filing_starts_from_the_officers_last_one(client, people):
    """An agency files again with the same letterhead, contact and signatory: the form starts from them and
    says where they came from; the dispute, the domain and the letter's own details start empty."""
    login(client, "ani")
    page = client.get("/cases/new").get_data(as_text=True)
    assert 'id="prefilled"' not in page and field_value(page, "contact.nip") == ""
    assert 'id="to-first-empty"' not in page  # nothing filled: the form starts at its top
    case = file_case(people["ani"])
    page = client.get("/cases/new").get_data(as_text=True)
    notice = re.search(r'<p class="flash info" id="prefilled">(.*?)</p>', page, re.S).group(1)
    assert case["case_number"] in notice
    sent = request_data()
    assert field_value(page, "agency.name") == sent["agency"]["name"]
    assert field_value(page, "agency.address") == sent["agency"]["address"]
    assert field_value(page, "contact.nip") == sent["contact"]["nip"]
    assert field_value(page, "letter.signatory.name") == sent["letter"]["signatory"]["name"]
    assert field_value(page, "letter.addressee") == sent["letter"]["addressee"]
    for fresh in ("domain.name", "letter.number", "letter.date", "letter.subject"):
        assert field_value(page, fresh) == "", fresh
    # the notice leads to the first field still to fill in, the disputed domain (a cursor put there by the
    # page scrolled a phone past the notice and the heading: the check of the new features)
    assert 'lalu <a href="#f-domain.name" id="to-first-empty">isi yang masih kosong</a>.' in notice
    assert "autofocus" not in page.split("<form")[1]
    # an optional field left empty (an agency without a parent one) is passed over (the diff review)
    without_parent = request_data()
    del without_parent["agency"]["parent"]
    file_case(people["ani"], without_parent)
    page = client.get("/cases/new").get_data(as_text=True)
    assert field_value(page, "agency.parent") == ""
    assert 'href="#f-domain.name" id="to-first-empty"' in page
    # Another agency's officer starts from nothing of it.
    login(client, "bayu")
    page = client.get("/cases/new").get_data(as_text=True)
    assert 'id="prefilled"' not in page
    assert field_value(page, "contact.nip") == "" and field_value(page, "agency.address") == ""


def test_too_many_files_on_the_page_says_so(client, people):
    login(client, "ani")
    form = _flatten(request_data())
    form["letter"] = (io.BytesIO(make_pdf()), "surat.pdf")
    form["evidence"] = [(io.BytesIO(make_pdf()), f"bukti-{n}.pdf") for n in range(10)]
    response = client.post("/cases/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 422 and "Paling banyak 10 berkas" in response.get_data(as_text=True)
    assert people["ani"].get("/cases").get_json()["total"] == 0


def test_other_agencies_cases_and_staff_pages(client, people):
    case = file_case(people["ani"])
    login(client, "bayu")
    assert client.get(f"/cases/{case['case_number']}").status_code == 404
    assert client.get("/cases/new").status_code == 200
    client.post("/logout")
    login(client, "citra")
    assert client.get("/cases/new").status_code == 403
    page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert "Riwayat" in page and "ani" in page
    assert "15 April 2020" in page and "2020-04-15" not in page  # the letter's date as a letter writes it


def test_dates_read_as_letters_write_them():
    from engine.described import date_text
    assert date_text("2020-04-15") == "15 April 2020"
    assert date_text("2026-12-01") == "1 Desember 2026"
    assert date_text("2020-02-30") == "2020-02-30"  # not a date: shown as entered
    assert date_text("kemarin") == "kemarin" and date_text(5) == "5"


def test_a_target_just_missed_reads_as_such_not_as_zero_minutes(app):
    from datetime import datetime, timedelta, timezone
    remaining = app.jinja_env.globals["sisa_waktu"]
    now = datetime.now(timezone.utc)
    assert remaining(now - timedelta(seconds=20)) == ("baru saja terlambat", True)
    assert remaining(now - timedelta(minutes=3, seconds=5)) == ("terlambat 3 mnt", True)
    assert remaining(now + timedelta(seconds=30)) == ("sisa < 1 mnt", False)
    assert remaining(now + timedelta(minutes=9, seconds=30))[0] == "sisa 9 mnt"
    assert remaining(now + timedelta(hours=2, minutes=5, seconds=30))[0] == "sisa 2 jam 5 mnt"
    assert remaining(now - timedelta(days=2, hours=3, seconds=30)) == ("terlambat 2 hari 3 jam", True)


def test_a_notification_opens_in_this_app_and_says_mail_is_not_set_up(app, engine, people):
    from datetime import timedelta

    import time_machine

    from engine.models import utcnow
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    with time_machine.travel(utcnow() + timedelta(minutes=10, seconds=20), tick=False):
        assert engine.timers.run_pass("w1") == 1
    client = app.test_client()
    login(client, "fajar")
    page = client.get("/notifications").get_data(as_text=True)
    # the supervisor reads that no mail went; why (no mail server set up) is the administrators' to fix and read
    assert "e-mail: tidak dikirim" in page and "server e-mail belum diatur" not in page
    assert "127.0.0.1:8000" not in page
    # The card reads as a card: its mail's fields as a list, without the link line (the button is the link) or
    # the mail's subject prefix; 20 s late is not "0 menit".
    assert "Buka tugas:" not in page and "<dt>Terlambat</dt><dd>kurang dari 1 menit</dd>" in page
    assert "dikirim otomatis" not in page and "Tugas ini tetap terbuka sampai diselesaikan." in page  # no mail footer
    assert f"<dt>Nomor kasus</dt><dd>{case['case_number']}</dd>" in page and "[Sengketa]" not in page
    assert "<pre" not in page and '<div class="notification-actions">' in page
    fajar = engine.identity.by_username("fajar")
    mail = engine.notifications.list(fajar, limit=1)[0]
    assert "Buka tugas:" in mail.body and mail.subject.startswith("[Sengketa] ")
    # 'Buka' leads to the step in this app and counts the notification as read — unless another site sent the
    # browser there (the authorization probe: a link elsewhere cleared an unread escalation)
    assert engine.notifications.unread_count(fajar) == 1
    lured = client.get(f"/notifications/{mail.id}/buka", headers={"Sec-Fetch-Site": "cross-site"})
    assert lured.status_code == 302 and engine.notifications.unread_count(fajar) == 1
    opened = client.get(f"/notifications/{mail.id}/buka", headers={"Sec-Fetch-Site": "same-origin"})  # the page's
    assert opened.status_code == 302 and opened.headers["Location"] == f"/tasks/{task['id']}"
    assert engine.notifications.unread_count(fajar) == 0
    # someone else's notification, or none, is not found (and marks nothing)
    login(client, "citra")
    assert client.get(f"/notifications/{mail.id}/buka").status_code == 404
    assert client.get("/notifications/999999/buka").status_code == 404


def test_forms_without_csrf_token_are_refused(database_url, people):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "x"})
    client = app.test_client()
    refused = client.post("/login", data={"username": "citra", "password": PASSWORD})
    assert refused.status_code == 400 and "kedaluwarsa" in refused.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    ok = client.post("/login", data={"username": "citra", "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302
    app.extensions["engine"].close()


def test_each_role_starts_where_its_work_is(app, client, engine, people):
    """The UX review: an administrator and a process owner landed on an empty worklist."""
    engine.identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)
    engine.identity.add_user("hadi", "process_owner", "hadi@kominfo.go.id", PASSWORD)
    for name, start in (("gita", "/cases"), ("hadi", "/cases"), ("citra", "/worklist"), ("ani", "/worklist"),
                        ("fajar", "/worklist")):
        client.post("/logout")
        login(client, name)
        assert client.get("/").headers["Location"] == start, name
    # and their worklist opens on everything open, not on a queue they never take from (the UX walk-through)
    case = file_case(people["ani"])
    # fajar, a supervisor: every open step of his lane, which he watches rather than picks from (the walk-through:
    # he landed on an empty queue while his lane had work, with no way to narrow to it)
    page = client.get("/worklist").get_data(as_text=True)
    assert re.search(r'class="active" aria-current="page">Semua terbuka', page) and case["case_number"] in page
    assert "Hanya lajur Tim Layanan Domain" in page and "lajur=semua" in page
    everything = client.get("/worklist?tab=semua&lajur=semua").get_data(as_text=True)
    assert 'href="/worklist?tab=semua&amp;lajur=tim_layanan">Hanya lajur Tim Layanan Domain</a>' in everything
    client.post("/logout")
    login(client, "hadi")
    page = client.get("/worklist").get_data(as_text=True)
    assert re.search(r'class="active" aria-current="page">Semua terbuka', page) and case["case_number"] in page
    # no queue nor "my tasks" for a role that takes no step (the UX walk-through: two tabs always empty)
    assert ">Antrian <" not in page and ">Tugas saya <" not in page and 'id="watching"' in page
    assert case["case_number"] in client.get("/worklist?tab=saya").get_data(as_text=True)  # an old link: one list


def test_the_icon_is_served_without_a_login(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon.headers["Location"].endswith("/static/favicon.svg")
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/login").get_data(as_text=True)


def test_unknown_pages_are_404_not_500(client, people):
    login(client, "citra")
    for path in ("/tasks/bukan-id", "/cases/SNG-1", "/cases/1/documents/5", "/tidak-ada"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Tidak ditemukan" in response.get_data(as_text=True)


def _flatten(data, prefix=""):
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def test_the_process_diagram_page_serves_the_deployed_xml_and_marks_a_cases_open_step(client, people):
    assert client.get("/proses").status_code == 302  # login first
    case = file_case(people["ani"])
    login(client, "ani")
    case_page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    link = re.search(r'id="case-diagram" href="([^"]+)"', case_page).group(1).replace("&amp;", "&")
    assert "sorot=Task_PeriksaPermohonan" in link and f"versi={case['version']}" in link
    page = client.get(link).get_data(as_text=True)
    assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in page
    assert "Task_PeriksaPermohonan" in page and "<strong id=\"marked-steps\">Periksa permohonan</strong>" in page
    assert "http://" not in page and "https://" not in page
    # the drawing, said in words for whoever does not see it (the UX walk-through): its steps in order, each in
    # its lane with its target, and the box named as a group with its keys described
    steps = re.findall(r"<li>(.*?)</li>", re.search(r'<details id="diagram-steps">.*?</details>', page, re.S).group(0))
    assert steps[:6] == ["Surat permohonan diajukan — lajur Instansi (K/L/D/Desa)",
                         "Periksa permohonan — lajur Tim Layanan Domain, target 10 menit",
                         "Lengkapi permohonan — lajur Instansi (K/L/D/Desa)",
                         "Analisa aduan — lajur Tim Layanan Domain, target 15 menit",
                         "Selesaikan sengketa dan kirim konfirmasi — lajur PANDI, target 30 menit",
                         "Berikan konfirmasi/jawaban ke pemohon — lajur Tim Layanan Domain, target 15 menit"], steps
    assert 'role="group" aria-label="Diagram BPMN versi 1"' in page and 'aria-describedby="diagram-keys"' in page
    source = client.get(f"/proses/{case['version']}.bpmn")
    assert source.status_code == 200 and source.mimetype == "application/xml"
    with open("process/sengketa.bpmn", encoding="utf-8") as deployed:
        assert source.get_data(as_text=True) == deployed.read()


def test_the_process_diagram_page_refuses_unknown_versions_and_odd_marks(client, people):
    login(client, "citra")
    for version in ("999", "abc", "1.0", "-1", "2147483648", "99999999999999999999"):
        assert client.get(f"/proses?versi={version}").status_code == 404, version
    assert client.get("/proses/999.bpmn").status_code == 404
    assert client.get("/proses/99999999999999999999.bpmn").status_code == 404
    page = client.get("/proses?sorot=<script>alert(1)</script>,Task_Analisa,Task_Analisa,Teks_bebas,"
                      "Task_JawabPemohon%0A")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # only the diagram's own steps are marked, once each; nothing else typed into the link reaches the page
    assert '<strong id="marked-steps">Analisa aduan</strong>' in text
    assert "alert(1)" not in text and "Teks_bebas" not in text
    assert "Task_JawabPemohon" not in text  # a mark with a line break after it is no mark (its step is only listed)
    source = client.get("/proses/1.bpmn")
    assert source.headers["X-Content-Type-Options"] == "nosniff"
    assert source.headers["Content-Security-Policy"] == "default-src 'none'"


def test_the_diagram_opened_from_a_case_leads_back_to_it_and_offers_zoom(client, people):
    login(client, "citra")
    page = client.get("/proses?versi=1&kasus=SNG-2026-000001").get_data(as_text=True)
    assert 'id="back-to-case" href="/cases/SNG-2026-000001"' in page and 'data-zoom="in"' in page
    for odd in ("javascript:alert(1)", "SNG-2026-1%0A", "../admin", "<b>"):
        assert 'id="back-to-case"' not in client.get(f"/proses?kasus={odd}").get_data(as_text=True), odd


@pytest.mark.parametrize("typed, read", [("12", 12.0), ("2,5", 2.5), ("-0.5", -0.5), ("1e999", "1e999"),
                                         ("inf", "inf"), ("1" * 25, "1" * 25)])
def test_a_decimal_field_reads_what_a_person_writes_and_nothing_else(typed, read):
    """A number the schema then refuses as text ("Harus berupa angka") rather than infinity or 1e25."""
    from web.formdata import _number
    assert _number(typed, "number") == read


def test_a_refused_field_is_marked_for_screen_readers_and_a_choice_names_its_question(client, people):
    """The UX review: a radio group's question was a bare span (not read with its choices), and an invalid
    field said so only in colour and text, not to assistive technology."""
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    login(client, "citra")
    client.post(f"/tasks/{task['id']}/claim")
    page = client.post(f"/tasks/{task['id']}", data={"decision": "tidak_lengkap", "summary": "Kurang"}
                       ).get_data(as_text=True)
    assert re.search(r'<fieldset class="choices"[^>]*><legend class="label">Hasil pemeriksaan', page)
    missing = re.search(r'<textarea id="f-missing"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in missing and 'aria-describedby="hint-missing error-missing"' in missing
    assert re.search(r'<small class="error-text" id="error-missing">', page)  # read with its control, not shouted
    assert not re.search(r'class="error-text"[^>]*role="alert"', page)  # the summary is the one announcement
    assert page.count('role="alert"') - page.count('role="alert" hidden') == 1
    summary = re.search(r'<textarea id="f-summary"[^>]*>', page).group(0)
    assert "aria-invalid" not in summary and 'aria-describedby="hint-summary"' in summary
    assert '<a class="skip-link" href="#main">' in page and '<main id="main"' in page


def test_the_process_page_says_which_version_new_cases_use_and_leads_to_each_versions_cases(engine, client, people):
    """The analyst walk-through: six versions read alike, none marked as the one new cases start on, and no way
    to see which cases run on which."""
    from conftest import FORMS, PROCESS
    from engine.definitions import read_forms
    first = file_case(people["ani"])
    xml = PROCESS.read_bytes()
    changed = xml.replace(b">PT10M<", b">PT20M<").replace(b'"Target 10 menit"', b'"Target 20 menit"')
    assert engine.definitions.deploy(changed, read_forms(changed, FORMS)).version == 2
    second = file_case(people["ani"])
    login(client, "fajar")
    newest = client.get("/proses").get_data(as_text=True)
    assert "Versi 2 (terbaru: kasus baru memakai versi ini)" in newest
    assert "1 kasus berjalan pada versi ini, 1 seluruhnya" in newest and "Versi 1 · " in newest
    assert re.search(r"Versi 2 \(terbaru\) · [^<]+ · 1 berjalan</option>", newest)
    older = client.get("/proses?versi=1").get_data(as_text=True)
    assert "(kasus baru memakai <a href=\"/proses?versi=2\">versi 2</a>)" in older
    link = html.unescape(re.search(r'href="([^"]+versi=1)">lihat kasusnya', older).group(1))
    listed = client.get(link).get_data(as_text=True)
    assert first["case_number"] in listed and second["case_number"] not in listed
    assert "Hanya kasus pada" in listed
    missing = client.get("/cases?versi=99").get_data(as_text=True)
    assert "Diagram versi 99 tidak ada" in missing and "Belum ada kasus" not in missing  # said once
    for odd in ("abc", "0", "9" * 20):  # said so, not every case listed as if filtered (the operator probe)
        page = client.get(f"/cases?versi={odd}").get_data(as_text=True)
        assert f"Diagram versi {odd} tidak ada" in page and second["case_number"] not in page, odd
    # a page past the last is said to be one, not "no cases yet" (the UX walk-through)
    beyond = client.get("/cases?halaman=9").get_data(as_text=True)
    assert "Halaman 9 tidak ada: ada 2 kasus dalam 1 halaman" in beyond and "Belum ada kasus" not in beyond
    # an address pasted from the browser finds its domain, as the forms tidy it
    assert first["case_number"] in client.get("/cases?q=https://Contoh.go.id/beranda").get_data(as_text=True)
    client.post("/logout")
    login(client, "ani")  # an agency officer sees the diagram, not counts over every agency's cases
    assert "kasus berjalan pada versi ini" not in client.get("/proses").get_data(as_text=True)


def test_forms_leave_their_messages_to_the_server_in_indonesian(client, people):
    """The UX walk-through: a required field left empty was announced by the browser's own bubble, in the
    browser's language ("Please fill out this field."); every form with required fields says it in words."""
    from pathlib import Path
    for template in (Path(__file__).resolve().parent.parent / "web" / "templates").glob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form\b[^>]*>.*?</form>", text, re.S):
            if re.search(r"\brequired\b", form):
                assert "novalidate" in form.split(">", 1)[0], (template.name, form[:120])
    empty = client.post("/login", data={"username": "", "password": ""})
    assert empty.status_code == 401 and "Isi nama pengguna dan kata sandi." in empty.get_data(as_text=True)


def test_a_target_reads_in_days_and_hours_not_thousands_of_minutes(app):
    """The review: a three-day target would have read "target 4320 menit" in the diagram's step list."""
    said = app.jinja_env.filters["menit"]
    assert [said(m) for m in (10, 60, 90, 4320, 1441)] == ["10 menit", "1 jam", "1 jam 30 menit", "3 hari",
                                                           "1 hari 1 menit"]


def test_the_filing_form_asks_which_running_cases_name_a_domain_as_it_is_typed(client, people):
    """What same_domain.js asks while the domain is typed: the running cases the officer may see, by the
    domain however it was pasted; not a finished case, not another agency's; a clear 400 for nonsense."""
    ani, citra = people["ani"], people["citra"]
    running, finished = file_case(ani), file_case(ani)
    work(citra, open_task(citra, finished, "Task_PeriksaPermohonan"), CHECK_COMPLETE)
    work(citra, open_task(citra, finished, "Task_Analisa"), ANALYSIS_REJECT)
    work(citra, open_task(citra, finished, "Task_JawabPemohon"), ANSWER_REJECTED)
    work(ani, open_task(ani, finished, "Task_TerimaJawaban"), RECEIPT)
    assert client.get("/cases/serupa?domain=contoh.go.id").status_code == 302  # to the login page
    login(client, "ani")
    found = client.get("/cases/serupa?domain=https://CONTOH.go.id/beranda").get_json()
    assert found == {"domain": "contoh.go.id", "running": [
        {"case_number": running["case_number"], "agency": "Pemerintah Kabupaten Contoh",
         "url": f"/cases/{running['case_number']}"}]}
    assert client.get("/cases/serupa?domain=lain.go.id").get_json()["running"] == []
    assert client.get("/cases/serupa?domain=").get_json() == {"domain": "", "running": []}
    too_long = client.get("/cases/serupa?domain=" + "a" * 300)
    assert too_long.status_code == 400 and "paling panjang 253 karakter" in too_long.get_json()["detail"]
    client.post("/logout")
    login(client, "bayu")  # another agency: its officer is not told of a case it cannot open
    assert client.get("/cases/serupa?domain=contoh.go.id").get_json()["running"] == []


def test_an_unread_notification_says_so_in_words_and_the_filter_says_which_is_shown(client, people):
    """The accessibility audit: unread was a pale yellow border only (1.24:1), and the filter's links did not
    say which one was shown."""
    from samples import CHECK_INCOMPLETE
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)  # the agency is told
    login(client, "ani")
    page = client.get("/notifications").get_data(as_text=True)
    assert '<h2><span class="badge unread-mark">Belum dibaca</span> ' in page
    assert '<nav class="tabs" aria-label="Saring notifikasi">' in page
    assert re.search(r'<a href="/notifications" class="active" aria-current="page">Semua</a>', page)
    unread = client.get("/notifications?belum=1").get_data(as_text=True)
    assert re.search(r'class="active" aria-current="page">Belum dibaca', unread)
    client.post("/notifications/read")
    assert "Belum dibaca</span> " not in client.get("/notifications").get_data(as_text=True)


def test_required_fields_are_required_to_a_screen_reader_too_and_headings_do_not_skip(client, people):
    """The accessibility audit: a required field was marked by a "*" only (read as "star", or not at all, and
    explained nowhere); the agency's correction page went from the page's h1 straight to an h3."""
    from samples import CHECK_INCOMPLETE
    login(client, "ani")
    page = client.get("/cases/new").get_data(as_text=True)
    assert '<p class="hint" id="required-note">Isian bertanda <span class="req">*</span> wajib diisi.</p>' in page
    assert re.search(r'<input id="f-agency.name" [^>]*aria-required="true">', page)
    assert not re.search(r'<input id="f-agency.parent" [^>]*aria-required', page)  # optional
    assert re.search(r'<input id="file-letter" [^>]*aria-required="true">', page)
    assert page.count('<span class="req">*</span>') == 1  # the note's; each field's own star is hidden
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)
    step = open_task(people["ani"], case, "Task_LengkapiPermohonan")
    task = client.get(f"/tasks/{step['id']}").get_data(as_text=True)
    headings = re.findall(r"<h([1-6])[ >]", task[task.index("<main"):])
    assert all(int(b) <= int(a) + 1 for a, b in zip(headings, headings[1:])), headings
    assert '<div class="from-helpdesk" id="from-helpdesk"><h2>' in task
    # what a command just did is where the cursor starts on the page it leads to (a status already on the page
    # as it loads is not read out)
    login(client, "citra")
    claimed = client.post(f"/tasks/{open_task(people['citra'], file_case(people['ani']))['id']}/claim",
                          follow_redirects=True).get_data(as_text=True)
    assert re.search(r'<div class="flash success" role="status" tabindex="-1" autofocus>Tugas .* kini menjadi tugas '
                     r'Anda\.</div>', claimed)


def test_a_page_that_gives_the_cursor_to_its_own_field_keeps_it_from_the_message_above(client, people):
    """The review: the message of what was just done took the cursor (autofocus) from the login page's name box
    after a logout, and from the agencies page's refused name."""
    login(client, "ani")
    client.post("/logout")
    page = client.get("/login").get_data(as_text=True)
    assert 'class="flash' in page and 'role="status" tabindex="-1" autofocus' not in page
    assert re.search(r'<input name="username"[^>]*autofocus', page)
    client.get("/worklist")  # "Silakan masuk terlebih dahulu."
    assert 'role="status" tabindex="-1" autofocus' not in client.get("/login").get_data(as_text=True)


def test_a_commands_address_opened_again_leads_back_to_its_page_and_does_nothing(client, people):
    """The walk-through: a restored tab on /akun/token or /tasks/<id>/berikan showed "Metode tidak diizinkan"."""
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    login(client, "citra")
    for path, back in ((f"/tasks/{task['id']}/claim", f"/tasks/{task['id']}"),
                       (f"/tasks/{task['id']}/unclaim", f"/tasks/{task['id']}"),
                       (f"/tasks/{task['id']}/berikan", f"/tasks/{task['id']}"),
                       ("/akun/token", "/akun"), ("/akun/token/1/cabut", "/akun"),
                       (f"/cases/{case['case_number']}/akhiri", f"/cases/{case['case_number']}")):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"] == back, path
    assert open_task(people["citra"], case)["claimed_by"] is None  # nothing was taken
    assert len(people["citra"].get("/cases").get_json()["items"]) == 1 and \
        people["citra"].get(f"/cases/{case['id']}").get_json()["status"] == "running"


def test_the_agency_reads_its_requests_story_without_the_helpdesks_bookkeeping(client, people):
    """The walk-through: a finished case's history was 17 lines for the agency, mostly "Tugas dibuat" and
    "Tugas diambil"; the helpdesk still reads every one."""
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_COMPLETE)
    login(client, "ani")
    page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    history = re.search(r'<ol class="history" id="history">(.*?)</ol>', page, re.S).group(1)
    assert "Permohonan diajukan" in history and "Tugas diselesaikan" in history
    assert "Tugas dibuat" not in history and "Tugas diambil" not in history
    client.post("/logout")
    login(client, "citra")
    staff = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert "Tugas dibuat" in staff and "Tugas diambil" in staff


def test_the_agencys_worklist_speaks_of_its_steps_not_of_lanes(client, people):
    """The walk-through: the agency's one list still said "Hanya lajur Instansi (K/L/D/Desa) · tampilkan semua
    lajur" and had columns for its own lane, its own agency and targets its steps do not have."""
    from samples import CHECK_INCOMPLETE
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)
    login(client, "ani")
    page = client.get("/worklist").get_data(as_text=True)
    table = re.search(r'<table class="grid cards" id="worklist".*?</table>', page, re.S).group(0)
    headers = re.findall(r'<th role="columnheader">([^<]+)</th>', table)
    assert headers == ["Kasus", "Langkah", "Domain", "Menunggu", "Diambil oleh"]
    assert 'id="lane-filter"' not in page and "lajur" not in page.split('id="worklist"')[0].split("<main")[1]
    client.post("/logout")
    login(client, "citra")
    staff = re.findall(r'<th role="columnheader">([^<]+)</th>', client.get("/worklist?tab=semua").get_data(as_text=True))
    assert "Tenggat" in staff and "Diambil oleh" in staff and "Lajur" in staff  # every open step: whose lane
    file_case(people["ani"])  # one in the queue
    queue = re.findall(r'<th role="columnheader">([^<]+)</th>', client.get("/worklist?tab=antrian").get_data(as_text=True))
    # her queue: her one lane's steps, which nobody holds yet
    assert queue == ["Kasus", "Langkah", "Instansi", "Domain", "Umur", "Tenggat"]
    client.post("/logout")
    login(client, "fajar")  # a supervisor may look at every lane: the column says whose
    watched = client.get("/worklist?tab=semua&lajur=semua").get_data(as_text=True)
    assert "Lajur" in re.findall(r'<th role="columnheader">([^<]+)</th>', watched)
