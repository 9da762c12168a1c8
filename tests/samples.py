"""Data a real agency and real officers would enter, and real PDF files, for the stories in the tests."""
from __future__ import annotations

import copy
import io
import json

from web.demo import pdf_letter

REQUEST = {
    "agency": {"name": "Pemerintah Kabupaten Contoh", "level": "kabupaten", "parent": "Pemerintah Provinsi Contoh",
               "address": "Jl. Merdeka No. 1, Contoh, Provinsi Contoh 12345"},
    "contact": {"name": "Budi Santoso", "nip": "198609262015051001", "position": "Kepala Bidang Aplikasi Informatika",
                "email": "budi.santoso@contohkab.go.id", "mobile": "081234567890"},
    "domain": {"name": "contoh.go.id", "current_holder": "Pemerintah Kota Contoh", "held_domain": "contohkab.go.id"},
    "dispute": {"category": "nama_sama", "description": "Domain contoh.go.id didaftarkan oleh Pemerintah Kota Contoh, "
                "padahal nama Contoh juga nama kabupaten kami.", "requested_outcome": "pengalihan"},
    "letter": {"number": "B-99/IJ/KP.07.6/04/2020", "date": "2020-04-15",
               "subject": "Permohonan Penyelesaian Sengketa Nama Domain", "attachments_count": 2,
               "addressee": "Direktur Jenderal Aplikasi Informatika",
               "signatory": {"name": "Siti Rahayu", "position": "Sekretaris Daerah", "nip": "197001011995032002"}},
}
CHECK_COMPLETE = {"decision": "lengkap", "summary": "Sengketa nama sama antara Kabupaten Contoh dan Kota Contoh.",
                  "letter_valid": True}
CHECK_INCOMPLETE = {"decision": "tidak_lengkap", "summary": "Surat belum ditandatangani Sekretaris Daerah.",
                    "missing": "Surat permohonan bertanda tangan Sekretaris Daerah."}
CORRECTION = {"notes": "Surat permohonan kini ditandatangani Sekretaris Daerah; SK pembentukan dilampirkan."}
ANALYSIS_FORWARD = {"decision": "diteruskan", "recommended_action": "pengalihan",
                    "rationale": "Domain tidak digunakan pemegangnya dan pemohon memiliki dasar hukum yang sah."}
ANALYSIS_REJECT = {"decision": "ditolak", "rationale": "Pemegang domain saat ini berhak atas nama tersebut menurut "
                                                       "peraturan yang berlaku."}
PANDI = {"action_taken": "pengalihan", "executed_on": "2020-04-20", "reference": "PANDI-12345",
         "notes": "Domain telah dialihkan kepada Pemerintah Kabupaten Contoh."}
ANSWER = {"outcome": "pengalihan", "answer": "Domain contoh.go.id telah dialihkan kepada instansi Saudara.",
          "letter_number": "B-120/DJAI/KP.07.6/04/2020"}
ANSWER_REJECTED = {"outcome": "ditolak", "answer": "Permohonan tidak dapat dikabulkan karena pemegang domain berhak."}
RECEIPT = {"received": True, "notes": "Terima kasih."}


def request_data(**changes) -> dict:
    """The request, with dotted-path changes: request_data(**{"domain.name": "x.go.id"})."""
    data = copy.deepcopy(REQUEST)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for p in parents:
            node = node[p]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return data


def make_pdf(text: str = "Surat permohonan penyelesaian sengketa nama domain") -> bytes:
    """A small but complete PDF (catalog, page, font, content stream, xref, trailer)."""
    return pdf_letter(text)


def multipart(data: dict, **files) -> dict:
    """A multipart body for the API: `data` as JSON plus (filename, bytes) files."""
    body = {"data": json.dumps(data)}
    for name, items in files.items():
        body[name] = [(io.BytesIO(content), filename) for filename, content in items]
    return body
