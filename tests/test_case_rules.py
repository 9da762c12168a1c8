"""The answer to the applicant says what the analysis and PANDI decided (the answer form's x-case-rules)."""
from __future__ import annotations

import re

import pytest

from conftest import FORMS, PROCESS
from engine.definitions import read_forms
from engine.errors import DeploymentError
from samples import ANALYSIS_FORWARD, ANALYSIS_REJECT, ANSWER, ANSWER_REJECTED, CHECK_COMPLETE, PANDI, RECEIPT
from test_bad_input import problem
from test_pages import login
from test_sop_api import file_case, open_task, work


def to_the_answer(people, analysis, pandi=None):
    """A case worked up to the answer step; returns (case, the answer task claimed by citra)."""
    ani, citra, eka = people["ani"], people["citra"], people["eka"]
    case = file_case(ani)
    work(citra, open_task(citra, case), CHECK_COMPLETE)
    work(citra, open_task(citra, case, "Task_Analisa"), analysis)
    if pandi is not None:
        work(eka, open_task(eka, case, "Task_PenyelesaianPandi"), pandi)
    task = open_task(citra, case, "Task_JawabPemohon")
    assert citra.post(f"/tasks/{task['id']}/claim").status_code == 200
    return case, task


def test_a_rejected_request_cannot_be_answered_as_transferred_and_nothing_changes(people):
    citra = people["citra"]
    case, task = to_the_answer(people, ANALYSIS_REJECT)
    assert citra.get(f"/tasks/{task['id']}").get_json()["suggested"] == {"outcome": "ditolak"}
    before = citra.get(f"/cases/{case['id']}").get_json()
    body = problem(citra.post(f"/tasks/{task['id']}/complete", json={"data": {**ANSWER_REJECTED,
                                                                              "outcome": "pengalihan"}}), 422)
    assert body["code"] == "case_rules"
    assert body["errors"] == [{"field": "outcome", "message": "Analisa menolak permohonan ini: hasil penyelesaian "
                                                              "harus 'Permohonan ditolak'."}]
    after = citra.get(f"/cases/{case['id']}").get_json()
    assert after["history"] == before["history"] and after["open_tasks"] == before["open_tasks"]
    # With the form broken as well, one refusal names both: the form's problem and the case's.
    body = problem(citra.post(f"/tasks/{task['id']}/complete", json={"data": {"outcome": "pengalihan"}}), 422)
    assert {e["field"]: e["message"] for e in body["errors"]} == {
        "answer": "Wajib diisi.",
        "outcome": "Analisa menolak permohonan ini: hasil penyelesaian harus 'Permohonan ditolak'."}
    assert citra.get(f"/cases/{case['id']}").get_json()["history"] == before["history"]
    # The same step, answered as the analysis decided, goes on (the refused attempts left the case usable).
    done = work(citra, task, ANSWER_REJECTED)
    assert [t["element_id"] for t in done["next_tasks"]] == ["Task_TerimaJawaban"]


@pytest.mark.parametrize("action", ["pengalihan", "penonaktifan_sementara", "penghapusan", "tidak_dilaksanakan"])
def test_the_answer_states_what_pandi_did(people, action):
    citra, ani = people["citra"], people["ani"]
    pandi = {**PANDI, "action_taken": action}
    if action == "tidak_dilaksanakan":
        pandi.pop("executed_on")
    case, task = to_the_answer(people, ANALYSIS_FORWARD, pandi)
    assert citra.get(f"/tasks/{task['id']}").get_json()["suggested"] == {"outcome": action}
    other = "penghapusan" if action != "penghapusan" else "pengalihan"
    body = problem(citra.post(f"/tasks/{task['id']}/complete", json={"data": {**ANSWER, "outcome": other}}), 422)
    assert [e["field"] for e in body["errors"]] == ["outcome"] and "PANDI" in body["errors"][0]["message"]
    work(citra, task, {**ANSWER, "outcome": action})
    work(ani, open_task(ani, case, "Task_TerimaJawaban"), RECEIPT)
    assert ani.get(f"/cases/{case['id']}").get_json()["data"]["applicant_answer"]["outcome"] == action


def test_the_answer_page_starts_with_the_outcome_the_case_decided(client, people):
    _case, task = to_the_answer(people, ANALYSIS_REJECT)
    login(client, "citra")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    chosen = re.findall(r'<option value="([^"]+)" selected', page) + \
        re.findall(r'<input type="radio" name="outcome" value="([^"]+)" checked', page)
    assert chosen == ["ditolak"]
    field = re.search(r'<div class="field" data-field="outcome".*?</div>', page, re.S).group(0)
    assert "Dipilih otomatis: hanya pilihan ini yang sesuai dengan keputusan langkah sebelumnya" in field
    assert page.count('class="hint decided"') == 1  # said of the decided field only
    # and the other choices cannot be taken (the walk-through: all five stayed selectable)
    offered = re.findall(r'<(?:option|input type="radio")[^>]*value="([^"]*)"[^>]*>', field)
    disabled = re.findall(r'<(?:option|input type="radio")[^>]*value="([^"]*)"[^>]*disabled', field)
    assert "ditolak" in offered and "ditolak" not in disabled
    assert sorted(disabled) == sorted(v for v in offered if v not in ("ditolak", ""))
    # A refused submission shows what was sent, with the reason under the field.
    refused = client.post(f"/tasks/{task['id']}", data={**ANSWER_REJECTED, "outcome": "penghapusan"},
                          content_type="multipart/form-data")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Analisa menolak permohonan ini" in text
    assert re.findall(r'<option value="([^"]+)" selected', text) + \
        re.findall(r'<input type="radio" name="outcome" value="([^"]+)" checked', text) == ["penghapusan"]
    assert 'class="hint decided"' not in text and " disabled" not in re.search(
        r'<div class="field invalid" data-field="outcome".*?</div>', text, re.S).group(0)  # theirs to choose again


def test_case_rules_that_are_not_json_schema_are_refused_at_deploy(engine):
    schemas = read_forms(PROCESS.read_bytes(), FORMS)
    schemas["jawaban_pemohon.json"] = {**schemas["jawaban_pemohon.json"], "x-case-rules": {"type": "objek"}}
    with pytest.raises(DeploymentError, match="Aturan kasus formulir jawaban_pemohon.json") as refused:
        engine.definitions.deploy(PROCESS.read_bytes(), schemas)
    assert refused.value.errors[0]["element"] == "Task_JawabPemohon"


def test_pandi_starts_from_the_recommended_action_and_today(client, people):
    """The daily-work walk-through: PANDI's form started blank though the analysis had recommended an action
    and the day of acting is nearly always today. A start only: what is sent decides."""
    from datetime import datetime
    from zoneinfo import ZoneInfo
    ani, citra, eka = people["ani"], people["citra"], people["eka"]
    case = file_case(ani)
    work(citra, open_task(citra, case), CHECK_COMPLETE)
    analysis = open_task(citra, case, "Task_Analisa")  # starts from the outcome the agency asked for
    assert citra.get(f"/tasks/{analysis['id']}").get_json()["initial"] == {"recommended_action": "pengalihan"}
    work(citra, analysis, {**ANALYSIS_FORWARD, "recommended_action": "penghapusan"})
    task = open_task(eka, case, "Task_PenyelesaianPandi")
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    body = eka.get(f"/tasks/{task['id']}").get_json()
    assert body["initial"] == {"action_taken": "penghapusan", "executed_on": today} and body["suggested"] == {}
    assert eka.post(f"/tasks/{task['id']}/claim").status_code == 200
    login(client, "eka")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert re.search(r'name="action_taken" value="penghapusan" checked', page)
    assert re.search(r'name="executed_on" type="date" value="' + today, page)
    assert "Dipilih otomatis" not in page  # not decided by the case: the other options stay open
    # the officer's own choice is what counts
    work(eka, task, {**PANDI, "action_taken": "pengalihan"})
    done = citra.get(f"/cases/{case['id']}").get_json()["data"]["pandi_confirmation"]
    assert done["action_taken"] == "pengalihan"


@pytest.mark.parametrize("field, source, words", [
    ("action_taken", "keputusan.recommended_action", "isian formulir lain dalam diagram ini"),
    ("action_taken", "analysis_decision.", "isian formulir lain dalam diagram ini"),
    ("action_taken", "analysis_decision.no_such_field", "isian formulir lain dalam diagram ini"),
    ("action_taken", "analysis_decision", "isian formulir lain dalam diagram ini"),  # the whole object
    ("action_taken", "pandi_confirmation.notes", "isian formulir lain dalam diagram ini"),  # its own output
    ("action_taken", "permohonan.agency", "isian formulir lain dalam diagram ini"),  # a group, not a field
    ("reference", "today", "hanya untuk isian tanggal"),
])
def test_a_start_from_nowhere_is_refused_at_deploy(engine, field, source, words):
    """A typo would leave the field starting empty, unseen (the diff review: only the object was checked)."""
    schemas = read_forms(PROCESS.read_bytes(), FORMS)
    schemas["penyelesaian_pandi.json"]["properties"][field]["x-starts-from"] = source
    with pytest.raises(DeploymentError, match=words) as refused:
        engine.definitions.deploy(PROCESS.read_bytes(), schemas)
    assert refused.value.errors[0]["element"] == "Task_PenyelesaianPandi"
    assert f"isian {field}" in refused.value.message


def test_a_start_inside_a_group_is_refused_at_deploy(engine):
    schemas = read_forms(PROCESS.read_bytes(), FORMS)
    schemas["permohonan.json"]["properties"]["agency"]["properties"]["name"]["x-starts-from"] = "today"
    with pytest.raises(DeploymentError, match="hanya untuk isian tingkat atas formulir"):
        engine.definitions.deploy(PROCESS.read_bytes(), schemas)


def test_a_start_the_field_does_not_offer_is_left_out():
    from datetime import date
    from engine import starts
    schema = {"properties": {"a": {"oneOf": [{"const": "x"}], "x-starts-from": "o.v"},
                             "b": {"type": "string", "x-starts-from": "o.missing"},
                             "c": {"type": "string", "format": "date", "x-starts-from": "today"}}}
    assert starts.values(schema, {"o": {"v": "y"}}, date(2026, 12, 1)) == {"c": "2026-12-01"}
    assert starts.values(schema, {"o": {"v": "x"}}, date(2026, 12, 1)) == {"a": "x", "c": "2026-12-01"}


def test_the_answer_starts_as_the_letter_for_how_the_case_ended(client, people):
    """The daily-work walk-through: the officer typed the whole answer from scratch, though the case holds
    every fact it states. The letter for the outcome the case decided, filled from the case as a letter
    writes it; editable, and what is sent is what counts."""
    citra = people["citra"]
    case, task = to_the_answer(people, ANALYSIS_FORWARD, PANDI)
    letter = citra.get(f"/tasks/{task['id']}").get_json()["initial"]["answer"]
    assert letter.startswith("Menindaklanjuti surat Saudara nomor B-99/IJ/KP.07.6/04/2020 tanggal 15 April 2020 "
                             "perihal Permohonan Penyelesaian Sengketa Nama Domain")
    assert ("dialihkan kepada Pemerintah Kabupaten Contoh oleh PANDI pada 20 April 2020 (nomor referensi PANDI: "
            "PANDI-12345)") in letter and "{" not in letter
    login(client, "citra")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert re.search(r'<textarea id="f-answer"[^>]*>Menindaklanjuti surat Saudara', page)
    work(citra, task, ANSWER)  # the officer's own words are what is sent
    assert citra.get(f"/cases/{case['id']}").get_json()["data"]["applicant_answer"]["answer"] == ANSWER["answer"]
    # PANDI's reference is optional: without it its clause is left out, not sent as a gap
    case2, task2 = to_the_answer(people, ANALYSIS_FORWARD, {k: v for k, v in PANDI.items() if k != "reference"})
    letter = citra.get(f"/tasks/{task2['id']}").get_json()["initial"]["answer"]
    assert "pada 20 April 2020." in letter and "referensi" not in letter and "…" not in letter
    # a rejection's letter gives the analysis's reasons
    _case, rejected = to_the_answer(people, ANALYSIS_REJECT)
    letter = citra.get(f"/tasks/{rejected['id']}").get_json()["initial"]["answer"]
    assert "tidak dapat dikabulkan, dengan pertimbangan: " + ANALYSIS_REJECT["rationale"] in letter


@pytest.mark.parametrize("letters, words", [
    ({"by": "outcome", "letters": {"pengalihan": "Domain {permohonan.domain.nama}."}}, "menyebut {permohonan.domain.nama}"),
    ({"by": "outcome", "letters": {"dialihkan": "Domain dialihkan."}}, "bukan teks untuk pilihan outcome"),
    ({"by": "letter_number", "letters": {"x": "y"}}, "harus berupa"),
])
def test_a_letter_with_a_gap_is_refused_at_deploy(engine, letters, words):
    schemas = read_forms(PROCESS.read_bytes(), FORMS)
    schemas["jawaban_pemohon.json"]["properties"]["answer"]["x-starts-from"] = letters
    with pytest.raises(DeploymentError, match=re.escape(words)):
        engine.definitions.deploy(PROCESS.read_bytes(), schemas)


def test_a_letter_place_the_case_does_not_hold_reads_as_a_gap():
    from datetime import date
    from engine import starts
    schema = {"properties": {"o": {"oneOf": [{"const": "a"}]},
                             "t": {"x-starts-from": {"by": "o", "letters": {"a": "Ref {p.ref}, pada {p.on}."}}}}}
    form = {"properties": {"ref": {"type": "string"}, "on": {"type": "string", "format": "date"}}}
    started = starts.values(schema, {"p": {"on": "2020-04-20"}}, date(2026, 12, 1), {"o": "a"}, lambda _o: form)
    assert started == {"t": "Ref …, pada 20 April 2020."}
    assert starts.values(schema, {"p": {}}, date(2026, 12, 1), {}, lambda _o: form) == {}  # no choice, no letter
    # a clause in brackets goes whole when a place in it is empty: an optional field's sentence
    schema["properties"]["t"]["x-starts-from"]["letters"]["a"] = "Selesai pada {p.on}[ (referensi: {p.ref})]."
    assert starts.values(schema, {"p": {"on": "2020-04-20"}}, date(2026, 12, 1), {"o": "a"}, lambda _o: form) == {
        "t": "Selesai pada 20 April 2020."}
    assert starts.values(schema, {"p": {"on": "2020-04-20", "ref": "R-1"}}, date(2026, 12, 1), {"o": "a"},
                         lambda _o: form) == {"t": "Selesai pada 20 April 2020 (referensi: R-1)."}
