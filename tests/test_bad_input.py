"""Bad input gets a clear 4xx in Bahasa Indonesia and changes nothing."""
from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine

from engine import date_bounds, forms
from engine.errors import DeploymentError, Invalid
from samples import (ANALYSIS_FORWARD, ANALYSIS_REJECT, CHECK_COMPLETE, CHECK_INCOMPLETE, PANDI, make_pdf, multipart,
                     request_data)
from test_sop_api import file_case, open_task, work

FORMS = Path(__file__).resolve().parent.parent / "forms"


def nothing_changed(person, cases=0):
    assert person.get("/cases").get_json()["total"] == cases


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    return body


def test_malformed_json_is_400(people):
    ani = people["ani"]
    body = problem(ani.post("/cases", data={"data": "{not json", "letter": (io.BytesIO(make_pdf()),
                                                                             "s.pdf")},
                            content_type="multipart/form-data"), 400)
    assert "JSON tidak valid" in body["detail"]
    case = file_case(ani)
    task = open_task(people["citra"], case)
    people["citra"].post(f"/tasks/{task['id']}/claim")
    problem(people["citra"].post(f"/tasks/{task['id']}/complete", data="{", content_type="application/json"), 400)
    problem(people["citra"].post(f"/tasks/{task['id']}/complete", json=["lengkap"]), 400)
    assert open_task(people["citra"], case)["id"] == task["id"]
    nothing_changed(ani, 1)


@pytest.mark.parametrize("change, field, words", [
    ({"domain.name": "contoh.co.id"}, "domain.name", ".go.id atau .desa.id"),
    ({"contact.nip": "19860926201505100"}, "contact.nip", "18 angka"),
    ({"contact.nip": "198613262015051001"}, "contact.nip", "tanggal"),          # month 13
    ({"contact.nip": "١٩٨٦٠٩٢٦٢٠١٥٠٥١٠٠١"}, "contact.nip", "18 angka"),          # digits, but not 0-9
    ({"contact.email": "budi@gmail.com"}, "contact.email", "e-mail dinas"),
    ({"letter.signatory.position": "Kepala Dinas"}, "letter.signatory.position", "Sekretaris"),
    ({"dispute.category": None}, "dispute.category", "Pilih kategori sengketa"),
    ({"dispute.category": "bukan_pilihan"}, "dispute.category", "Pilihan tidak dikenal"),
    ({"agency.level": "Kabupaten"}, "agency.level", "Pilihan tidak dikenal"),   # the label's case, not the value
    ({"contact.email": "budi.santoso@contohkab.go.id\nBcc: x@contoh.go.id"}, "contact.email",
         "e-mail dinas"),  # a mail header smuggled in: spaces made single, still no address
])
def test_a_request_breaking_its_form_is_422_per_field(people, change, field, words):
    ani = people["ani"]
    response = ani.post("/cases", data=multipart(request_data(**change), letter=[("s.pdf", make_pdf())]),
                        content_type="multipart/form-data")
    body = problem(response, 422)
    by_field = {e["field"]: e["message"] for e in body["errors"]}
    assert field in by_field, body["errors"]
    assert words in by_field[field]
    nothing_changed(ani)


def test_the_nip_format_reads_ascii_digits_only():
    """The schema's pattern already says 0-9; the format check must not read other scripts' digits either
    (int() would turn Arabic-Indic digits into a valid date)."""
    from engine.forms import is_nip
    assert is_nip("198609262015051001")
    assert not is_nip("١٩٨٦٠٩٢٦٢٠١٥٠٥١٠٠١")


def test_a_refusal_names_at_most_a_hundred_problems_and_counts_the_rest(people):
    """The robustness probe: a body with a million stray keys answered with a 70 MB list."""
    data = request_data()
    data.update({f"x{n}": n for n in range(5000)})
    body = problem(people["ani"].post("/cases", data=multipart(data, letter=[("s.pdf", make_pdf())]),
                                      content_type="multipart/form-data"), 422)
    assert len(body["errors"]) == 101
    assert body["errors"][-1] == {"field": "", "message": "Dan 4900 masalah lain pada isian yang tidak ditampilkan."}
    nothing_changed(people["ani"])


def test_every_invalid_field_gets_its_own_entry(people):
    data = request_data(**{"domain.name": "x.com", "contact.email": "a@yahoo.com", "letter.date": "2020-02-30"})
    body = problem(people["ani"].post("/cases", data=multipart(data, letter=[("s.pdf", make_pdf())]),
                                      content_type="multipart/form-data"), 422)
    assert {"domain.name", "contact.email", "letter.date"} <= {e["field"] for e in body["errors"]}


@pytest.mark.parametrize("files, words", [
    ({}, "wajib diunggah"),
    ({"letter": [("surat.pdf", b"<html>not a pdf</html>")]}, "bukan berkas PDF"),
    ({"letter": [("surat.pdf", make_pdf()[:-20])]}, "bukan berkas PDF"),        # truncated: no %%EOF
    ({"letter": [("surat.pdf", b"")]}, "kosong"),
    ({"letter": [("a.pdf", make_pdf()), ("b.pdf", make_pdf())]}, "Hanya satu"),
    ({"letter": [("s.pdf", make_pdf())], "evidence": [("bukti.exe", b"MZ\x90\x00")]}, "bukan berkas"),
    ({"letter": [("surat.pdf", b"%PDF-%%EOF")]}, "bukan berkas PDF"),                 # markers, no document
    ({"letter": [("s.pdf", make_pdf())], "evidence": [("x.jpg", b"\xff\xd8\xff")]}, "bukan berkas"),
    ({"letter": [("s.pdf", make_pdf())], "evidence": [("x.png", b"\x89PNG\r\n\x1a\n")]}, "bukan berkas"),
    # the robustness probe: signature and ending markers with no document between them
    ({"letter": [("surat.pdf", b"%PDF-startxref%%EOF")]}, "bukan berkas PDF"),
    ({"letter": [("surat.pdf", b"%PDF-1.4\nstartxref\n0\n%%EOF\n")]}, "bukan berkas PDF"),     # no object
    ({"letter": [("surat.pdf", make_pdf().replace(b"startxref\n", b"startxref\n9"))]}, "bukan berkas PDF"),
    ({"letter": [("s.pdf", make_pdf())], "evidence": [("x.png", b"\x89PNG\r\n\x1a\nIEND")]}, "bukan berkas"),
    ({"letter": [("s.pdf", make_pdf())], "evidence": [("x.jpg", b"\xff\xd8\xff\x00\xff\xd9")]}, "bukan berkas"),
])
def test_bad_uploads_are_422_and_file_nothing(people, files, words):
    ani = people["ani"]
    response = ani.post("/cases", data=multipart(request_data(), **files), content_type="multipart/form-data")
    body = problem(response, 422)
    assert any(words in e["message"] for e in body["errors"]), body["errors"]
    nothing_changed(ani)


@pytest.mark.parametrize("sent, kind, stored", [
    ("surat.pdf", "application/pdf", "surat.pdf"),
    ("/", "application/pdf", "berkas.pdf"),
    ("   ", "application/pdf", "berkas.pdf"),
    ("..\\..\\rahasia.pdf", "application/pdf", "rahasia.pdf"),
    ("a" * 300 + ".pdf", "application/pdf", "a" * 196 + ".pdf"),
    ("foto", "image/jpeg", "foto.jpg"),
    ("FOTO.JPEG", "image/jpeg", "FOTO.JPEG"),
    ("bukti.pdf.exe", "application/pdf", "bukti.pdf.exe.pdf"),
    ('a<b>:"c".pdf', "application/pdf", "abc.pdf"),
])
def test_a_stored_file_name_is_safe_and_keeps_the_extension_of_its_type(sent, kind, stored):
    assert forms._safe_name(sent, kind) == stored


def test_whole_files_of_each_type_are_accepted():
    import struct
    import zlib
    png = b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
        for tag, body in ((b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)),
                          (b"IDAT", zlib.compress(b"\x00\x00")), (b"IEND", b"")))
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 20 + b"\xff\xd9"
    assert forms.sniff(make_pdf()) == "application/pdf"
    assert forms.sniff(png) == "image/png" and forms.sniff(jpeg) == "image/jpeg"
    assert forms.sniff(png[:-12]) is None and forms.sniff(jpeg[:-2]) is None


def test_oversized_upload_is_413(people):
    ani = people["ani"]
    big = make_pdf() + b"0" * (11 * 1024 * 1024) + b"\n%%EOF\n"
    problem(ani.post("/cases", data=multipart(request_data(), letter=[("s.pdf", big)]),
                     content_type="multipart/form-data"), 413)
    huge = b"%PDF-1.4\n" + b"0" * (33 * 1024 * 1024)
    problem(ani.post("/cases", data=multipart(request_data(), letter=[("s.pdf", huge)]),
                     content_type="multipart/form-data"), 413)
    nothing_changed(ani)
    # a JSON body that large uploaded nothing, and is not said to have (the API probe)
    body = problem(ani.post("/cases/1/cancel", data=b"{" + b" " * (33 * 1024 * 1024) + b"}",
                            content_type="application/json"), 413)
    assert body["detail"] == "Permintaan melebihi batas ukuran yang diizinkan."
    assert body["code"] == "too_large"  # the app's own refusal says which, as the README says (the API probe)


def test_a_method_the_address_does_not_take_is_405_and_says_which_it_does(people, client):
    refused = problem(people["ani"].delete("/cases"), 405)
    assert refused["detail"] == "Metode HTTP ini tidak didukung di alamat ini."
    allowed = people["ani"].delete("/cases")
    assert {m.strip() for m in allowed.headers["Allow"].split(",")} >= {"GET", "POST"}
    page = client.put("/login")
    assert page.status_code == 405 and "POST" in page.headers["Allow"] and "Metode" in page.get_data(as_text=True)


def test_unknown_task_is_404(people):
    citra = people["citra"]
    for path in ("/tasks/00000000-0000-0000-0000-000000000000", "/tasks/bukan-id"):
        problem(citra.get(path), 404)
        problem(citra.post(path + "/claim"), 404)
        problem(citra.post(path + "/complete", json={"data": CHECK_COMPLETE}), 404)
    problem(citra.get("/cases/999999"), 404)
    problem(citra.get("/cases/SNG-2026-999999"), 404)


def test_completing_an_unclaimed_task_is_409(people):
    case = file_case(people["ani"])
    citra = people["citra"]
    task = open_task(citra, case)
    body = problem(citra.post(f"/tasks/{task['id']}/complete", json={"data": CHECK_COMPLETE}), 409)
    assert body["code"] == "not_claimed"
    assert open_task(citra, case)["id"] == task["id"]


def test_completing_a_finished_task_is_409(people):
    case = file_case(people["ani"])
    citra = people["citra"]
    task = open_task(citra, case)
    citra.post(f"/tasks/{task['id']}/claim")
    assert citra.post(f"/tasks/{task['id']}/complete", json={"data": CHECK_COMPLETE}).status_code == 200
    problem(citra.post(f"/tasks/{task['id']}/complete", json={"data": CHECK_COMPLETE}), 409)
    problem(citra.post(f"/tasks/{task['id']}/claim"), 409)


def test_a_task_form_breaking_its_schema_is_422_and_the_task_stays_open(people):
    case = file_case(people["ani"])
    citra = people["citra"]
    task = open_task(citra, case)
    citra.post(f"/tasks/{task['id']}/claim")
    body = problem(citra.post(f"/tasks/{task['id']}/complete",
                              json={"data": {"decision": "tidak_lengkap", "summary": "Kurang", "rahasia": 1}}), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"missing", "rahasia"} <= fields
    again = open_task(citra, case)
    assert again["id"] == task["id"] and again["claimed_by"] == "citra"


def test_a_field_with_its_own_words_for_missing_uses_them():
    """An unticked "received" box is simply absent from the form: the box's own message says what to do."""
    schema = json.loads((FORMS / "terima_jawaban.json").read_text())
    with pytest.raises(Invalid) as raised:
        forms.validate_data(schema, {"notes": "x"})
    assert raised.value.errors == [{"field": "received",
                                    "message": "Centang untuk menyatakan jawaban telah diterima."}]
    with pytest.raises(Invalid) as raised:
        forms.validate_data(json.loads((FORMS / "permohonan.json").read_text()), {})
    assert {e["message"] for e in raised.value.errors} == {"Wajib diisi."}  # the others keep the plain words


def test_null_is_answered_in_the_fields_own_words_or_with_how_to_send_nothing():
    """A JSON client sends null for "nothing": a required field says what it asks for, an optional one how to
    leave it out, not "must be text"."""
    schema = json.loads((FORMS / "terima_jawaban.json").read_text())
    with pytest.raises(Invalid) as raised:
        forms.validate_data(schema, {"received": None, "notes": None})
    assert raised.value.errors == [
        {"field": "notes", "message": forms.NULL_MESSAGE},
        {"field": "received", "message": "Centang untuk menyatakan jawaban telah diterima."}]
    assert "null" in forms.NULL_MESSAGE


def test_an_implausible_attachment_count_is_refused():
    schema = json.loads((FORMS / "permohonan.json").read_text())
    for count in (10 ** 30, 1e308, 101):
        with pytest.raises(Invalid) as raised:
            forms.validate_data(schema, request_data(**{"letter.attachments_count": count}))
        assert any(e["field"] == "letter.attachments_count" for e in raised.value.errors), count
    forms.validate_data(schema, request_data(**{"letter.attachments_count": 100}))


# A choice that makes another field meaningless: the field must be left empty, and the error says so on it.
CONTRADICTIONS = [
    ("periksa_permohonan", {**CHECK_COMPLETE, "missing": "Surat pengantar."}, "missing", "lengkap"),
    ("analisa", {**ANALYSIS_REJECT, "recommended_action": "pengalihan"}, "recommended_action", "ditolak"),
    ("penyelesaian_pandi", {**PANDI, "action_taken": "tidak_dilaksanakan"}, "executed_on", "tidak dilaksanakan"),
]


@pytest.mark.parametrize("form, data, field, words", CONTRADICTIONS, ids=[c[0] for c in CONTRADICTIONS])
def test_a_choice_contradicting_another_field_names_the_field_to_clear(form, data, field, words):
    schema = json.loads((FORMS / f"{form}.json").read_text())
    with pytest.raises(Invalid) as raised:
        forms.validate_data(schema, data)
    assert [e["field"] for e in raised.value.errors] == [field]
    assert "Kosongkan" in raised.value.errors[0]["message"] and words in raised.value.errors[0]["message"]
    forms.validate_data(schema, {k: v for k, v in data.items() if k != field})  # cleared: accepted


def test_rejecting_with_a_recommended_action_is_422_and_the_analysis_stays_open(people):
    ani, citra = people["ani"], people["citra"]
    case = file_case(ani)
    work(citra, open_task(citra, case), CHECK_COMPLETE)
    task = open_task(citra, case, "Task_Analisa")
    citra.post(f"/tasks/{task['id']}/claim")
    body = problem(citra.post(f"/tasks/{task['id']}/complete",
                              json={"data": {**ANALYSIS_REJECT, "recommended_action": "penghapusan"}}), 422)
    assert [e["field"] for e in body["errors"]] == ["recommended_action"]
    assert open_task(citra, case)["id"] == task["id"]
    assert citra.post(f"/tasks/{task['id']}/complete", json={"data": ANALYSIS_REJECT}).status_code == 200
    assert open_task(citra, case)["element_id"] == "Task_JawabPemohon"


def test_an_incomplete_request_still_needs_its_missing_items(people):
    schema = json.loads((FORMS / "periksa_permohonan.json").read_text())
    forms.validate_data(schema, CHECK_INCOMPLETE)
    with pytest.raises(Invalid) as raised:
        forms.validate_data(schema, {k: v for k, v in CHECK_INCOMPLETE.items() if k != "missing"})
    assert [e["field"] for e in raised.value.errors] == ["missing"]


def test_missing_or_wrong_token_is_401(client, people):
    assert client.get("/api/v1/tasks").status_code == 401
    response = client.get("/api/v1/tasks", headers={"Authorization": "Bearer salah"})
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bad_filters_are_400(people):
    citra = people["citra"]
    problem(citra.get("/tasks?lane=semua"), 400)
    problem(citra.get("/tasks?state=selesai"), 400)
    problem(citra.get("/tasks?limit=0"), 400)
    problem(citra.get("/tasks?limit=abc"), 400)
    for odd in ("١٢", "1_0", "%EF%BC%95", "5.0", "1e2"):  # Arabic-Indic, underscore, fullwidth 5
        assert "bilangan bulat" in problem(citra.get(f"/tasks?offset={odd}"), 400)["detail"], odd
    # an offset past every row is an empty page, however far (the API probe: ten digits were "not an integer")
    far = citra.get("/tasks?offset=1000000000000")
    assert far.status_code == 200 and far.get_json()["items"] == []
    assert "paling banyak 18 angka" in problem(citra.get("/tasks?offset=9999999999999999999"), 400)["detail"]
    assert "tidak negatif" in problem(citra.get("/tasks?offset=-1"), 400)["detail"]
    assert citra.get("/tasks?limit=2&offset=0").status_code == 200
    problem(citra.get("/cases?status=x"), 400)
    # the API probe: a yes/no filter that said neither was read as no, so "overdue=yes" listed everything
    for odd in ("/tasks?overdue=banana", "/tasks?mine=2", "/tasks?view=queue&mine=banana",
                "/notifications?unread=maybe"):
        assert "harus true atau false" in problem(citra.get(odd), 400)["detail"], odd
    for fine in ("/tasks?overdue=yes", "/tasks?overdue=0", "/tasks?mine=", "/notifications?unread=true"):
        assert citra.get(fine).status_code == 200, fine
    assert "all" in problem(citra.get("/tasks?state=semua"), 400)["detail"]
    assert citra.get("/tasks?state=").status_code == 200  # empty is the default, as for the other filters


def test_only_agencies_file_cases(people):
    response = people["citra"].post("/cases", data=multipart(request_data(), letter=[("s.pdf", make_pdf())]),
                                    content_type="multipart/form-data")
    problem(response, 403)


ODD_VALUES = [None, 0, -1, 10 ** 30, 1.5, True, "", " ", "x" * 100_000, "\x00", "'; DROP TABLE human_task; --",
              "<script>alert(1)</script>", [], [[[[]]]], {}, {"a": {"b": {"c": {}}}}, "2020-13-45", "\U0001F600" * 50]


@pytest.mark.parametrize("value", ODD_VALUES, ids=range(len(ODD_VALUES)))
def test_no_odd_value_anywhere_causes_a_server_error(people, value):
    """Every field of the request and of a task form, set to each odd value: always a 4xx, never a 500."""
    ani, citra = people["ani"], people["citra"]
    for path in ("agency.name", "contact.nip", "domain.name", "letter.attachments_count", "letter.signatory"):
        data = request_data(**{path: value}) if value is not None else request_data(**{path: None})
        response = ani.post("/cases", data=multipart(data, letter=[("s.pdf", make_pdf())]),
                            content_type="multipart/form-data")
        assert response.status_code in (201, 400, 422), (path, response.status_code, response.get_data()[:300])
    case = file_case(ani)
    task = open_task(citra, case)
    citra.post(f"/tasks/{task['id']}/claim")
    for body in ({"data": value}, {"data": {"decision": value, "summary": value}}, value):
        response = citra.post(f"/tasks/{task['id']}/complete", json=body)
        assert response.status_code in (400, 422), (body, response.status_code)
    assert open_task(citra, case)["id"] == task["id"]


def test_values_the_database_cannot_hold_are_4xx_not_500(client, people):
    citra = people["citra"]
    for path in ("/cases/99999999999999999999999", "/cases/SNG%00", "/tasks/a%00b", "/cases?q=%00"):
        assert citra.get(path).status_code < 500, path
    assert client.post("/login", data={"username": "a\x00b", "password": "x"}).status_code in (400, 401)
    assert client.get("/api/v1/tasks", headers={"Authorization": "Bearer a\x00b"}).status_code in (400, 401)


def test_lone_surrogates_deep_nesting_and_odd_digits_are_4xx(people, client):
    ani = people["ani"]
    data = request_data(**{"dispute.description": "\ud800" + "x" * 30})
    body = problem(ani.post("/cases", data=multipart(data, letter=[("s.pdf", make_pdf())]),
                            content_type="multipart/form-data"), 422)
    assert body["errors"][0]["field"] == "dispute.description"
    deep = "[" * 100000 + "]" * 100000
    problem(ani.post("/cases", data={"data": deep}, content_type="multipart/form-data"), 400)
    for ref in ("%C2%B2", "9" * 5000):
        assert ani.get(f"/cases/{ref}").status_code == 404
    nothing_changed(ani)


def test_an_integer_of_thousands_of_digits_is_400_in_indonesian(people):
    """Python refuses to convert such a number (a plain ValueError, not a JSON error): still a clear 400."""
    ani, citra = people["ani"], people["citra"]
    huge = "9" * 5000
    body = problem(ani.post("/cases", data={"data": '{"x": %s}' % huge, "letter": (io.BytesIO(make_pdf()), "s.pdf")},
                            content_type="multipart/form-data"), 400)
    assert "angka terlalu panjang" in body["detail"]
    case = file_case(ani)
    task = open_task(citra, case)
    citra.post(f"/tasks/{task['id']}/claim")
    problem(citra.post(f"/tasks/{task['id']}/complete", data='{"data": {"x": %s}}' % huge,
                       content_type="application/json"), 400)
    assert open_task(citra, case)["id"] == task["id"]
    nothing_changed(ani, 1)


@pytest.mark.parametrize("text, words", [
    ("{not json", "nama isian harus di antara tanda kutip ganda"),
    ('{"data": }', "nilai diharapkan"),
    ('{"data" {}}', "titik dua"),
    ('{"data": {} "x"}', "koma"),
    ('{"data": "abc', "tidak ditutup"),
    ('{"data": {}} x', "setelah akhir JSON"),
    ('\ufeff{"data": {}}', "BOM"),
])
def test_a_json_syntax_error_says_where_and_what_in_indonesian(people, text, words):
    body = problem(people["ani"].post("/cases", data={"data": text, "letter": (io.BytesIO(make_pdf()), "s.pdf")},
                                      content_type="multipart/form-data"), 400)
    assert words in body["detail"] and "baris 1, kolom" in body["detail"]
    assert "Expecting" not in body["detail"]


def test_field_and_file_problems_are_reported_together(people):
    """One refusal lists both, so nobody fixes the fields only to learn then that the letter is missing."""
    data = request_data(**{"domain.name": "contoh.co.id"})
    body = problem(people["ani"].post("/cases", data=multipart(data), content_type="multipart/form-data"), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"domain.name", "letter"} <= fields
    # "letter" names both the letter's fields and the letter's file part: `in` says which one is meant.
    assert [e.get("in") for e in body["errors"] if e["field"] == "letter"] == ["file"]
    assert all("in" not in e for e in body["errors"] if e["field"] != "letter")
    nothing_changed(people["ani"])


def test_odd_addresses_and_too_many_parts_answer_in_indonesian(people, client):
    citra = people["citra"]
    for response in (citra.get("//cases"), citra.get("/cases//"), citra.post("/tasks//complete")):
        body = problem(response, 404)
        assert "tidak ditemukan" in body["detail"]
    many = {f"x{n}": "1" for n in range(1100)}
    many["data"] = "{}"
    body = problem(people["ani"].post("/cases", data=many, content_type="multipart/form-data"), 413)
    assert "terlalu banyak bagian" in body["detail"] and "terlalu panjang" in body["detail"]


@pytest.mark.parametrize("position, accepted", [
    ("Sekretaris Daerah", True), ("Sekretaris Jenderal", True), ("Sekretaris", True),
    ("sekretaris desa", True),                                         # typed in lower case: still the Secretary
    ("Plt. Sekretaris Daerah", True), ("Plh. Sekretaris Jenderal", True), ("Pj. Sekretaris Daerah", True),
    ("Plt Sekretaris Desa", True),                                     # the abbreviation without its dot
    ("Kepala Dinas", False), ("Plt. Kepala Dinas", False), ("Wakil Sekretaris", False), ("Sekretaris\n", False),
    ("a.n. Sekretaris Daerah", False),                                 # signed on the Secretary's behalf by another
])
def test_the_letter_is_signed_by_the_secretary_or_whoever_acts_as_one(position, accepted):
    """The SOP asks for the agency Secretary's signature; an acting (Plt.), daily (Plh.) or interim (Pj.)
    Secretary holds that authority while the post is vacant or its holder away, and signs as such."""
    schema = json.loads((FORMS / "permohonan.json").read_text())
    data = request_data(**{"letter.signatory.position": position})
    if accepted:
        forms.validate_data(schema, data)
        return
    with pytest.raises(Invalid) as raised:
        forms.validate_data(schema, data)
    [error] = raised.value.errors
    assert error["field"] == "letter.signatory.position" and "Plt./Plh./Pj. Sekretaris" in error["message"]


def test_a_request_found_complete_and_valid_has_a_letter_found_valid(people):
    """The UX review: 'Lengkap dan sah' was accepted with the letter check left unticked, so the complaint said
    both valid and not. Complete and valid needs the tick; an incomplete request may go back without it."""
    schema = json.loads((FORMS / "periksa_permohonan.json").read_text())
    for letter in ({"letter_valid": False}, {}):
        with pytest.raises(Invalid) as raised:
            forms.validate_data(schema, {**{k: v for k, v in CHECK_COMPLETE.items() if k != "letter_valid"},
                                         **letter})
        [error] = raised.value.errors
        assert error["field"] == "letter_valid" and "kembalikan sebagai tidak lengkap" in error["message"]
    forms.validate_data(schema, CHECK_COMPLETE)
    forms.validate_data(schema, {**CHECK_INCOMPLETE, "letter_valid": False})


def test_a_request_sent_back_needs_what_is_missing_not_a_summary_of_a_complaint_not_yet_made(people):
    """Left alone in the fourteenth session: "Ringkasan aduan" was required to send an incomplete request
    back, though a complaint is recorded only once the request is complete (SOP step 2's output)."""
    schema = json.loads((FORMS / "periksa_permohonan.json").read_text())
    forms.validate_data(schema, {k: v for k, v in CHECK_INCOMPLETE.items() if k != "summary"})
    with pytest.raises(Invalid) as raised:
        forms.validate_data(schema, {k: v for k, v in CHECK_COMPLETE.items() if k != "summary"})
    [error] = raised.value.errors
    assert error == {"field": "summary", "message": "Tulis ringkasan aduan: permohonan yang lengkap dicatat sebagai "
                                                   "aduan."}


def test_a_letter_or_an_action_dated_in_the_future_is_refused(people):
    """The UX review: a letter dated 2030 and a resolution 'carried out' in 2031 were accepted. Both record
    what has happened. Today is today where it begins first in Indonesia (WIT), so no agency's today is refused."""
    schema = json.loads((FORMS / "permohonan.json").read_text())
    tomorrow = (date_bounds.today() + timedelta(days=1)).isoformat()
    with pytest.raises(Invalid) as raised:
        forms.validate_data(schema, request_data(**{"letter.date": tomorrow}))
    assert raised.value.errors == [{"field": "letter.date", "message": "Tanggal surat tidak boleh sesudah hari ini."}]
    forms.validate_data(schema, request_data(**{"letter.date": date_bounds.today().isoformat()}))
    pandi = json.loads((FORMS / "penyelesaian_pandi.json").read_text())
    with pytest.raises(Invalid) as raised:
        forms.validate_data(pandi, {**PANDI, "executed_on": tomorrow})
    assert [e["field"] for e in raised.value.errors] == ["executed_on"]
    with time_machine.travel(datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc), tick=False):  # 01:30 WIT on the 2nd
        forms.validate_data(pandi, {**PANDI, "executed_on": "2026-12-02"})
        assert date_bounds.today() == date(2026, 12, 2)



def test_a_letter_dated_before_any_that_can_be_meant_is_refused(client, people):
    """The API probe: a letter dated 0001-01-01 was accepted (a year typed short)."""
    schema = json.loads((FORMS / "permohonan.json").read_text())
    for typed in ("0001-01-01", "1999-12-31"):
        with pytest.raises(Invalid) as raised:
            forms.validate_data(schema, request_data(**{"letter.date": typed}))
        assert raised.value.errors == [{"field": "letter.date", "message":
                                        "Tanggal surat tidak mungkin sebelum tahun 2000; periksa tahunnya."}]
    forms.validate_data(schema, request_data(**{"letter.date": "2000-01-01"}))
    from test_pages import login
    login(client, "ani")
    assert 'min="2000-01-01"' in client.get("/cases/new").get_data(as_text=True)  # the date picker starts there
    broken = json.loads(json.dumps(schema))
    broken["properties"]["letter"]["properties"]["date"]["x-not-before"] = "tahun 2000"
    with pytest.raises(DeploymentError) as refused:
        forms.check_schema("permohonan.json", broken, "StartEvent_Permohonan")
    assert "x-not-before harus tanggal TTTT-BB-HH" in refused.value.message


def test_blank_or_space_only_text_from_the_api_is_missing_as_on_the_pages(people):
    """The pages collapse what people type; the API keeps the same rule, so "   " is no contact's name."""
    ani = people["ani"]
    data = request_data(**{"contact.name": "   ", "dispute.description": " " * 60, "letter.subject": "\t\n "})
    body = problem(ani.post("/cases", data=multipart(data, letter=[("s.pdf", make_pdf())]),
                            content_type="multipart/form-data"), 422)
    assert {"contact.name", "dispute.description", "letter.subject"} <= {e["field"] for e in body["errors"]}
    nothing_changed(ani)
    # what is kept of a well-typed value is what the page would keep: a line's spaces made single
    spaced = request_data(**{"contact.name": "  Budi   Santoso ", "dispute.description": "  Baris satu.\r\n"
                             "Baris dua, dengan alasan yang cukup panjang.  "})
    case = file_case(ani, spaced)
    stored = ani.get(f"/cases/{case['id']}").get_json()["data"]["permohonan"]
    assert stored["contact"]["name"] == "Budi Santoso"
    assert stored["dispute"]["description"] == "Baris satu.\nBaris dua, dengan alasan yang cukup panjang."
    step = open_task(people["citra"], case)
    people["citra"].post(f"/tasks/{step['id']}/claim")
    refused = people["citra"].post(f"/tasks/{step['id']}/complete",
                                   json={"data": {**CHECK_COMPLETE, "summary": " " * 40}})
    assert refused.status_code == 422 and "summary" in {e["field"] for e in refused.get_json()["errors"]}


def test_empty_or_invisible_text_is_missing_and_names_carry_no_hidden_characters(people):
    """The API probe: "" was not blank ("minimal 20 karakter" for a required text, "" kept for an optional one,
    an optional domain refused), text of invisible characters alone was accepted, and a contact named
    "\u202eRina" or "Rina\u200bKartika" filed, though accounts and agencies refuse such names."""
    ani = people["ani"]
    data = request_data(**{"contact.name": "", "dispute.description": "", "letter.subject": "\u200b\u200f",
                           "letter.number": "\u3164", "letter.addressee": "\u0301\u2800"})
    body = problem(ani.post("/cases", data=multipart(data, letter=[("s.pdf", make_pdf())]),
                            content_type="multipart/form-data"), 422)
    said = {e["field"]: e["message"] for e in body["errors"]}
    for field in ("contact.name", "dispute.description", "letter.subject", "letter.number", "letter.addressee"):
        assert said.get(field) == "Wajib diisi.", (field, said)
    for name in ("\u202eRina", "Rina \u2066Kartika\u2069", "Rina Kart\u0456ka"):  # the last: a Cyrillic і
        body = problem(ani.post("/cases", data=multipart(request_data(**{"contact.name": name}),
                                                         letter=[("s.pdf", make_pdf())]),
                                content_type="multipart/form-data"), 422)
        assert [e["field"] for e in body["errors"]] == ["contact.name"], name
        assert "Nama ini" in body["errors"][0]["message"]
    nothing_changed(ani)
    # the review: real names are not refused — a modifier letter (Maʼruf, ʿAbdullah), Jawi beside Latin on a
    # letterhead, Nº, fullwidth letters; and what a pasted name carries unseen (a soft hyphen, a zero-width
    # space, a byte-order mark) is taken away, not refused
    for name, kept in (("Maʼruf Amin", "Maʼruf Amin"), ("ʿAbdullah Nº 2", "ʿAbdullah Nº 2"),
                       ("Dinas Kominfo (دينس)", "Dinas Kominfo (دينس)"), ("Ｒｉｎａ", "Ｒｉｎａ"),
                       ("\ufeffRina Kar\u00adtika\u200b", "Rina Kartika")):
        filed = file_case(ani, request_data(**{"contact.name": name}))
        stored = ani.get(f"/cases/{filed['id']}").get_json()["data"]["permohonan"]["contact"]["name"]
        assert stored == kept, (name, stored)
    case = file_case(ani, request_data(**{"agency.parent": "", "domain.held_domain": "  ",
                                          "domain.current_holder": "\ufeff"}))
    stored = ani.get(f"/cases/{case['id']}").get_json()["data"]["permohonan"]
    assert "parent" not in stored["agency"] and "held_domain" not in stored["domain"]
    assert "current_holder" not in stored["domain"]


def test_a_filing_does_not_name_its_agency_with_invisible_or_blank_text(engine, people):
    ani = people["ani"]  # her agency is still named by its code (kab-contoh)
    for name in ("\u202eadrakaJ", "   ", "K\u2066ab", "Pemerintah Kabupat\u0435n Contoh"):  # the last: a Cyrillic е
        data = request_data(**{"agency.name": name})
        response = ani.post("/cases", data=multipart(data, letter=[("s.pdf", make_pdf())]),
                            content_type="multipart/form-data")
        assert response.status_code in (201, 422), response.get_json()
        assert dict(engine.identity.agencies())["kab-contoh"] == "kab-contoh", name
    file_case(ani, request_data(**{"agency.name": "Pemerintah Kabupaten Contoh"}))
    assert dict(engine.identity.agencies())["kab-contoh"] == "Pemerintah Kabupaten Contoh"
    # an agency of another code filing under the same name keeps its code until an administrator names it
    bayu = people["bayu"]
    file_case(bayu, request_data(**{"agency.name": "pemerintah kabupaten CONTOH"}))
    assert dict(engine.identity.agencies())["kota-contoh"] == "kota-contoh"


@pytest.mark.parametrize("path", ["/login", "/cases/new", "/api/v1/cases", "/tidak-ada"])
def test_a_form_part_without_a_name_is_a_400_before_anything_runs(client, people, path):
    """The 500-hunt: Werkzeug files a part with no name= under None, and the check of the fields' text (and the
    filing's fingerprint of its files) tripped on it — a 500 from one anonymous request, on every POST."""
    for part in (b'Content-Disposition: form-data\r\n\r\nx\r\n',
                 b'Content-Disposition: form-data; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
                 + make_pdf() + b'\r\n'):
        body = b"--B\r\n" + part + b"--B--\r\n"
        response = client.post(path, data=body, content_type="multipart/form-data; boundary=B")
        assert response.status_code == 400, (path, response.status_code)
        assert "bagian formulir tanpa nama" in response.get_data(as_text=True)


def test_a_box_answered_with_neither_yes_nor_no_is_refused_not_read_as_no(client, people):
    """`letter_valid=maybe` was saved as false, shown to the agency as 'Tidak' (the 500-hunt)."""
    from test_pages import login
    from test_sop_api import file_case, open_task
    case = file_case(people["ani"])
    task = open_task(people["citra"], case)
    login(client, "citra")
    client.post(f"/tasks/{task['id']}/claim")
    refused = client.post(f"/tasks/{task['id']}", data={"decision": "tidak_lengkap", "summary": "Kurang",
                                                      "missing": "Akta", "letter_valid": "mungkin"})
    assert refused.status_code == 422
    assert 'data-field="letter_valid"' in refused.get_data(as_text=True) and "Harus ya atau tidak." in refused.get_data(as_text=True)
    assert open_task(people["citra"], case)["element_id"] == "Task_PeriksaPermohonan"  # nothing was sent
    done = client.post(f"/tasks/{task['id']}", data={"decision": "tidak_lengkap", "summary": "Kurang",
                                                   "missing": "Akta", "letter_valid": "tidak"})
    assert done.status_code == 302


def test_a_form_body_nothing_can_be_read_of_is_said_so_not_called_an_expired_session(database_url, people):
    """A multipart body without its closing boundary reached the CSRF check empty: 'session expired' sent the
    sender to reload a page that was not the problem (the 500-hunt)."""
    from web import create_app
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "x"})  # CSRF on
    body = b'--B\r\nContent-Disposition: form-data; name="username"\r\n\r\nciti'  # cut off, no closing boundary
    response = app.test_client().post("/login", data=body, content_type="multipart/form-data; boundary=B")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "Badan permintaan rusak" in text and "kedaluwarsa" not in text
    app.extensions["engine"].close()


def test_a_choice_left_unmade_asks_to_choose_in_its_own_words(people):
    """The walk-through: "Kategori sengketa: Wajib diisi." on a list of options; a choice asks to be made."""
    ani, citra = people["ani"], people["citra"]
    body = problem(ani.post("/cases", data=multipart(request_data(**{"dispute.category": None,
                                                                     "agency.level": None}),
                                                     letter=[("s.pdf", make_pdf())]),
                            content_type="multipart/form-data"), 422)
    said = {e["field"]: e["message"] for e in body["errors"]}
    assert said == {"dispute.category": "Pilih kategori sengketa.", "agency.level": "Pilih jenis instansi."}
    case = file_case(ani)
    step = open_task(citra, case)
    citra.post(f"/tasks/{step['id']}/claim")
    no_missing = citra.post(f"/tasks/{step['id']}/complete",
                            json={"data": {k: v for k, v in CHECK_INCOMPLETE.items() if k != "missing"}})
    assert {e["field"]: e["message"] for e in problem(no_missing, 422)["errors"]}.get("missing") == \
        "Sebutkan kekurangan yang harus dilengkapi pemohon."
    work(citra, step, CHECK_COMPLETE)
    analysis = open_task(citra, case, "Task_Analisa")
    citra.post(f"/tasks/{analysis['id']}/claim")
    forwarded = {k: v for k, v in ANALYSIS_FORWARD.items() if k != "recommended_action"}
    said = {e["field"]: e["message"] for e in problem(
        citra.post(f"/tasks/{analysis['id']}/complete", json={"data": forwarded}), 422)["errors"]}
    assert said.get("recommended_action", "").startswith("Pilih tindakan yang direkomendasikan")


def test_a_disputed_domain_written_with_www_is_refused_in_words_that_say_what_to_write(people):
    """The walk-through: www.dinkescontoh.go.id was filed as the disputed domain (a web address, not the
    name PANDI registers), got past the duplicate check, and went on to every worklist and mail."""
    refused = problem(people["ani"].post("/cases", data=multipart(request_data(**{"domain.name": "WWW.contoh.go.id"})),
                                         content_type="multipart/form-data"), 422)
    assert {"field": "domain.name", "message": "Tulis nama domainnya saja, tanpa www. (misalnya contoh.go.id, bukan "
                                               "www.contoh.go.id)."} in refused["errors"]
    held = problem(people["ani"].post("/cases", data=multipart(request_data(**{"domain.held_domain": "www.kab.go.id"})),
                                      content_type="multipart/form-data"), 422)
    assert "domain.held_domain" in {e["field"] for e in held["errors"]}
    nothing_changed(people["ani"])
