"""Deploying a diagram: versions, parse once per version, and refusals that name the element."""
from __future__ import annotations

import json
import re

import pytest

from conftest import FORMS, PROCESS
from engine.definitions import read_forms
from engine.errors import DeploymentError
from samples import make_pdf, multipart, request_data
from test_sop_api import file_case

BPMN = PROCESS.read_bytes()


def forms():
    return read_forms(BPMN, FORMS)


def test_redeploying_the_same_diagram_keeps_the_version(engine):
    info = engine.definitions.deploy(BPMN, forms())
    assert (info.version, info.created) == (1, False)


def test_a_changed_diagram_is_a_new_version_and_running_cases_keep_theirs(engine, people):
    first = people["ani"].post("/cases", data=multipart(request_data(), letter=[("s.pdf", make_pdf())]),
                               content_type="multipart/form-data").get_json()
    changed = BPMN.replace(b"PT10M", b"PT20M").replace(b'"Target 10 menit"', b'"Target 20 menit"')
    info = engine.definitions.deploy(changed, forms())
    assert (info.version, info.created) == (2, True)
    second = people["ani"].post("/cases", data=multipart(request_data(), letter=[("s.pdf", make_pdf())]),
                                content_type="multipart/form-data").get_json()
    assert (first["version"], second["version"]) == (1, 2)
    tasks = {t["case_id"]: t for t in people["citra"].get("/tasks").get_json()["items"]}
    from datetime import datetime
    minutes = {cid: (datetime.fromisoformat(t["due_at"]) - datetime.fromisoformat(t["created_at"])).seconds // 60
               for cid, t in tasks.items()}
    assert minutes == {first["id"]: 10, second["id"]: 20}


def test_a_version_is_parsed_once_and_shared(engine):
    with engine.store.command() as tx:
        a = engine.definitions.latest(tx, "sengketa_domain")
        b = engine.definitions.latest(tx, "sengketa_domain")
    assert a is b and a.spec is b.spec


def test_a_fresh_worker_s_first_requests_compile_the_version_once_one_at_a_time(engine, monkeypatch):
    """The crash probe: a restarted worker's first request threads compiled the version together, and
    libxml2's schema building, not thread-safe, left every later build of that worker failing (500 to every
    case until restarted). Threads asking at once now get one compile, and no two schema builds overlap
    (a deploy included)."""
    import threading
    import time
    from engine import bpmn
    from engine.definitions import Definitions
    inside, most, built = [0], [0], []
    real = bpmn.BpmnValidator

    class Watched(real):
        def __init__(self, *args, **kwargs):
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            time.sleep(0.05)  # long enough for a second thread to arrive while this one builds
            try:
                super().__init__(*args, **kwargs)
            finally:
                inside[0] -= 1
            built.append(self)
    monkeypatch.setattr(bpmn, "BpmnValidator", Watched)
    fresh = Definitions(engine.store)  # a worker that has compiled nothing yet
    barrier, got, errors = threading.Barrier(6), [], []

    def first_request():
        barrier.wait()
        try:
            with engine.store.command() as tx:
                got.append(fresh.latest(tx, "sengketa_domain"))
        except Exception as exc:  # noqa: BLE001 (the test reports whatever a thread met)
            errors.append(exc)
    threads = [threading.Thread(target=first_request) for _ in range(5)]
    deploying = threading.Thread(target=lambda: (barrier.wait(), engine.definitions.deploy_file(PROCESS, FORMS)))
    for thread in threads + [deploying]:
        thread.start()
    for thread in threads + [deploying]:
        thread.join()
    assert errors == [] and len(got) == 5 and all(d is got[0] for d in got)
    assert most[0] == 1 and len(built) == 2  # the worker's one compile, the deploy's own check


@pytest.mark.parametrize("expression", ["PT10M", '"PT10M"', "'PT10M'"])
def test_timer_literals_as_analysts_write_them(engine, expression):
    info = engine.definitions.deploy(BPMN.replace(b">PT10M<", f">{expression}<".encode()), forms())
    assert info.version >= 1


@pytest.mark.parametrize("expression", ["sepuluh menit", "PT10X", "__import__('os')"])
def test_a_timer_that_cannot_be_understood_is_refused_naming_the_element(engine, expression):
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(BPMN.replace(b">PT10M<", f">{expression}<".encode()), forms())
    assert refused.value.errors[0]["element"] == "Timer_Periksa"
    assert "tidak dapat dipahami" in refused.value.message


def test_a_task_without_a_form_is_refused(engine):
    broken = BPMN.replace(b'camunda:formKey="analisa.json"', b"")
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(broken, forms())
    assert refused.value.errors[0]["element"] == "Task_Analisa"


def test_an_empty_form_reference_is_refused_like_a_missing_one(engine):
    """formKey="" deployed, and the step then took any data and kept none of it (the operator probe)."""
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(BPMN.replace(b'camunda:formKey="analisa.json"', b'camunda:formKey=" "'), forms())
    assert refused.value.errors[0] == {"element": "Task_Analisa",
                                       "message": "Tugas 'Analisa aduan' tidak menyebut formulir (camunda:formKey)."}


def test_a_lane_whose_role_is_misspelt_is_refused(engine):
    """It fell back to the lane's name without a word: a typo could hand PANDI's steps to nobody."""
    broken = BPMN.replace(b'<camunda:property name="role" value="pandi" />', b'<camunda:property name="role" value="pandy" />')
    assert broken != BPMN
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(broken, forms())
    assert "menyebut peran 'pandy'; pilihannya: pemohon, tim_layanan, pandi." in refused.value.message
    assert refused.value.errors[0]["element"] == "Lane_PANDI"


def test_a_version_deployed_before_these_checks_still_loads(database_url, engine, people):
    """The checks are the deploy's, as the targets' are: a case on a version deployed before them (a lane role
    that fell back to its name, formKey="") must go on opening (the review of session 13 found it 422)."""
    from sqlalchemy import update
    from engine.models import Definition
    from web import create_app
    case = file_case(people["ani"])
    kept = BPMN.replace(b'<camunda:property name="role" value="pandi" />',
                        b'<camunda:property name="role" value="pandy" />').replace(
        b'camunda:formKey="terima_jawaban.json"', b'camunda:formKey=""')
    assert kept.count(b'formKey=""') == 1 and b'value="pandy"' in kept
    with engine.store.transaction(write=True) as session:
        session.execute(update(Definition).values(bpmn_xml=kept.decode()))
    fresh = create_app({"DATABASE_URL": database_url, "TESTING": True})  # parses the stored version anew
    reader = fresh.extensions["engine"]
    try:
        citra = reader.identity.by_username("citra")
        view = reader.instances.get(citra, case["id"])
        assert view.status == "running" and len(view.open_tasks) == 1
        assert reader.tasks.get(citra, view.open_tasks[0]).name == "Periksa permohonan"  # its page opens
    finally:
        reader.close()


def test_the_same_diagram_saved_with_windows_line_endings_is_no_new_version(engine):
    info = engine.definitions.deploy(BPMN.replace(b"\n", b"\r\n"), forms())
    assert (info.version, info.created) == (1, False)


def test_a_missing_or_invalid_form_is_refused(engine):
    schemas = forms()
    del schemas["analisa.json"]
    with pytest.raises(DeploymentError, match="analisa.json"):
        engine.definitions.deploy(BPMN, schemas)
    schemas = forms()
    schemas["analisa.json"] = {"type": "objek"}
    with pytest.raises(DeploymentError, match="JSON Schema"):
        engine.definitions.deploy(BPMN, schemas)


def test_xml_that_is_not_bpmn_is_refused(engine):
    for bad in (b"<bukan", b"<?xml version='1.0'?><a/>",
                b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'):
        with pytest.raises(DeploymentError):
            engine.definitions.deploy(bad, forms())


def test_deploy_command_reports_problems_by_element(runner, tmp_path):
    bad = tmp_path / "process" / "rusak.bpmn"
    bad.parent.mkdir()
    bad.write_bytes(BPMN.replace(b">PT15M<", b">lima belas<", 1))
    (tmp_path / "forms").mkdir()
    for name, schema in forms().items():
        (tmp_path / "forms" / name).write_text(json.dumps(schema))
    result = runner.invoke(args=["deploy", str(bad)])
    assert result.exit_code != 0
    assert "Timer_Analisa" in result.output
    result = runner.invoke(args=["deploy", str(PROCESS)])
    assert result.exit_code == 0 and "versi 1" in result.output


def _timer_as(kind: str, literal: str) -> bytes:
    changed = BPMN.replace(b'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT10M</bpmn:timeDuration>',
                           f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">{literal}</bpmn:{kind}>'.encode())
    assert changed != BPMN
    return changed


def test_a_date_with_its_zone_is_accepted_as_a_literal(engine):
    changed = _timer_as("timeDate", "2027-01-04T08:00:00+07:00")
    assert engine.definitions.deploy(changed, forms()).created
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(changed.replace(b"2027-01-04T08:00:00+07:00", b"2027-13-45"), forms())
    assert refused.value.errors[0]["element"] == "Timer_Periksa"


@pytest.mark.parametrize("kind, literal, words", [
    # read in the server's zone (UTC here): 08:00 would be 15:00 in Jakarta
    ("timeDate", "2027-01-04T08:00:00", "tidak menyebut zona waktunya; tulis misalnya 2027-01-04T08:00:00+07:00"),
    # the worker ends a timer at its first firing: a cycle would fire once and tell nobody
    ("timeCycle", "R3/PT10M", "Timer berulang R3/PT10M pada Target 10 menit belum didukung"),
])
def test_a_date_without_zone_or_a_cycle_is_refused_at_deploy(engine, kind, literal, words):
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(_timer_as(kind, literal), forms())
    assert words in refused.value.message
    assert refused.value.errors[0]["element"] == "Timer_Periksa"
    assert engine.definitions.deploy(BPMN, forms()).version == 1  # nothing was deployed before


def test_a_misspelt_tidying_kind_is_refused_at_deploy(engine):
    schemas = forms()
    schemas["permohonan.json"]["properties"]["contact"]["properties"]["nip"]["x-normalize"] = "digit"
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(BPMN, schemas)
    assert "x-normalize digit tidak dikenal; pilihannya: digits, domain." in refused.value.message
    assert refused.value.errors[0]["element"] == "StartEvent_Permohonan"


@pytest.mark.parametrize("change, words", [
    (lambda p: p["oneOf"][3].update({"x-tone": "merah"}), "x-tone harus salah satu dari granted, not-granted"),
    (lambda p: p.update({"x-outcome": "ya"}), "x-outcome harus bernilai true"),
    (lambda p: p.pop("oneOf"), "x-outcome harus bernilai true dan hanya dipakai pada isian dengan pilihan oneOf"),
])
def test_a_misused_outcome_marking_is_refused_at_deploy(engine, change, words):
    schemas = forms()
    change(schemas["jawaban_pemohon.json"]["properties"]["outcome"])
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(BPMN, schemas)
    assert words in refused.value.message and "isian outcome" in refused.value.message
    assert refused.value.errors[0]["element"] == "Task_JawabPemohon"


def test_a_condition_that_is_not_python_is_refused_at_deploy_by_its_flow(engine):
    """Found at deploy, not when the first case reaches the gateway (and the demo is left half made)."""
    broken = BPMN.replace(b'>complaint["decision"] == "lengkap"<', b'>)(complaint["decision"] == "lengkap"<')
    assert broken != BPMN
    deployed = engine.definitions.list()
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(broken, forms())
    [problem] = refused.value.errors
    assert problem["element"].startswith("Flow_") and "bukan Python yang valid" in problem["message"]
    assert engine.definitions.list() == deployed


def test_a_diagram_not_in_utf8_is_refused_with_what_to_do(engine):
    latin1 = BPMN.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').replace(
        b'name="Penyelesaian Sengketa', 'name="Pényelesaian Sengketa'.encode("latin-1"))  # é is one byte, E9
    assert b"\xe9" in latin1
    with pytest.raises(DeploymentError, match="UTF-8"):
        engine.definitions.deploy(latin1, forms())


@pytest.mark.parametrize("change, words", [
    (lambda s: s.update({"x-search": ["letter.nomor"]}), "x-search: 'letter.nomor' bukan isian teks atau angka"),
    (lambda s: s.update({"x-search": ["letter"]}), "x-search: 'letter' bukan isian teks atau angka"),
    (lambda s: s.update({"x-search": "letter.number"}), "x-search harus daftar jalur isian"),
    (lambda s: s["properties"]["letter"]["properties"]["date"].update({"x-not-after": "besok"}),
     'x-not-after hanya mengenal "today"'),
])
def test_a_search_list_or_date_bound_that_would_be_ignored_is_refused_at_deploy(engine, change, words):
    """A misspelt path would leave a field unsearchable, a bound other than "today" would check nothing:
    both unseen until someone missed them, so the analyst hears of them when deploying."""
    schemas = forms()
    change(schemas["permohonan.json"])
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(BPMN, schemas)
    assert words in refused.value.message and refused.value.errors[0]["element"] == "StartEvent_Permohonan"


@pytest.mark.parametrize("literal, name, words", [
    ("PT0S", "Target 10 menit", "harus lebih dari nol"),
    ("P2Y", "Target 10 menit", "lebih dari setahun; periksa satuannya"),
    ("P10M", "Target 10 menit", "menyebut 10 menit, tetapi durasinya P10M ("),
    ("PT1H", "Target 10 menit", "menyebut 10 menit, tetapi durasinya PT1H (1 jam)"),
])
def test_a_target_that_cannot_be_meant_is_refused_at_deploy(engine, literal, name, words):
    """The analyst walk-through: PT0S (every step late at once) and P999Y deployed, both still labelled
    'Target 10 menit'. A running version keeps loading (the check is the deploy's), a new one is refused."""
    changed = BPMN.replace(b">PT10M<", f">{literal}<".encode()).replace(b'"Target 10 menit"', f'"{name}"'.encode())
    with pytest.raises(DeploymentError) as refused:
        engine.definitions.deploy(changed, forms())
    assert words in refused.value.message and refused.value.errors[0]["element"] == "Timer_Periksa"
    assert [d.version for d in engine.definitions.list()] == [1]
    relabelled = BPMN.replace(b">PT10M<", b">PT1H<").replace(b'"Target 10 menit"', b'"Target 1 jam"')
    assert engine.definitions.deploy(relabelled, forms()).version == 2  # a name that agrees is fine
    # a name the check cannot read as one length is left alone: a fraction, working time (the calendar's)
    for name, literal in (("Target 1,5 jam", "PT90M"), ("Target 1 hari kerja", "PT8H")):
        odd = BPMN.replace(b">PT10M<", f">{literal}<".encode()).replace(b'"Target 10 menit"', f'"{name}"'.encode())
        engine.definitions.deploy(odd, forms())


def test_deploying_a_diagram_whose_process_id_changed_is_refused_by_the_command(runner, engine, tmp_path):
    renamed = tmp_path / "lain.bpmn"
    renamed.write_bytes(BPMN.replace(b'"sengketa_domain"', b'"sengketa_lain"'))
    result = runner.invoke(args=["deploy", str(renamed), "--forms", str(FORMS)])
    assert result.exit_code != 0 and "berisi proses 'sengketa_lain'" in result.output
    assert [d.process_key for d in engine.definitions.list()] == ["sengketa_domain"]


def test_broken_xml_is_reported_in_indonesian_with_its_line_once(runner, tmp_path):
    broken = tmp_path / "rusak.bpmn"
    broken.write_bytes(BPMN[: len(BPMN) // 2])
    result = runner.invoke(args=["deploy", str(broken), "--forms", str(FORMS)])
    assert result.exit_code != 0
    assert re.search(r"bukan XML yang valid: rusak di baris \d+, kolom \d+", result.output), result.output
    assert result.output.count("bukan XML yang valid") == 1
