"""A request sent back as incomplete is corrected by its agency, not only explained: the correction step shows
the request as recorded, and what the officer changes replaces it in the case (x-amends)."""
from __future__ import annotations

import copy
import io
import re

import pytest

from conftest import FORMS, PROCESS
from engine.definitions import read_forms
from engine.errors import DeploymentError
from samples import CHECK_COMPLETE, CHECK_INCOMPLETE, CORRECTION, make_pdf
from test_pages import login
from test_sop_api import file_case, open_task, work


def sent_back(people):
    case = file_case(people["ani"])
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)
    return case, open_task(people["ani"], case, "Task_LengkapiPermohonan")


def flat(value, prefix=""):
    """A nested request as a page posts it: one dotted field per value."""
    for name, item in value.items():
        if isinstance(item, dict):
            yield from flat(item, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", str(item)


def test_the_agency_corrects_the_requests_domain_and_the_case_follows(engine, people):
    ani, citra = people["ani"], people["citra"]
    case, step = sent_back(people)
    detail = ani.get(f"/tasks/{step['id']}").get_json()
    request = detail["current"]["permohonan"]
    assert request["domain"]["name"] == "contoh.go.id" and "permohonan" in detail["form"]["properties"]
    fixed = copy.deepcopy(request)
    fixed["domain"]["name"] = "https://KabContoh.go.id/"  # tidied as the start form tidies it
    fixed["letter"]["signatory"]["name"] = "Siti Rahayu, S.H."
    sent = ani.post(f"/tasks/{step['id']}/complete", json={"data": {**CORRECTION, "permohonan": fixed}})
    assert sent.status_code == 200, sent.get_json()

    view = ani.get(f"/cases/{case['id']}").get_json()
    assert view["domain"] == "kabcontoh.go.id"
    assert view["data"]["permohonan"]["domain"]["name"] == "kabcontoh.go.id"
    assert view["data"]["permohonan"]["letter"]["signatory"]["name"] == "Siti Rahayu, S.H."
    assert view["data"]["correction"] == CORRECTION  # the step's own data, without the request
    history = engine.instances.get(engine.identity.by_username("ani"), case["id"]).history
    [done] = [h for h in history if h.event == "task_completed" and h.task_id == step["id"]]
    assert done.detail["permohonan"]["domain"]["name"] == "kabcontoh.go.id"  # what was corrected, recorded
    assert done.detail["x-amended"] == {"permohonan": ["Nama domain yang disengketakan", "Nama penandatangan"]}
    listed = ani.get("/cases?q=kabcontoh").get_json()["items"]
    assert [c["case_number"] for c in listed] == [case["case_number"]]
    # found by what the corrected request says (the signatory's title was added)
    assert [c["case_number"] for c in ani.get("/cases?q=rahayu, s.h.").get_json()["items"]] == [case["case_number"]]
    # The check that follows reads the corrected request.
    recheck = open_task(citra, case, "Task_PeriksaPermohonan")
    inputs = citra.get(f"/tasks/{recheck['id']}").get_json()["inputs"]
    assert inputs["permohonan"]["value"]["domain"]["name"] == "kabcontoh.go.id"
    # ... and is told which fields the agency corrected, not left to compare the whole request again
    assert inputs["permohonan"]["corrected"]["fields"] == ["Nama domain yang disengketakan", "Nama penandatangan"]
    assert inputs["permohonan"]["corrected"]["at"] == done.at.isoformat()
    assert "corrected" not in inputs["correction"]  # (the agency's note itself is not a correction)
    work(citra, recheck, CHECK_COMPLETE)
    analysis = citra.get(f"/tasks/{open_task(citra, case, 'Task_Analisa')['id']}").get_json()["inputs"]
    assert "permohonan" in analysis and [k for k, v in analysis.items() if "corrected" in v] == []  # the check read it


def test_a_third_check_is_told_only_of_what_changed_since_the_second(people):
    """The API probe: sent back twice, corrected the first time only, the third check was still told of the
    first correction, which the second check had read."""
    ani, citra = people["ani"], people["citra"]
    case, step = sent_back(people)
    fixed = copy.deepcopy(ani.get(f"/tasks/{step['id']}").get_json()["current"]["permohonan"])
    fixed["contact"]["mobile"] = "081298765432"
    assert ani.post(f"/tasks/{step['id']}/complete",
                    json={"data": {**CORRECTION, "permohonan": fixed}}).status_code == 200
    second = open_task(citra, case, "Task_PeriksaPermohonan")
    seen = citra.get(f"/tasks/{second['id']}").get_json()
    assert seen["inputs"]["permohonan"]["corrected"]["fields"] == ["Nomor ponsel"]
    # beside it, what the agency was asked (the walk-through: a colleague re-checking could not see it)
    assert seen["asked"]["complaint"]["value"]["missing"] == CHECK_INCOMPLETE["missing"]
    work(citra, second, {**CHECK_INCOMPLETE, "missing": "Surat pengganti bertanda tangan basah."})
    again = open_task(ani, case, "Task_LengkapiPermohonan")
    assert ani.post(f"/tasks/{again['id']}/complete", json={"data": CORRECTION}).status_code == 200  # no change
    third = citra.get(f"/tasks/{open_task(citra, case, 'Task_PeriksaPermohonan')['id']}").get_json()
    assert "corrected" not in third["inputs"]["permohonan"]
    # what was asked the second time is still beside it: a note (and a new letter) is the usual answer (review)
    assert third["asked"]["complaint"]["value"]["missing"] == "Surat pengganti bertanda tangan basah."
    work(citra, open_task(citra, case, "Task_PeriksaPermohonan"), CHECK_COMPLETE)
    analysis = citra.get(f"/tasks/{open_task(citra, case, 'Task_Analisa')['id']}").get_json()
    assert analysis["asked"] == {}  # the check read the answer


def test_a_wrong_correction_is_refused_field_by_field_and_changes_nothing(people):
    ani = people["ani"]
    case, step = sent_back(people)
    request = ani.get(f"/tasks/{step['id']}").get_json()["current"]["permohonan"]
    broken = copy.deepcopy(request)
    broken["contact"]["nip"] = "198613262015051001"  # month 13
    broken["domain"]["name"] = "contoh.com"
    broken["letter"]["date"] = "2999-01-01"  # the API probe: the start form's own keywords were not applied here
    refused = ani.post(f"/tasks/{step['id']}/complete", json={"data": {"notes": "x", "permohonan": broken}})
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.get_json()["errors"]}
    assert {"notes", "permohonan.contact.nip", "permohonan.domain.name", "permohonan.letter.date"} <= fields
    view = ani.get(f"/cases/{case['id']}").get_json()
    assert view["domain"] == "contoh.go.id" and view["data"]["permohonan"] == request
    assert open_task(ani, case)["id"] == step["id"]
    # Sending no request at all keeps the recorded one.
    assert ani.post(f"/tasks/{step['id']}/complete", json={"data": CORRECTION}).status_code == 200
    assert ani.get(f"/cases/{case['id']}").get_json()["data"]["permohonan"] == request


def test_the_correction_page_shows_the_request_filled_in_and_sends_the_change(client, people):
    ani = people["ani"]
    case, step = sent_back(people)
    request = ani.get(f"/tasks/{step['id']}").get_json()["current"]["permohonan"]
    login(client, "ani")
    page = client.get(f"/tasks/{step['id']}").get_data(as_text=True)
    form = page[page.index('id="task-form"'):]
    assert 'name="permohonan.domain.name"' in form and 'value="contoh.go.id"' in form
    # what is corrected first, then the note that explains it (the walk-through: the note came first)
    assert form.index('name="permohonan.domain.name"') < form.index('name="notes"')
    assert re.search(r'name="permohonan.letter.signatory.nip"[^>]*value="197001011995032002"', form)
    inputs = page[page.index('id="task-inputs"'):]
    assert "Budi Santoso" not in inputs  # the request is in the form, not shown twice
    posted = dict(flat(request, "permohonan."))
    posted["permohonan.domain.name"] = "kabcontoh.go.id"
    done = client.post(f"/tasks/{step['id']}", data={**posted, **CORRECTION, "letter": (
        io.BytesIO(make_pdf("Surat pengganti")), "surat-baru.pdf")}, content_type="multipart/form-data")
    assert done.status_code == 302, re.findall(r'class="error-text"[^>]*>([^<]+)<', done.get_data(as_text=True))
    assert ani.get(f"/cases/{case['id']}").get_json()["domain"] == "kabcontoh.go.id"
    history = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert '<small class="amended">memperbaiki: Nama domain yang disengketakan</small>' in history
    # the second check's page says which fields were corrected, above the request
    login(client, "citra")
    recheck = open_task(people["citra"], case, "Task_PeriksaPermohonan")
    page = client.get(f"/tasks/{recheck['id']}").get_data(as_text=True)
    assert re.search(r'<p class="notice corrected" id="corrected-permohonan">Diperbaiki instansi pada '
                     r'[^:]+:\d\d \w+: Nama domain yang disengketakan\.</p>', page)
    asked = re.search(r'<details class="notice corrected" id="asked-complaint" open><summary>Yang diminta dari '
                      r'instansi</summary>(.*?)</details>', page, re.S)  # (not "(Aduan …)": the check's output's name)
    assert asked and CHECK_INCOMPLETE["missing"] in asked.group(1)
    # what was asked, the agency's reply to it, then the request it corrected (the walk-through: the reply
    # came last, under the whole request)
    inputs = page[page.index('id="task-inputs"'):]
    assert (inputs.index('id="asked-complaint"') < inputs.index(CORRECTION["notes"])
            < inputs.index('id="corrected-permohonan"'))
    # the letter sent back is marked as replaced; the new one is the one to read
    docs = dict(re.findall(r'<li><a href="[^"]+">([^<]+)</a>(.*?)</li>', page, re.S))
    assert "diganti surat yang lebih baru" in docs["surat-permohonan.pdf"]
    assert "diganti" not in docs["surat-baru.pdf"]
    # the check that sent it back says so beside itself
    assert ('<small class="decided">Hasil pemeriksaan: Tidak lengkap — dikembalikan ke pemohon untuk dilengkapi'
            '</small>' in history)


@pytest.mark.parametrize("target, words", [
    ("surat", "harus menyebut objek data yang diisi formulir lain"),
    ("correction", "harus menyebut objek data yang diisi formulir lain"),  # its own output
])
def test_an_amendment_of_nothing_is_refused_at_deploy(engine, target, words):
    bpmn = PROCESS.read_bytes()
    schemas = read_forms(bpmn, FORMS)
    schemas["lengkapi_permohonan.json"]["x-amends"] = target
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(bpmn, schemas)
    assert words in refused.value.message
    assert refused.value.errors[0]["element"] == "Task_LengkapiPermohonan"


@pytest.mark.parametrize("change, typed", [
    ({"dispute.description": "Baris pertama uraian sengketa.\nBaris kedua uraian."},
     lambda text: text.replace("\n", "\r\n")),                 # a browser sends a text area's lines with CR LF
    ({"contact.position": "Kepala  Bidang Aplikasi Informatika"}, lambda text: text),  # the page tidies spaces
])
def test_a_request_sent_back_unchanged_from_the_page_is_not_corrected(engine, people, client, change, typed):
    from samples import request_data
    ani, citra = people["ani"], people["citra"]
    case = file_case(ani, request_data(**change))
    work(citra, open_task(citra, case), CHECK_INCOMPLETE)
    step = open_task(ani, case, "Task_LengkapiPermohonan")
    request = ani.get(f"/tasks/{step['id']}").get_json()["current"]["permohonan"]
    login(client, "ani")
    posted = {name: typed(value) for name, value in flat(request, "permohonan.")}
    assert client.post(f"/tasks/{step['id']}", data={**posted, **CORRECTION}).status_code == 302
    history = engine.instances.get(engine.identity.by_username("ani"), case["id"]).history
    [sent] = [h for h in history if h.event == "task_completed" and h.task_id == step["id"]]
    assert "x-amended" not in sent.detail and "permohonan" not in sent.detail
    assert ani.get(f"/cases/{case['id']}").status_code == 200
    kept = engine.tasks.get(engine.identity.by_username("citra"), open_task(citra, case)["id"]).inputs
    assert kept["permohonan"][1] == request  # as filed, not rewritten


def test_the_completed_steps_row_names_the_corrected_domain(people):
    ani = people["ani"]
    case, step = sent_back(people)
    request = copy.deepcopy(ani.get(f"/tasks/{step['id']}").get_json()["current"]["permohonan"])
    request["domain"]["name"] = "kabcontoh.go.id"
    done = ani.post(f"/tasks/{step['id']}/complete", json={"data": {**CORRECTION, "permohonan": request}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["domain"] == "kabcontoh.go.id"
    assert [t["domain"] for t in done.get_json()["next_tasks"]] == ["kabcontoh.go.id"]


def test_an_officer_moved_to_another_agency_mid_request_cannot_send_the_old_agencys_step(engine, people):
    """The actor was read when the request came in; an administrator moved them before it was done."""
    from engine.errors import Forbidden
    identity = engine.identity
    identity.add_user("gita", "admin", "gita@kominfo.go.id", "rahasia-123")
    case, step = sent_back(people)
    read_at_the_start = identity.by_username("ani")
    identity.change_user(identity.by_username("gita"), "ani", "pemohon", "ani@kotacontoh.go.id", "kota-contoh")
    with pytest.raises(Forbidden, match="bukan petugas aktif instansi kasus ini"):
        engine.tasks.complete(read_at_the_start, step["id"], CORRECTION)
    again = engine.tasks.get(identity.by_username("citra"), step["id"])
    assert again.state == "ready" and again.claimed_by is None


def test_a_correction_to_a_domain_already_in_dispute_says_so_as_a_filing_does(client, people):
    from samples import request_data
    ani = people["ani"]
    other = file_case(ani, request_data(**{"domain.name": "kabcontoh.go.id"}))
    case, step = sent_back(people)
    request = ani.get(f"/tasks/{step['id']}").get_json()["current"]["permohonan"]
    login(client, "ani")
    posted = {**dict(flat(request, "permohonan.")), "permohonan.domain.name": "kabcontoh.go.id"}
    page = client.post(f"/tasks/{step['id']}", data={**posted, **CORRECTION},
                       follow_redirects=True).get_data(as_text=True)
    assert f"domain ini juga sedang disengketakan dalam kasus {other['case_number']} dari instansi Anda" in page
    file_case(ani)  # contoh.go.id again: a correction that keeps its domain says nothing of other cases
    unchanged = file_case(ani)
    work(people["citra"], open_task(people["citra"], unchanged), CHECK_INCOMPLETE)
    again = open_task(ani, unchanged, "Task_LengkapiPermohonan")
    request = ani.get(f"/tasks/{again['id']}").get_json()["current"]["permohonan"]
    page = client.post(f"/tasks/{again['id']}", data={**dict(flat(request, "permohonan.")), **CORRECTION},
                       follow_redirects=True).get_data(as_text=True)
    assert "juga sedang disengketakan" not in page


def test_a_later_upload_to_a_one_file_field_replaces_the_earlier_and_evidence_accumulates():
    """The walk-through: the returned letter and its replacement were listed alike; which one counts?"""
    from types import SimpleNamespace
    from engine.instances import documents_of

    def doc(id_, field):
        return SimpleNamespace(id=id_, field=field, filename=f"{field}-{id_}.pdf", content_type="application/pdf",
                               size=1, sha256="", uploaded_at=None, task_id=None, title="")
    docs = [doc(1, "letter"), doc(2, "evidence"), doc(3, "evidence"), doc(4, "letter"), doc(5, "letter")]
    marked = {d.id: d.replaced_by for d in documents_of(docs, frozenset({"letter"}))}
    assert marked == {1: 4, 2: None, 3: None, 4: 5, 5: None}
