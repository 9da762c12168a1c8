"""The SOP end to end through the HTTP API, as the four people who work a case."""
from __future__ import annotations

import re
import threading

from engine import state
from engine.models import Instance
from samples import (ANALYSIS_FORWARD, ANALYSIS_REJECT, ANSWER, ANSWER_REJECTED, CHECK_COMPLETE, CHECK_INCOMPLETE,
                     CORRECTION, PANDI, RECEIPT, make_pdf, multipart, request_data)


def file_case(person, data=None, **files):
    files.setdefault("letter", [("surat-permohonan.pdf", make_pdf())])
    response = person.post("/cases", data=multipart(data or request_data(), **files),
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def open_task(person, case, element_id=None):
    """The one open task of a case, as `person` sees it."""
    tasks = person.get(f"/cases/{case['id']}").get_json()["open_tasks"]
    assert len(tasks) == 1, tasks
    if element_id:
        assert tasks[0]["element_id"] == element_id
    return tasks[0]


def work(person, task, data):
    """Claim and complete, as a person in the worklist does."""
    claimed = person.post(f"/tasks/{task['id']}/claim")
    assert claimed.status_code == 200, claimed.get_json()
    assert claimed.get_json()["claimed_by"] == person.name
    done = person.post(f"/tasks/{task['id']}/complete", json={"data": data})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["state"] == "completed"
    return done.get_json()


def test_agency_files_a_dispute_and_receives_the_answer(people):
    ani, citra, dodi, eka = people["ani"], people["citra"], people["dodi"], people["eka"]

    case = file_case(ani)
    assert case["case_number"].startswith("SNG-") and case["status"] == "running"
    # What the filing answers of its first task is what the case and the worklist say of it.
    assert case["open_tasks"] == ani.get(f"/cases/{case['id']}").get_json()["open_tasks"]
    assert case["open_tasks"][0]["element_id"] == "Task_PeriksaPermohonan" and case["open_tasks"][0]["due_at"]
    assert case["domain"] == "contoh.go.id" and case["version"] == 1

    # Step 2 waits in Tim Layanan's queue with its 10-minute target as due time.
    queue = citra.get("/tasks?view=queue").get_json()["items"]
    step2 = next(t for t in queue if t["case_id"] == case["id"])
    assert step2["name"] == "Periksa permohonan" and step2["lane"] == "tim_layanan"
    assert step2["claimed_by"] is None and step2["state"] == "ready"
    from datetime import datetime
    created, due = (datetime.fromisoformat(step2[k]) for k in ("created_at", "due_at"))
    assert abs((due - created).total_seconds() - 600) < 5

    detail = citra.get(f"/tasks/{step2['id']}").get_json()
    assert detail["form"]["title"] and "decision" in detail["form"]["properties"]
    assert detail["inputs"]["permohonan"]["value"]["domain"]["name"] == "contoh.go.id"

    checked = work(citra, step2, CHECK_COMPLETE)
    # A completion says what comes next, so neither a client nor the page needs another request to tell.
    assert checked["case_status"] == "running"
    assert [(t["element_id"], t["lane"]) for t in checked["next_tasks"]] == [("Task_Analisa", "tim_layanan")]
    conforms(citra, checked, "CompletedTask")
    step3 = open_task(dodi, case, "Task_Analisa")
    assert dodi.get(f"/tasks/{step3['id']}").get_json()["inputs"]["complaint"]["value"] == CHECK_COMPLETE
    work(dodi, step3, ANALYSIS_FORWARD)
    step4 = open_task(eka, case, "Task_PenyelesaianPandi")
    assert step4["lane"] == "pandi"
    work(eka, step4, PANDI)
    step5 = open_task(citra, case, "Task_JawabPemohon")
    work(citra, step5, ANSWER)

    step6 = ani.get("/tasks?view=queue").get_json()["items"]
    assert [t["element_id"] for t in step6] == ["Task_TerimaJawaban"]
    answer = ani.get(f"/tasks/{step6[0]['id']}").get_json()["inputs"]["applicant_answer"]["value"]
    assert answer["answer"] == ANSWER["answer"]
    received = work(ani, step6[0], RECEIPT)
    assert received["next_tasks"] == [] and received["case_status"] == "completed"

    final = ani.get(f"/cases/{case['case_number']}").get_json()
    assert final["status"] == "completed" and final["completed_at"] and final["open_tasks"] == []
    done = [(h["name"], h["user"]) for h in final["history"] if h["event"] == "task_completed"]
    assert done == [("Periksa permohonan", "citra"), ("Analisa aduan", "dodi"),
                    ("Selesaikan sengketa dan kirim konfirmasi", "eka"),
                    ("Berikan konfirmasi/jawaban ke pemohon", "citra"), ("Terima konfirmasi/jawaban", "ani")]
    # beside each step, what it decided in its form's words (the choice a reader looks for: where the case turned)
    assert [[(d["label"], d["title"]) for d in h.get("decided", ())] for h in final["history"]
            if h["event"] == "task_completed"] == [
        [("Hasil pemeriksaan", "Lengkap dan sah — dicatat sebagai aduan")],
        [("Keputusan", "Diteruskan ke PANDI untuk diselesaikan")],
        [("Tindakan yang dilaksanakan", "Pengalihan domain")], [("Hasil penyelesaian", "Pengalihan domain")], []]
    every = [d for h in final["history"] for d in h.get("decided", ())]
    assert {"field": "decision", "label": "Keputusan", "value": "diteruskan",
            "title": "Diteruskan ke PANDI untuk diselesaikan"} in every
    assert all(h["at"] for h in final["history"])
    assert final["history"][0]["event"] == "case_started" and final["history"][0]["user"] == "ani"
    assert final["history"][-1]["event"] == "case_completed"
    assert final["data"]["applicant_answer"] == ANSWER

    letter = final["documents"][0]
    assert letter["field"] == "letter" and letter["content_type"] == "application/pdf"
    # every answer of the story is what the served document says, field for field (the API probe found
    # fields it left out)
    conforms(ani, case, "FiledCase")
    conforms(ani, final, "Case")
    conforms(ani, ani.get("/cases").get_json(), "CaseList")
    conforms(citra, citra.get("/tasks?state=all").get_json(), "TaskList")
    conforms(citra, citra.get(f"/tasks/{step5['id']}").get_json(), "TaskDetail")
    conforms(ani, ani.get("/notifications").get_json(), "NotificationList")
    assert ani.get("/notifications").get_json()["items"]  # (the agency was told of the answer)
    download = ani.get(f"/cases/{case['id']}/documents/{letter['id']}")
    assert download.status_code == 200 and download.data == make_pdf()


def test_incomplete_request_goes_back_to_the_agency_and_returns_to_the_check(people):
    ani, citra, eka = people["ani"], people["citra"], people["eka"]
    case = file_case(ani)
    work(citra, open_task(citra, case, "Task_PeriksaPermohonan"), CHECK_INCOMPLETE)

    completion = open_task(ani, case, "Task_LengkapiPermohonan")
    assert completion["lane"] == "pemohon" and completion["due_at"] is None
    missing = ani.get(f"/tasks/{completion['id']}").get_json()["inputs"]["complaint"]["value"]["missing"]
    assert "Sekretaris" in missing
    # The agency's own step: its officer sends it without taking it first; another agency cannot see it.
    assert people["bayu"].post(f"/tasks/{completion['id']}/complete", json={"data": CORRECTION}).status_code == 404
    fixed = ani.post(f"/tasks/{completion['id']}/complete", content_type="multipart/form-data",
                     data=multipart(CORRECTION, letter=[("surat-baru.pdf", make_pdf("Surat pengganti"))]))
    assert fixed.status_code == 200, fixed.get_json()
    assert (fixed.get_json()["claimed_by"], fixed.get_json()["completed_by"]) == ("ani", "ani")
    # Tim Layanan's steps still have to be taken first.
    recheck = open_task(citra, case, "Task_PeriksaPermohonan")
    unclaimed = citra.post(f"/tasks/{recheck['id']}/complete", json={"data": CHECK_COMPLETE})
    assert unclaimed.status_code == 409 and unclaimed.get_json()["code"] == "not_claimed"

    assert recheck["id"] != completion["id"]
    assert citra.get(f"/tasks/{recheck['id']}").get_json()["inputs"]["correction"]["value"] == CORRECTION
    work(citra, recheck, CHECK_COMPLETE)
    work(citra, open_task(citra, case, "Task_Analisa"), ANALYSIS_FORWARD)
    work(eka, open_task(eka, case, "Task_PenyelesaianPandi"), PANDI)
    work(citra, open_task(citra, case, "Task_JawabPemohon"), ANSWER)
    work(ani, open_task(ani, case, "Task_TerimaJawaban"), RECEIPT)

    final = ani.get(f"/cases/{case['id']}").get_json()
    assert final["status"] == "completed"
    assert [d["filename"] for d in final["documents"]] == ["surat-permohonan.pdf", "surat-baru.pdf"]
    old_letter, new_letter = final["documents"]
    assert old_letter["replaced_by"] == new_letter["id"] and new_letter["replaced_by"] is None  # the one read now
    checks = [h for h in final["history"] if h["event"] == "task_completed" and h["name"] == "Periksa permohonan"]
    assert [[d["value"] for d in h["decided"]] for h in checks] == [["tidak_lengkap"], ["lengkap"]]


def test_rejected_request_skips_pandi_and_still_answers_the_agency(people):
    ani, citra, eka = people["ani"], people["citra"], people["eka"]
    case = file_case(ani)
    work(citra, open_task(citra, case, "Task_PeriksaPermohonan"), CHECK_COMPLETE)
    work(citra, open_task(citra, case, "Task_Analisa"), ANALYSIS_REJECT)
    step5 = open_task(citra, case, "Task_JawabPemohon")
    inputs = citra.get(f"/tasks/{step5['id']}").get_json()["inputs"]
    assert inputs["analysis_decision"]["value"]["decision"] == "ditolak"
    assert inputs["pandi_confirmation"]["value"] is None
    work(citra, step5, ANSWER_REJECTED)
    work(ani, open_task(ani, case, "Task_TerimaJawaban"), RECEIPT)

    final = ani.get(f"/cases/{case['id']}").get_json()
    assert final["status"] == "completed"
    assert not [h for h in final["history"] if h["user"] == "eka"]
    decided = [[d["title"] for d in h.get("decided", ())] for h in final["history"] if h["event"] == "task_completed"]
    assert decided[1:3] == [["Permohonan ditolak — domain tetap pada pemegangnya"], ["Permohonan ditolak"]]
    assert eka.get("/tasks?state=all&lane=pandi").get_json()["total"] == 0


def conforms(person, body, schema_name):
    """A response body is what the served OpenAPI document says it is (its schemas are JSON Schema 2020-12), field
    for field at every depth: each object schema where it is used is closed to undeclared properties."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
    spec = closed(person.get("/openapi.json").get_json())
    registry = Registry().with_resource("urn:sengketa-api", Resource(contents=spec, specification=DRAFT202012))
    schema = {"$ref": f"urn:sengketa-api#/components/schemas/{schema_name}", "unevaluatedProperties": False}
    errors = [e.message for e in Draft202012Validator(schema, registry=registry).iter_errors(body)]
    assert not errors, errors


def closed(node, in_all_of=False):
    """The document with every object schema closed where it is used: a $ref or an inline object gets
    `unevaluatedProperties: false`, except as a member of an allOf (closed once, at the allOf) and as a
    component itself (closed where it is referred to, since an allOf may extend it)."""
    if isinstance(node, list):
        return [closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: {name: closed(sub, key == "schemas") for name, sub in value.items()}
           if key in ("properties", "schemas") and isinstance(value, dict) else closed(value)
           for key, value in node.items()}
    if "allOf" in node:
        out["allOf"] = [closed(member, True) for member in node["allOf"]]
    objectish = "$ref" in node or "allOf" in node or node.get("type") == "object" and "properties" in node
    if objectish and not in_all_of and "unevaluatedProperties" not in node:
        out["unevaluatedProperties"] = False
    return out


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    for path in ("/cases", "/cases/{case_id}", "/tasks", "/tasks/{task_id}", "/tasks/{task_id}/claim",
                 "/tasks/{task_id}/unclaim", "/tasks/{task_id}/complete"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_a_finished_case_leaves_the_command_cache_and_still_reads_back(people, engine):
    """Only cases that can take commands are kept live in memory; a finished one is restored when looked at."""
    ani, citra, eka = people["ani"], people["citra"], people["eka"]
    case = file_case(ani)
    cache = engine.execution.cache
    assert case["id"] in cache
    for person, data in ((citra, CHECK_COMPLETE), (citra, ANALYSIS_FORWARD), (eka, PANDI), (citra, ANSWER)):
        work(person, open_task(person, case), data)
        assert case["id"] in cache
    work(ani, open_task(ani, case), RECEIPT)
    assert case["id"] not in cache
    final = citra.get(f"/cases/{case['id']}").get_json()
    assert final["status"] == "completed" and case["id"] not in cache
    assert [e["event"] for e in final["history"]].count("task_completed") == 5


def test_a_command_during_a_page_read_does_not_change_what_the_page_reads(people, engine):
    """A page reads a case's workflow while, in another thread, a command completes a step of that case:
    the command works on its own copy, the page's copy stays as it was, and the cache ends up holding the
    newer workflow, not the one the page put back."""
    ani, citra = people["ani"], people["citra"]
    case = file_case(ani)
    task = open_task(citra, case, "Task_PeriksaPermohonan")
    citra.post(f"/tasks/{task['id']}/claim")
    execution = engine.execution
    with engine.store.command() as tx:
        instance = tx.session.get(Instance, case["id"])
        read_at = instance.revision
        with execution.peek(tx, instance) as (_deployed, workflow):
            assert case["id"] not in execution.cache
            before = state.dump(workflow)
            answers = []
            command = threading.Thread(target=lambda: answers.append(
                citra.post(f"/tasks/{task['id']}/complete", json={"data": CHECK_COMPLETE}).status_code))
            command.start()
            command.join(timeout=30)
            assert answers == [200]
            assert state.dump(workflow) == before
    kept = execution.cache.take(case["id"], read_at + 1)
    assert kept is not None and kept is not workflow
    assert citra.get(f"/cases/{case['id']}").get_json()["open_tasks"][0]["element_id"] == "Task_Analisa"


def test_a_case_is_found_by_its_letter_number_and_its_contact_officer(people):
    """The SOP's domain notes: a letter number is free text but must be searchable; the helpdesk also looks a
    request up by who wrote or signed it. Case-insensitive, and only among the cases the caller may see."""
    ani, bayu, citra = people["ani"], people["bayu"], people["citra"]
    case = file_case(ani)
    for words in ("B-99/IJ/KP.07.6/04/2020", "kp.07.6", "budi santoso", "198609262015051001"):
        found = citra.get("/cases", query_string={"q": words}).get_json()["items"]
        assert [c["case_number"] for c in found] == [case["case_number"]], words
    assert citra.get("/cases", query_string={"q": "B-100/IJ"}).get_json()["items"] == []
    grouped = citra.get("/cases", query_string={"q": "19860926 201505 1 001"}).get_json()["items"]
    assert [c["case_number"] for c in grouped] == [case["case_number"]]  # a NIP typed as it is printed
    assert bayu.get("/cases", query_string={"q": "budi santoso"}).get_json()["items"] == []  # another agency's


def test_what_the_api_answers_is_declared_in_its_document(people):
    """Each answer's status (and a document's type) is one the OpenAPI document lists for that operation."""
    ani, citra = people["ani"], people["citra"]
    spec = citra.get("/openapi.json").get_json()
    case = file_case(ani)
    task = open_task(citra, case)
    document = citra.get(f"/cases/{case['id']}").get_json()["documents"][0]
    calls = [
        ("get", "/cases/{case_id}", f"/cases/{case['id']}"), ("get", "/cases/{case_id}", "/cases/%00"),
        ("get", "/cases/{case_id}", "/cases/2147483648"),
        ("get", "/cases/{case_id}/documents/{document_id}", document["url"].removeprefix("/api/v1")),
        ("get", "/cases/{case_id}/documents/{document_id}", f"/cases/{case['id']}/documents/2147483648"),
        ("get", "/tasks/{task_id}", "/tasks/%00"), ("post", "/tasks/{task_id}/claim", "/tasks/%00/claim"),
        ("post", "/tasks/{task_id}/unclaim", "/tasks/%00/unclaim"),
        ("post", "/tasks/{task_id}/assign", f"/tasks/{task['id']}/assign"),
        ("get", "/notifications", "/notifications?offset=-1"), ("get", "/notifications", "/notifications?offset=1"),
    ]
    for method, template, path in calls:
        answer = getattr(citra, method)(path, **({"json": {"to": "citra"}} if method == "post" else {}))
        declared = spec["paths"][template][method]["responses"]
        assert str(answer.status_code) in declared, (path, answer.status_code, list(declared))
        if answer.status_code == 200 and "documents" in template:
            assert answer.mimetype in declared["200"]["content"], answer.mimetype
    assert any(p["$ref"].endswith("/Offset") for p in spec["paths"]["/notifications"]["get"]["parameters"]
               if "$ref" in p)
    # a document id no row can have is not found, as a case id is (the API probe: 400 "out of range")
    for huge in ("9223372036854775808", "99999999999999999999999"):
        assert citra.get(f"/cases/{case['id']}/documents/{huge}").status_code == 404, huge
    # an id is written in ASCII digits: an Arabic-Indic or Thai one is no address, not document 1 in disguise
    first = document["url"].removeprefix("/api/v1")
    assert citra.get(first).status_code == 200 and first.endswith(f"/{document['id']}")
    for other_digits in ("\u0661", "\u0e51", "\uff11"):  # ١ ๑ １
        lookalike = first.removesuffix(str(document["id"])) + str(document["id"]).translate(
            {ord("0") + d: ord(other_digits) - 1 + d for d in range(10)})
        assert citra.get(lookalike).status_code == 404, lookalike
    assert citra.get(first.replace(f"/{document['id']}", f"/0{document['id']}")).status_code == 404  # nor 01


def test_a_case_and_its_step_list_their_documents_without_reading_the_files(engine, people):
    """The race probe: reading a case loaded every PDF's bytes only to list the documents."""
    from sqlalchemy import event
    ani = people["ani"]
    case = file_case(ani)
    said = []

    def heard(_conn, _cursor, statement, *_rest):
        said.append(statement)
    event.listen(engine.store.sql, "before_cursor_execute", heard)
    try:
        assert ani.get(f"/cases/{case['id']}").get_json()["documents"]
        assert people["citra"].get(f"/tasks/{open_task(people['citra'], case)['id']}").status_code == 200
        read = [s for s in said if "FROM document" in s]
        assert read and not any(re.search(r"document\.content\b", s) for s in read), read
        said.clear()
        letter = ani.get(f"/cases/{case['id']}").get_json()["documents"][0]
        assert ani.get(letter["url"].removeprefix("/api/v1")).data.startswith(b"%PDF")  # downloaded when asked
        assert any(re.search(r"document\.content\b", s) for s in said)
    finally:
        event.remove(engine.store.sql, "before_cursor_execute", heard)
