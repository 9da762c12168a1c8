"""A step that reaches the agency or PANDI is announced to the officers who may work it, in the app and by
mail: they do not watch the worklist as the helpdesk does."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.models import Notification
from samples import ANALYSIS_FORWARD, ANSWER, CHECK_COMPLETE, CHECK_INCOMPLETE, CORRECTION, PANDI, RECEIPT
from smtp import free_port, mail_fixtures
from test_sop_api import file_case, open_task, work
from conftest import PASSWORD

SMTP_PORT = free_port()
smtp, app_settings = mail_fixtures(SMTP_PORT)


def notes(engine, name):
    return engine.notifications.list(engine.identity.by_username(name))


def test_a_request_sent_back_is_announced_to_its_agency_officers_only(engine, people, smtp):
    identity = engine.identity
    identity.add_user("ani2", "pemohon", "ani2@contohkab.go.id", PASSWORD, "kab-contoh")
    identity.add_user("ani3", "pemohon", "ani3@contohkab.go.id", PASSWORD, "kab-contoh")
    identity.add_user("admin1", "admin", "admin1@komdigi.go.id", PASSWORD)
    identity.set_active(identity.by_username("admin1"), "ani3", False)
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)
    correction = open_task(people["ani"], case, "Task_LengkapiPermohonan")

    for name in ("ani", "ani2"):
        [note] = notes(engine, name)
        assert case["case_number"] in note.subject and "Lengkapi permohonan" in note.subject
        assert note.link == f"https://sengketa.example.go.id/tasks/{correction['id']}"
        for words in ("instansi Anda", "Pemerintah Kabupaten Contoh", "contoh.go.id"):
            assert words in note.body, words
        assert note.delivery == "pending" and note.read_at is None
    for name in ("ani3", "bayu", "citra", "dodi", "eka", "fajar"):  # inactive, other agency, other lanes
        assert notes(engine, name) == [], name

    assert engine.outbox.deliver_due() == 2
    assert sorted(m["To"] for m in smtp.messages) == ["ani2@contohkab.go.id", "ani@contoh.go.id"]
    assert len({m["Message-ID"] for m in smtp.messages}) == 2
    assert [n.delivery for n in notes(engine, "ani")] == ["sent"]

    # Ani sends the correction: the announcement no longer waits to be read, by her or by her colleague.
    ani = engine.identity.by_username("ani")
    assert engine.notifications.unread_count(ani) == 1
    engine.tasks.claim(ani, correction["id"])
    engine.tasks.complete(ani, correction["id"], {"notes": "Surat kini ditandatangani Sekretaris Daerah."})
    assert [engine.notifications.unread_count(engine.identity.by_username(n)) for n in ("ani", "ani2")] == [0, 0]
    assert len(notes(engine, "ani2")) == 1  # still listed


def test_the_main_path_announces_the_pandi_step_and_the_answer_once_each(engine, people):
    case = file_case(people["ani"])
    citra, dodi, eka, ani = people["citra"], people["dodi"], people["eka"], people["ani"]
    work(citra, open_task(citra, case), CHECK_COMPLETE)
    work(dodi, open_task(dodi, case), ANALYSIS_FORWARD)
    assert notes(engine, "ani") == []
    [pandi] = notes(engine, "eka")
    assert "Selesaikan sengketa" in pandi.subject and "menunggu tindakan PANDI" in pandi.body
    assert "Tenggat     : " in pandi.body and "WIB" in pandi.body  # its 30-minute target
    work(eka, open_task(eka, case), PANDI)
    work(citra, open_task(citra, case), ANSWER)
    [answer] = notes(engine, "ani")
    receipt = open_task(ani, case, "Task_TerimaJawaban")
    assert answer.link.endswith(f"/tasks/{receipt['id']}")
    work(ani, receipt, RECEIPT)
    assert len(notes(engine, "ani")) == 1 and len(notes(engine, "eka")) == 1
    assert notes(engine, "bayu") == [] and notes(engine, "citra") == []


def test_a_refused_completion_announces_nothing(engine, people):
    case = file_case(people["ani"])
    citra = people["citra"]
    step = open_task(citra, case)
    citra.post(f"/tasks/{step['id']}/claim")
    refused = citra.post(f"/tasks/{step['id']}/complete", json={"data": {"decision": "tidak_lengkap",
                                                                          "summary": "Kurang."}})
    assert refused.status_code == 422
    with engine.store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_the_agency_officer_opens_the_announced_step_from_the_app(app, engine, people):
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)
    correction = open_task(people["ani"], case)
    client = app.test_client()
    client.post("/login", data={"username": "ani", "password": PASSWORD})
    page = client.get("/notifications").get_data(as_text=True)
    assert "Menunggu tindakan Anda: Lengkapi permohonan" in page and case["case_number"] in page
    assert 'class="unread-count"' in page
    [note] = notes(engine, "ani")
    opened = client.get(f"/notifications/{note.id}/buka")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/tasks/{correction['id']}"
    assert engine.notifications.unread_count(engine.identity.by_username("ani")) == 0


def test_a_command_without_the_case_at_hand_announces_from_the_case_row(engine, people):
    """A timer's command, say, knows only the instance: the announcement reads number, agency and domain."""
    from engine.execution import NewTask
    from engine.models import utcnow
    from engine.notifications import announce_step
    case = file_case(people["ani"])
    step = NewTask("00000000-0000-0000-0000-00000000abcd", "Task_PenyelesaianPandi", "Selesaikan sengketa", "pandi",
                   None, utcnow(), None)
    with engine.store.command(write=True) as tx:
        announce_step(tx, engine.execution.settings, case["id"], step)
    [note] = notes(engine, "eka")
    assert case["case_number"] in note.subject and "Target" not in note.body
    for words in ("Pemerintah Kabupaten Contoh", "contoh.go.id", "menunggu tindakan PANDI"):
        assert words in note.body


def test_an_announcement_carries_what_the_step_is_sent_to_act_on(app, engine, people, smtp):
    """The agency reads the deficiencies and, later, the answer; PANDI the analysis it carries out — in the mail
    itself, under the titles of the form that filled them, without signing in."""
    case = file_case(people["ani"])
    citra, dodi, eka, ani = people["citra"], people["dodi"], people["eka"], people["ani"]
    work(citra, open_task(citra, case), CHECK_INCOMPLETE)
    [incomplete] = notes(engine, "ani")
    assert ("\n\nAduan penyelesaian perselisihan:\n"
            "  Hasil pemeriksaan: Tidak lengkap — dikembalikan ke pemohon untuk dilengkapi\n"
            "  Ringkasan aduan: Surat belum ditandatangani Sekretaris Daerah.\n"
            "  Kekurangan yang harus dilengkapi: Surat permohonan bertanda tangan Sekretaris Daerah.\n"
            "\nBuka tugas:") in incomplete.body
    assert engine.outbox.deliver_due() == 1
    [mail] = smtp.messages
    assert "Kekurangan yang harus dilengkapi: Surat permohonan bertanda tangan Sekretaris Daerah." \
        in mail.get_payload(decode=True).decode()

    client = app.test_client()
    client.post("/login", data={"username": "ani", "password": PASSWORD})
    page = client.get("/notifications").get_data(as_text=True)
    assert "<h3>Aduan penyelesaian perselisihan</h3>" in page
    assert ("<dt>Kekurangan yang harus dilengkapi</dt><dd>Surat permohonan bertanda tangan Sekretaris Daerah.</dd>"
            in page)

    work(ani, open_task(ani, case, "Task_LengkapiPermohonan"), CORRECTION)
    work(citra, open_task(citra, case), CHECK_COMPLETE)
    work(dodi, open_task(dodi, case), ANALYSIS_FORWARD)
    [pandi] = notes(engine, "eka")
    # under the data object's name, the field says only what it adds (not "Keputusan hasil analisa" twice)
    assert "Keputusan hasil analisa:\n  Keputusan: Diteruskan ke PANDI untuk diselesaikan\n" in pandi.body
    assert "  Tindakan yang direkomendasikan: Pengalihan domain\n" in pandi.body
    work(eka, open_task(eka, case), PANDI)
    work(citra, open_task(citra, case), ANSWER)
    answer = notes(engine, "ani")[0]
    assert "Konfirmasi/jawaban ke pemohon:\n  Hasil penyelesaian: Pengalihan domain\n" in answer.body
    assert f"  Isi jawaban kepada pemohon: {ANSWER['answer']}\n" in answer.body


def test_data_reads_as_its_form_names_it():
    from engine.described import lines
    schema = {"properties": {
        "choice": {"title": "Pilihan", "oneOf": [{"const": "a", "title": "Pilihan A"}]},
        "ok": {"title": "Sah"}, "day": {"title": "Tanggal", "format": "date"},
        "text": {"title": "Uraian"}, "group": {"title": "Kelompok", "properties": {"inner": {"title": "Dalam"}}}}}
    value = {"choice": "a", "ok": False, "day": "2020-04-15", "text": "baris satu\nbaris dua\n",
             "group": {"inner": True}, "unknown": 7}
    assert lines(value, schema) == [
        "Pilihan: Pilihan A", "Sah: Tidak", "Tanggal: 15 April 2020",
        "Uraian:", "  baris satu", "  baris dua",
        "Kelompok:", "  Dalam: Ya", "unknown: 7"]


def test_the_page_reads_a_block_of_data_in_a_notification_as_pairs():
    from web.notifications import body_parts
    body = ("Pembuka.\n\nNomor kasus : SNG-2026-000001\n\nAduan:\n  Hasil: Tidak lengkap\n  Kekurangan:\n"
            "    Surat belum ditandatangani.\n    NIP salah.\n  Catatan: -\n\nBuka tugas: http://x/tasks/1\n\nPenutup.")
    assert body_parts(body) == [
        ("text", "Pembuka."), ("fields", [("Nomor kasus", "SNG-2026-000001")]),
        ("block", ("Aduan", [["Hasil", "Tidak lengkap"], ["Kekurangan", "Surat belum ditandatangani.\nNIP salah."],
                             ["Catatan", "-"]])),
        ("text", "Penutup.")]
    # a case-ended message's link and the mail's footer are the mail's, not the page's (the staff walk-through)
    ended = "Kasus dibatalkan.\n\nNomor kasus : SNG-2026-000002\n\nBuka kasus: http://x/cases/SNG\n\n" \
            "Pesan ini dikirim otomatis oleh Sengketa; tidak perlu dibalas."
    assert body_parts(ended) == [("text", "Kasus dibatalkan."), ("fields", [("Nomor kasus", "SNG-2026-000002")])]


def test_mail_for_an_officer_deactivated_or_moved_since_is_withdrawn(app, engine, people, smtp):
    """An announcement carries the case's details: an officer deactivated, or moved to another agency, after it
    was written is not mailed it, and a moved officer no longer reads it in the app."""
    identity = engine.identity
    identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)
    identity.add_user("ani2", "pemohon", "ani2@contohkab.go.id", PASSWORD, "kab-contoh")
    identity.add_user("ani3", "pemohon", "ani3@contohkab.go.id", PASSWORD, "kab-contoh")
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)
    gita = identity.by_username("gita")
    identity.set_active(gita, "ani", False)
    identity.change_user(gita, "ani2", "pemohon", "ani2@kotacontoh.go.id", "kota-contoh")

    assert engine.outbox.deliver_due() == 1
    assert [m["To"] for m in smtp.messages] == ["ani3@contohkab.go.id"]
    with engine.store.transaction() as session:
        kept = dict(session.execute(select(Notification.user_id, Notification.delivery)).all())
    assert {identity.by_username(n).id: d for n, d in (("ani", "withdrawn"), ("ani2", "withdrawn"),
                                                       ("ani3", "sent"))} == kept
    assert notes(engine, "ani2") == [] and engine.notifications.unread_count(identity.by_username("ani2")) == 0
    [seen] = notes(engine, "ani3")
    assert seen.delivery == "sent"

    identity.set_active(gita, "ani", True)  # back: her own agency's notification, its mail not sent after all
    client = app.test_client()
    client.post("/login", data={"username": "ani", "password": PASSWORD})
    page = client.get("/notifications").get_data(as_text=True)
    assert "e-mail: tidak dikirim: penerima tidak lagi berwenang atas kasus ini" in page


def test_mail_asking_for_a_step_someone_has_done_is_not_sent(engine, people, smtp):
    """The review: once one officer had sent the agency's correction, the others' 'Menunggu tindakan Anda'
    mail still went out if it had not yet (SMTP slow or down): it is now withdrawn with the reason."""
    engine.identity.add_user("ani2", "pemohon", "ani2@contohkab.go.id", PASSWORD, "kab-contoh")
    ani, citra = people["ani"], people["citra"]
    case = file_case(ani)
    work(citra, open_task(citra, case), CHECK_INCOMPLETE)
    work(ani, open_task(ani, case, "Task_LengkapiPermohonan"), CORRECTION)
    assert engine.outbox.deliver_due() == 0 and smtp.messages == []
    [asked] = notes(engine, "ani2")
    assert asked.delivery == "withdrawn" and asked.note.startswith("Tidak dikirim: langkahnya sudah dikerjakan")


def test_an_officer_deactivated_while_the_batch_goes_out_is_not_mailed(engine, people, smtp):
    """The review: whether a recipient may still see the case was checked when the batch was leased only;
    an officer deactivated while earlier messages went out was still mailed."""
    identity = engine.identity
    identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)
    identity.add_user("ani2", "pemohon", "ani2@contohkab.go.id", PASSWORD, "kab-contoh")
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)
    connect = engine.outbox._connect

    def connect_while_ani2_leaves():
        identity.set_active(identity.by_username("gita"), "ani2", False)
        return connect()
    engine.outbox._connect = connect_while_ani2_leaves
    assert engine.outbox.deliver_due() == 1
    assert [m["To"] for m in smtp.messages] == ["ani@contoh.go.id"]
    with engine.store.transaction() as session:
        kept = session.scalar(select(Notification.delivery).where(
            Notification.user_id == identity.by_username("ani2").id))
    assert kept == "withdrawn"


def test_a_step_nobody_active_may_work_is_told_to_the_administrators(app, engine, people, smtp):
    """An agency whose only officer has left: its correction step would wait unseen. The administrators read
    who is missing, in the app (there is nobody to mail); a later announcement to officers is as before."""
    identity = engine.identity
    identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)
    case = file_case(people["ani"])
    identity.set_active(identity.by_username("gita"), "ani", False)
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)
    [told] = notes(engine, "gita")
    assert told.subject.startswith("[Sengketa] Tidak ada petugas untuk: Lengkapi permohonan")
    assert "tidak ada petugas aktif Pemerintah Kabupaten Contoh" in told.body
    assert told.link.endswith(f"/cases/{case['case_number']}") and told.delivery == "no_address"
    assert engine.outbox.deliver_due() == 0 and smtp.messages == []
    for name in ("ani", "bayu", "citra", "eka", "fajar"):
        assert notes(engine, name) == [], name

    other = file_case(people["bayu"])  # an agency with its officer: no word to the administrators
    work(people["citra"], open_task(people["citra"], other), CHECK_INCOMPLETE)
    assert len(notes(engine, "gita")) == 1 and len(notes(engine, "bayu")) == 1


def test_a_step_cancelled_by_the_engine_stops_asking_anyone(engine, people):
    """A diagram whose PANDI target interrupts the step: once the timer cancels it, its announcement no
    longer counts as waiting to be read."""
    from datetime import timedelta

    import time_machine
    from conftest import FORMS, PROCESS
    from engine.definitions import read_forms
    from engine.models import utcnow
    bpmn = PROCESS.read_bytes()
    interrupting = bpmn.replace(b'id="Timer_Pandi" name="Target 30 menit" cancelActivity="false"',
                                b'id="Timer_Pandi" name="Target 30 menit" cancelActivity="true"')
    assert interrupting != bpmn
    engine.definitions.deploy(interrupting, read_forms(interrupting, FORMS))
    case = file_case(people["ani"])
    citra, dodi = people["citra"], people["dodi"]
    work(citra, open_task(citra, case), CHECK_COMPLETE)
    work(dodi, open_task(dodi, case), ANALYSIS_FORWARD)
    eka = engine.identity.by_username("eka")
    assert engine.notifications.unread_count(eka) == 1
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        assert engine.timers.run_pass("w1") == 1
    assert "Task_PenyelesaianPandi" not in [t["element_id"] for t in
                                           people["eka"].get(f"/cases/{case['id']}").get_json()["open_tasks"]]
    assert engine.notifications.unread_count(eka) == 0 and len(notes(engine, "eka")) == 1
