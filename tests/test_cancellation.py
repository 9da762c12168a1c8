"""Ending a case before its process does: the agency withdraws a duplicate, a process owner cancels a case.
The open steps leave every worklist, the targets stop, the history says who and why; nobody else may."""
from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta

import time_machine
from sqlalchemy import select

from conftest import PASSWORD, ApiUser
from engine.models import HumanTask, Timer, utcnow
from engine.errors import Conflict
from samples import ANALYSIS_FORWARD, CHECK_COMPLETE
from test_pages import login
from test_sop_api import file_case, open_task, work


def test_the_agency_withdraws_a_duplicate_and_it_leaves_every_worklist(engine, people):
    ani, citra, fajar = people["ani"], people["citra"], people["fajar"]
    case = file_case(ani)
    step = open_task(citra, case)
    citra.post(f"/tasks/{step['id']}/claim")
    body = ani.post(f"/cases/{case['id']}/cancel", json={"reason": "Pengajuan ganda dengan kasus sebelumnya."})
    assert body.status_code == 200, body.get_json()
    view = body.get_json()
    # withdrawn by its agency, not cancelled: the agency's list and a process owner's filter tell the two apart
    assert view["status"] == "withdrawn" and view["completed_at"] and view["open_tasks"] == []
    assert [h["event"] for h in view["history"]][-1] == "case_withdrawn" and view["history"][-1]["user"] == "ani"
    assert view["history"][-1]["reason"] == "Pengajuan ganda dengan kasus sebelumnya."  # API clients read it too
    assert citra.get("/tasks?view=mine").get_json()["items"] == [] and citra.get("/tasks").get_json()["items"] == []
    with engine.store.transaction() as session:
        assert session.scalar(select(HumanTask.state).where(HumanTask.id == step["id"])) == "cancelled"
        assert set(session.scalars(select(Timer.state))) == {"cancelled"}
    # Citra, whose claimed step it took away, is told why; Ani, who withdrew it, is not told of her own act
    [told] = engine.notifications.list(engine.identity.by_username("citra"))
    assert case["case_number"] in told.subject and "ditarik oleh instansi pemohonnya" in told.subject
    assert "Alasan      : Pengajuan ganda dengan kasus sebelumnya." in told.body
    assert [n.subject for n in engine.notifications.list(engine.identity.by_username("ani"))
            if "ditarik" in n.subject] == []
    # its target no longer runs: nobody is told it was missed
    with time_machine.travel(utcnow() + timedelta(minutes=30), tick=False):
        assert engine.timers.run_pass("w1") == 0
    assert engine.notifications.list(engine.identity.by_username("fajar")) == []
    # the step cannot be sent any more, and the case cannot be ended twice
    assert citra.post(f"/tasks/{step['id']}/complete", json={"data": CHECK_COMPLETE}).status_code == 409
    again = ani.post(f"/cases/{case['id']}/cancel", json={"reason": "Lagi."})
    assert again.status_code == 409 and "sudah selesai atau diakhiri" in again.get_json()["detail"]
    withdrawn = fajar.get("/cases?status=withdrawn").get_json()["items"]
    assert [c["case_number"] for c in withdrawn] == [case["case_number"]]
    assert fajar.get("/cases?status=cancelled").get_json()["items"] == []


def test_only_the_agency_a_process_owner_or_an_administrator_ends_a_case(app, engine, people):
    ani, bayu, citra, eka, fajar = (people[n] for n in ("ani", "bayu", "citra", "eka", "fajar"))
    case = file_case(ani)
    reason = {"reason": "Tidak berwenang."}
    assert bayu.post(f"/cases/{case['id']}/cancel", json=reason).status_code == 404  # another agency's: unseen
    for person in (citra, eka, fajar):
        refused = person.post(f"/cases/{case['id']}/cancel", json=reason)
        assert refused.status_code == 403 and "pemilik proses atau administrator" in refused.get_json()["detail"]
    for body, words in (({}, "Wajib diisi"), ({"reason": "   "}, "Wajib diisi"), ({"reason": "\u200b"}, "Wajib diisi"),
                        ({"reason": "x" * 1001}, "maksimal 1000"), ({"reason": 7}, "harus berupa teks")):
        refused = ani.post(f"/cases/{case['id']}/cancel", json=body)
        assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "reason", body
        assert words in refused.get_json()["errors"][0]["message"], body
    # who may, and which case, come before the reason (the API probe: an empty reason was 422 for anyone, any id)
    assert bayu.post(f"/cases/{case['id']}/cancel", json={}).status_code == 404
    assert ani.post("/cases/999999/cancel", json={}).status_code == 404
    assert citra.post(f"/cases/{case['id']}/cancel", json={"reason": ""}).status_code == 403
    assert ani.post(f"/cases/{case['id']}/cancel", data="[1]", content_type="application/json").status_code == 400
    assert ani.get(f"/cases/{case['id']}").get_json()["status"] == "running"  # none of it changed anything
    assert open_task(citra, case)["element_id"] == "Task_PeriksaPermohonan"

    engine.identity.add_user("pemilik", "process_owner", "pemilik@komdigi.go.id", PASSWORD)
    owner = ApiUser(app.test_client(), "pemilik", engine.tokens.new("pemilik"))
    done = owner.post(f"/cases/{case['id']}/cancel", json={"reason": "Diselesaikan antarinstansi."})
    assert done.status_code == 200 and done.get_json()["history"][-1]["event"] == "case_cancelled"
    assert done.get_json()["status"] == "cancelled"  # (the agency's own ending is "withdrawn")
    page = app.test_client()
    login(page, "ani")  # the agency is told who that was, and where to ask (the walk-through: a bare name)
    notice = re.search(r'<p class="notice ended" id="case-ended">(.*?)</p>',
                       page.get(f"/cases/{case['case_number']}").get_data(as_text=True)).group(1)
    assert "Kasus dibatalkan oleh pemilik (Kementerian)" in notice and "hubungi Tim Layanan Domain" in notice
    # the agency that filed it is told (nobody held a step: only Ani, not Bayu of another agency)
    [told] = engine.notifications.list(engine.identity.by_username("ani"))
    assert "dibatalkan" in told.subject and "Diselesaikan antarinstansi." in told.body
    assert engine.notifications.list(engine.identity.by_username("bayu")) == []


def test_a_finished_case_cannot_be_cancelled(people):
    from samples import ANALYSIS_REJECT, ANSWER_REJECTED, RECEIPT
    ani, citra = people["ani"], people["citra"]
    case = file_case(ani)
    for data in (CHECK_COMPLETE, ANALYSIS_REJECT, ANSWER_REJECTED):
        work(citra, open_task(citra, case), data)
    work(ani, open_task(ani, case), RECEIPT)
    assert ani.get(f"/cases/{case['id']}").get_json()["status"] == "completed"
    assert ani.post(f"/cases/{case['id']}/cancel", json={"reason": "Terlambat."}).status_code == 409
    # a finished case is not asked for a reason first (the API probe: 422 "Wajib diisi", as if one would do)
    refused = ani.post(f"/cases/{case['id']}/cancel", json={})
    assert refused.status_code == 409 and refused.get_json()["code"] == "not_running"


def test_withdrawing_on_the_case_page_says_why_in_the_history(client, people):
    case = file_case(people["ani"])
    login(client, "ani")
    page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert "<summary>Tarik permohonan ini</summary>" in page
    refused = client.post(f"/cases/{case['case_number']}/akhiri", data={"reason": " "})
    text = refused.get_data(as_text=True)
    # the panel open again, its box marked and its problem beside it (the walk-through: only a flash above,
    # the panel closed, the box unmarked)
    assert refused.status_code == 422 and '<details class="card end-case" id="end-case" open>' in text
    assert re.search(r'<textarea id="f-reason"[^>]*aria-describedby="reason-hint reason-error" aria-invalid="true"',
                     text)
    assert '<small class="error-text" id="reason-error">Permohonan belum ditarik: tuliskan alasannya.</small>' in text
    typed = "Pengajuan ganda. " * 70  # over its 1000 characters: what was typed comes back, to shorten
    too_long = client.post(f"/cases/{case['case_number']}/akhiri", data={"reason": typed})
    assert too_long.status_code == 422 and f">{typed}</textarea>" in too_long.get_data(as_text=True)
    done = client.post(f"/cases/{case['case_number']}/akhiri", data={"reason": "Pengajuan ganda."},
                       follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Permohonan ditarik." in page and 'id="case-status">Ditarik<' in page
    assert re.search(r"Permohonan ditarik oleh instansi</strong> — <span class=\"user\">ani</span>"
                     r"<br><small class=\"reason\">Alasan: Pengajuan ganda\.</small>", page)
    assert 'id="end-case"' not in page  # nothing left to end
    history = people["ani"].get(f"/cases/{case['id']}").get_json()["history"]
    [closed] = [h["task_id"] for h in history if h["event"] == "task_created"]
    assert "Tugas ini ditutup karena permohonannya ditarik oleh instansi pemohon" in client.get(
        f"/tasks/{closed}").get_data(as_text=True)
    # the case's steps say so too: closed by the withdrawal, not "Dibatalkan", and not "finished" at a time
    row = re.search(r'<tr role="row" class="">\s*<td role="cell" data-label="Langkah">Periksa permohonan</td>.*?</tr>',
                    page, re.S).group(0)
    assert "Ditutup (permohonan ditarik)" in row and 'data-label="Selesai">–</td>' in row
    client.post("/logout")
    login(client, "citra")  # the helpdesk reads it, and is not offered to end cases
    assert 'id="end-case"' not in client.get(f"/cases/{case['case_number']}").get_data(as_text=True)


def test_mail_still_waiting_for_a_cancelled_case_is_not_sent_and_those_it_asked_are_told(app, engine, people):
    """The review: a case waiting at PANDI was cancelled; PANDI's 'Menunggu tindakan Anda' mail still went
    out (SMTP was slow or down), and PANDI was never told the case had ended (nobody there held the step)."""
    citra = people["citra"]
    case = file_case(people["ani"])
    work(citra, open_task(citra, case), CHECK_COMPLETE)
    work(citra, open_task(citra, case), ANALYSIS_FORWARD)  # announced to Eka (PANDI), mail not yet sent
    engine.identity.add_user("pemilik", "process_owner", "pemilik@komdigi.go.id", PASSWORD)
    owner = ApiUser(app.test_client(), "pemilik", engine.tokens.new("pemilik"))
    assert owner.post(f"/cases/{case['id']}/cancel", json={"reason": "Diselesaikan antarinstansi."}).status_code == 200
    eka = engine.identity.by_username("eka")
    told, asked = engine.notifications.list(eka)
    assert "dibatalkan" in told.subject and told.delivery == "pending"
    assert "Menunggu tindakan Anda" in asked.subject and asked.delivery == "withdrawn"
    assert asked.note == "Tidak dikirim: kasusnya diakhiri sebelum pesan ini terkirim."


def test_a_claim_at_the_moment_of_cancelling_waits_and_then_finds_the_step_gone(engine, people, monkeypatch):
    """The review: a claim landing between the ending's read of who holds what and the steps' cancellation
    was cancelled unannounced. The open steps are locked first: the claim waits, then is refused (409)."""
    case = file_case(people["ani"])
    step = open_task(people["citra"], case)
    citra = engine.identity.by_username("citra")
    engine.identity.add_user("pemilik", "process_owner", "pemilik@komdigi.go.id", PASSWORD)
    real_load, outcome, claim = engine.execution.load, [], None

    def claim_now():
        try:
            outcome.append(engine.tasks.claim(citra, step["id"]))
        except Conflict as exc:
            outcome.append(exc)

    def load_while_a_claim_comes_in(tx, instance):
        nonlocal claim
        claim = threading.Thread(target=claim_now)
        claim.start()
        time.sleep(0.3)  # the claim reaches the database while the ending holds the case and its steps
        return real_load(tx, instance)
    monkeypatch.setattr(engine.execution, "load", load_while_a_claim_comes_in)
    engine.cancellations.end(engine.identity.by_username("pemilik"), case["id"], "Diselesaikan antarinstansi.")
    claim.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict) and outcome[0].code == "not_ready", outcome
    with engine.store.transaction() as session:
        assert session.execute(select(HumanTask.state, HumanTask.claimed_by)
                               .where(HumanTask.id == step["id"])).one() == ("cancelled", None)


def test_a_reason_written_over_several_lines_is_counted_as_the_browser_counts_it(client, people):
    """The review: the text area allows 1000 characters, counting a line break as one; the browser sends
    CRLF, and the server refused the reason as too long."""
    case = file_case(people["ani"])
    login(client, "ani")
    typed = "\n".join(["Pengajuan ganda dengan kasus lain; " + "x" * 70] * 10)[:1000]
    done = client.post(f"/cases/{case['case_number']}/akhiri", data={"reason": typed.replace("\n", "\r\n")},
                       follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Terlalu panjang" not in page and "Permohonan ditarik." in page


def test_a_reason_that_is_no_text_is_refused_and_the_case_page_still_opens(app, engine, people):
    """A lone surrogate (half a character) or a control character in a reason was stored, and the case page
    then failed for everyone: such a reason is refused, and nothing ends."""
    ani = people["ani"]
    case = file_case(ani)
    for reason, status in (("\ud800 ganda", 400), ("a\u0000b", 422), ("\u001b[31mmerah", 422)):
        refused = ani.post(f"/cases/{case['id']}/cancel", data=json.dumps({"reason": reason}),
                           content_type="application/json")
        assert refused.status_code == status, (reason, refused.get_json())
        assert refused.mimetype == "application/problem+json"
    assert ani.get(f"/cases/{case['id']}").get_json()["status"] == "running"
    page = app.test_client()
    login(page, "ani")
    assert page.get(f"/cases/{case['case_number']}").status_code == 200
    done = ani.post(f"/cases/{case['id']}/cancel", json={"reason": "Ganda.\r\nSudah diajukan."})
    assert done.status_code == 200 and done.get_json()["history"][-1]["reason"] == "Ganda.\nSudah diajukan."


def test_the_diagram_of_a_case_ended_early_marks_where_it_stopped(app, people):
    ani = people["ani"]
    case = file_case(ani)
    ani.post(f"/cases/{case['id']}/cancel", json={"reason": "Ganda."})
    page = app.test_client()
    login(page, "ani")
    link = re.search(r'id="case-diagram" href="([^"]+)"', page.get(f"/cases/{case['case_number']}")
                     .get_data(as_text=True)).group(1).replace("&amp;", "&")
    assert "sorot=Task_PeriksaPermohonan" in link  # the step it stopped at, not an empty mark
    assert 'id="marked-steps">Periksa permohonan<' in page.get(link).get_data(as_text=True)


def test_an_ending_saved_is_said_to_be_saved_even_if_reading_the_case_back_fails(engine, people, monkeypatch):
    """The race probe: the API read the case back after the ending had committed; the database gone at that
    moment answered 503 "nothing was saved", and the client's retry was told the case had already ended."""
    from engine.errors import Unavailable
    ani = people["ani"]
    case = file_case(ani)

    def gone(*_args, **_kwargs):
        raise Unavailable("db_unavailable", "Koneksi ke basis data terputus; perubahan Anda belum tersimpan.")
    monkeypatch.setattr(engine.instances, "get", gone)
    answer = ani.post(f"/cases/{case['id']}/cancel", json={"reason": "Pengajuan ganda."})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"id": case["id"], "case_number": case["case_number"], "status": "withdrawn",
                                 "history": [{"event": "case_withdrawn"}]}
    monkeypatch.undo()
    assert ani.get(f"/cases/{case['id']}").get_json()["status"] == "withdrawn"
