"""The OpenAPI 3.1 document of /api/v1 (3.1 so form schemas, JSON Schema 2020-12, fit as they are)."""
from __future__ import annotations

from engine.instances import STATUSES


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description):
    return {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}


ERRORS = {
    "400": _problem("Permintaan tidak dapat dibaca (JSON rusak, filter salah)."),
    "401": _problem("Token API tidak ada atau tidak berlaku."),
    "403": _problem("Bukan lajur atau instansi Anda."),
    "404": _problem("Tidak ditemukan (atau bukan milik instansi Anda)."),
    "409": _problem("Konflik: diambil petugas lain, belum siap, atau data sudah berubah."),
    "413": _problem("Unggahan terlalu besar."),
    "422": _problem("Isian tidak sesuai formulir; satu entri per isian di `errors`."),
    "503": _problem("Basis data tidak terjangkau sejenak; tidak ada yang tersimpan, kirim lagi."),
}


def _responses(ok_code, ok_schema, *codes):
    out = {ok_code: {"description": "Berhasil", "content": {"application/json": {"schema": ok_schema}}}}
    out.update({c: ERRORS[c] for c in (*codes, "503")})  # any command can meet a database gone for a moment
    return out


def _task_path(summary, op_id):
    return {"post": {"summary": summary, "operationId": op_id, "parameters": [{"$ref": "#/components/parameters/TaskId"}],
                     "responses": _responses("200", _ref("Task"), "400", "401", "403", "404", "409")}}


def _list(item: str) -> dict:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(item)},
                                             "total": {"type": "integer"}, "limit": {"type": "integer"},
                                             "offset": {"type": "integer"}}}


def document() -> dict:
    payload = {
        "multipart/form-data": {"schema": {"type": "object", "required": ["data"], "properties": {
            "data": {"type": "string", "description": "Data formulir sebagai JSON."},
            "letter": {"type": "string", "format": "binary"},
            "evidence": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
        "application/json": {"schema": {"type": "object", "required": ["data"],
                                        "properties": {"data": {"type": "object"}}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Sengketa — Helpdesk Sengketa Nama Domain .go.id", "version": "1.0.0",
                 "description": "Mengajukan sengketa, daftar kerja, dan penyelesaian tugas sesuai SOP."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/cases": {
                "post": {"summary": "Ajukan sengketa baru", "operationId": "startCase",
                         "description": "Dengan header Idempotency-Key (1–200 karakter ASCII), kiriman ulang "
                                        "dengan kunci yang sama (setelah batas waktu, koneksi putus) tidak "
                                        "mengajukan lagi: jawabannya 200 dengan kasus yang diajukan pertama kali "
                                        "dan header Idempotent-Replayed: true.",
                         "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                         "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
                         "requestBody": {"required": True, "content": payload},
                         "responses": {**_responses("201", _ref("FiledCase"), "400", "401", "403", "409", "413",
                                                    "422"),
                                       "200": {"description": "Sudah diajukan dengan kunci ini: kasus itu",
                                               "content": {"application/json": {"schema": _ref("FiledCase")}}}}},
                "get": {"summary": "Daftar kasus yang boleh Anda lihat", "operationId": "listCases",
                        "parameters": [{"name": "status", "in": "query", "schema": {"enum": list(STATUSES)}},
                            {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}},
                            {"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Offset"}],
                        "responses": _responses("200", _ref("CaseList"), "400", "401")}},
            "/cases/{case_id}": {"get": {
                "summary": "Status, tugas terbuka dan riwayat sebuah kasus", "operationId": "getCase",
                "parameters": [{"name": "case_id", "in": "path", "required": True,
                                "description": "ID angka atau nomor kasus (SNG-2026-000123)",
                                "schema": {"type": "string"}}],
                "responses": _responses("200", _ref("Case"), "400", "401", "404")}},
            "/cases/{case_id}/cancel": {"post": {
                "summary": "Tarik (instansi pemohon) atau batalkan (pemilik proses, administrator) kasus yang berjalan",
                "operationId": "cancelCase",
                "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["reason"],
                    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 1000}}}}}},
                "description": "Jawabannya kasus itu sesudah diakhiri. Bila kasus tidak dapat dibaca ulang sesudah "
                               "pengakhiran tersimpan (basis data terputus sejenak), jawabannya tetap 200 dengan "
                               "id, case_number, status dan history berisi satu entri {event} saja: pengakhiran "
                               "sudah tersimpan; baca kasusnya lagi nanti.",
                "responses": _responses("200", _ref("Case"), "400", "401", "403", "404", "409", "413", "422")}},
            "/cases/{case_id}/documents/{document_id}": {"get": {
                "summary": "Unduh dokumen kasus", "operationId": "getDocument",
                "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "document_id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "Berkas, dengan jenis yang diperiksa saat diunggah",
                                      "content": {kind: {} for kind in ("application/pdf", "image/png",
                                                                        "image/jpeg")}},
                              "400": ERRORS["400"], "401": ERRORS["401"], "404": ERRORS["404"],
                              "503": ERRORS["503"]}}},
            "/tasks": {"get": {
                "summary": "Tugas yang boleh Anda lihat", "operationId": "listTasks",
                "parameters": [
                    {"name": "view", "in": "query", "schema": {"enum": ["queue", "mine"]},
                     "description": "queue: antrian lajur Anda yang belum diambil; mine: diambil oleh Anda"},
                    {"name": "mine", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "lane", "in": "query", "schema": {"enum": ["pemohon", "tim_layanan", "pandi"]}},
                    {"name": "state", "in": "query", "schema": {"enum": ["ready", "completed", "cancelled", "all"],
                                                                "default": "ready"}},
                    {"name": "overdue", "in": "query", "schema": {"type": "boolean"}},
                    {"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Offset"}],
                "responses": _responses("200", _ref("TaskList"), "400", "401")}},
            "/notifications": {"get": {
                "summary": "Notifikasi Anda (target waktu terlewati, langkah yang menunggu tindakan Anda)", "operationId": "listNotifications",
                "parameters": [{"name": "unread", "in": "query", "schema": {"type": "boolean"}},
                               {"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Offset"}],
                "responses": _responses("200", _ref("NotificationList"), "400", "401")}},
            "/tasks/{task_id}": {"get": {
                "summary": "Tugas beserta skema formulirnya", "operationId": "getTask",
                "parameters": [{"$ref": "#/components/parameters/TaskId"}],
                "responses": _responses("200", _ref("TaskDetail"), "400", "401", "404")}},
            "/tasks/{task_id}/claim": _task_path("Ambil tugas", "claimTask"),
            "/tasks/{task_id}/unclaim": _task_path("Lepas tugas", "unclaimTask"),
            "/tasks/{task_id}/assign": {"post": {
                "summary": "Berikan tugas kepada petugas tertentu", "operationId": "assignTask",
                "description": "Supervisor lajur langkah itu atau pemilik proses memberikan langkah yang menunggu "
                               "kepada petugas yang boleh mengerjakannya (dari antrian, atau dari pemegangnya, "
                               "yang diberi tahu). Langkah lajur pemohon tidak diberikan.",
                "parameters": [{"$ref": "#/components/parameters/TaskId"}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["to"], "properties": {
                        "to": {"type": "string", "description": "Nama pengguna petugas yang diberi tugas"},
                        "from": {"type": ["string", "null"], "description": "Pemegang tugas yang Anda lihat (null "
                                 "atau tidak disebut: belum diambil); bila kini orang lain memegangnya, 409 dan "
                                 "tidak ada yang berubah"}}}}}},
                "responses": _responses("200", _ref("Task"), "400", "401", "403", "404", "409", "413", "422")}},
            "/tasks/{task_id}/complete": {"post": {
                "summary": "Selesaikan tugas dengan data formulirnya", "operationId": "completeTask",
                "description": "Tugas harus sudah diambil pemanggil, kecuali langkah instansi pemohon sendiri "
                               "(lajur pemohon): petugas instansinya mengirimnya langsung.",
                "parameters": [{"$ref": "#/components/parameters/TaskId"}],
                "requestBody": {"required": True, "content": payload},
                "responses": _responses("200", _ref("CompletedTask"), "400", "401", "403", "404", "409", "413",
                                       "422")}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "flask --app wsgi users token USERNAME"}},
            "parameters": {
                "TaskId": {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}},
                "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                     "maximum": 500, "default": 100}},
                "Offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                                      "maximum": 999999999999999999}},
            },
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"}, "code": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                                                          "properties": {
                        "field": {"type": "string", "description": "Jalur bertitik dalam `data`, nama bagian "
                                                                   "berkas, header (Idempotency-Key) atau isian "
                                                                   "perintah; kosong untuk permintaan secara "
                                                                   "keseluruhan."},
                        "in": {"enum": ["file"], "description": "Ada bila masalahnya pada berkas unggahan "
                                                                "(`field` maka menyebut bagian multipart-nya)."},
                        "message": {"type": "string"}}}}}},
                "CaseSummary": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "case_number": {"type": "string"},
                    "status": {"enum": list(STATUSES)}, "agency": {"type": "string"},
                    "domain": {"type": "string"}, "version": {"type": "integer"},
                    "started_at": {"type": "string", "format": "date-time"},
                    "completed_at": {"type": ["string", "null"], "format": "date-time"},
                    "outcome": {"description": "Hasil kasus setelah dijawab: nilai formulir jawaban, judulnya, dan "
                                               "apakah instansi mendapat yang dimohonkannya.",
                                "oneOf": [{"type": "null"}, {"type": "object", "required": ["value", "title", "tone"],
                                           "properties": {"value": {"type": "string"}, "title": {"type": "string"},
                                                          "tone": {"enum": ["granted", "not-granted"]}}}]}}},
                "CaseList": _list("CaseSummary"),
                "FiledCase": {"allOf": [_ref("CaseSummary"), {"type": "object", "required": ["open_tasks"],
                                                              "properties": {
                    "open_tasks": {"type": "array", "items": _ref("Task")}}}]},
                "Case": {"allOf": [_ref("CaseSummary"), {"type": "object", "properties": {
                    "process": {"type": "string", "description": "Nama proses (diagram) versi kasus ini"},
                    "started_by": {"type": ["string", "null"], "description": "Petugas yang mengajukan"},
                    "targets_minutes": {"type": "object", "additionalProperties": {"type": "number"},
                                        "description": "Target waktu tiap langkah (id elemen -> menit)"},
                    "open_tasks": {"type": "array", "items": _ref("Task")},
                    "data": {"type": "object"},
                    "documents": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "field": {"type": "string"}, "filename": {"type": "string"},
                        "content_type": {"type": "string"}, "size": {"type": "integer"},
                        "sha256": {"type": "string"}, "uploaded_at": {"type": "string", "format": "date-time"},
                        "task_id": {"type": ["string", "null"]}, "url": {"type": "string"},
                        "replaced_by": {"type": ["integer", "null"], "description": "Dokumen yang menggantikannya "
                                        "(unggahan berikutnya ke isian satu berkas, mis. surat pengganti)"}}}},
                    "history": {"type": "array", "items": {"type": "object", "properties": {
                        "at": {"type": "string", "format": "date-time"}, "event": {"type": "string"},
                        "label": {"type": "string", "description": "Peristiwa dalam kata-kata"},
                        "user": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]},
                        "task_id": {"type": ["string", "null"]}, "element_id": {"type": ["string", "null"]},
                        "reason": {"type": "string", "description": "Alasan yang diberikan (case_withdrawn, "
                                                                    "case_cancelled)."},
                        "to": {"type": "string", "description": "Petugas yang diberi tugas (task_assigned)."},
                        "from": {"type": "string", "description": "Petugas yang tugasnya dilepas atau diberikan "
                                                                  "kepada orang lain (task_unclaimed, task_assigned)."},
                        "decided": {"type": "array", "items": {"type": "object",
                                                               "required": ["field", "label", "value", "title"],
                                                               "properties": {
                            "field": {"type": "string"}, "label": {"type": "string", "description": "Judul isian"},
                            "value": {"type": "string"}, "title": {"type": "string", "description": "Judul pilihan"}}},
                                    "description": "Yang diputuskan langkah itu, dengan kata-kata formulirnya: "
                                                   "pilihan pada isian pilihan yang wajib (task_completed)."}}}}}}]},
                "TaskList": _list("Task"),
                "NotificationList": {"type": "object", "properties": {
                    "items": {"type": "array", "items": _ref("Notification")},
                    "unread": {"type": "integer", "description": "Jumlah yang belum dibaca, semuanya"}}},
                "Notification": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "subject": {"type": "string"}, "body": {"type": "string"},
                    "link": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"},
                    "read_at": {"type": ["string", "null"], "format": "date-time"},
                    "delivery": {"type": ["string", "null"], "description": "Nasib e-mailnya"},
                    "case_id": {"type": ["integer", "null"]}}},
                "Task": {"type": "object", "required": ["id", "case_id", "name", "lane", "state", "claimed_by",
                                                        "created_at", "due_at"], "properties": {
                    "id": {"type": "string"}, "case_id": {"type": "integer"}, "case_number": {"type": "string"},
                    "name": {"type": "string"}, "element_id": {"type": "string"},
                    "lane": {"enum": ["pemohon", "tim_layanan", "pandi"]},
                    "state": {"enum": ["ready", "completed", "cancelled"]},
                    "claimed_by": {"type": ["string", "null"]},
                    "created_at": {"type": "string", "format": "date-time"},
                    "due_at": {"type": ["string", "null"], "format": "date-time"},
                    "completed_at": {"type": ["string", "null"], "format": "date-time"},
                    "completed_by": {"type": ["string", "null"]},
                    "agency": {"type": "string", "description": "Nama instansi pemohon"},
                    "domain": {"type": "string", "description": "Nama domain yang disengketakan"},
                    "form_key": {"type": ["string", "null"], "description": "Berkas formulir di forms/"}}},
                "CompletedTask": {"allOf": [_ref("Task"), {"type": "object", "required": ["next_tasks", "case_status"],
                                                           "properties": {
                    "next_tasks": {"type": "array", "items": _ref("Task"),
                                   "description": "Tugas yang menjadi siap karena penyelesaian ini"},
                    "case_status": {"enum": list(STATUSES),
                                    "description": "Status kasus setelah penyelesaian ini"}}}]},
                "TaskDetail": {"allOf": [_ref("Task"), {"type": "object", "properties": {
                    "form": {"type": "object", "description": "JSON Schema 2020-12 formulir langkah ini"},
                    "documentation": {"type": "string"},
                    "inputs": {"type": "object", "description": "Objek data yang dibaca langkah ini, menurut id: "
                                                                "{name, value} dan, bila instansi memperbaikinya "
                                                                "sejak langkah yang membacanya terakhir berjalan, "
                                                                "corrected {at, fields}"},
                    "suggested": {"type": "object", "description": "Pilihan yang ditentukan keputusan langkah "
                                                                   "sebelumnya (x-case-rules formulir)"},
                    "initial": {"type": "object", "description": "Nilai awal isian dari data kasus (x-starts-from "
                                                                 "formulir, mis. tindakan yang direkomendasikan "
                                                                 "analisa, tanggal hari ini); boleh diubah. Isian yang "
                                                                 "tidak berlaku untuk pilihan yang dikirim (mis. "
                                                                 "tanggal untuk tindakan yang tidak dilaksanakan) "
                                                                 "harus dihilangkan"},
                    "asked": {"type": "object", "description": "Bila langkah ini menunggu dan menjawab perbaikan "
                                                               "instansi: yang diminta darinya (mis. kekurangan), "
                                                               "menurut id objek data",
                              "additionalProperties": {"type": "object", "required": ["name", "value"],
                                                       "properties": {"name": {"type": "string"}, "value": {}}}},
                    "current": {"type": "object", "description": "Objek data yang diperbaiki langkah ini (x-amends "
                                                                 "formulir), sebagaimana tercatat: kirim versi "
                                                                 "perbaikannya di bawah nama yang sama dalam data"}}}]},
            },
        },
    }
