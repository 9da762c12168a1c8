"""Demo cases for a first look: four disputes filed by the demo agencies, stopped at different steps of the
SOP, so the worklist, the case list, the diagram and (after the SLA targets pass) the supervisors'
notifications all have something to show. Filed once: a database that has any case gets none."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from engine import Engine
from engine.forms import Upload


@dataclass(frozen=True)
class DemoCase:
    applicant: str        # the demo user who files it
    request: dict         # the start form
    steps: tuple          # (username, form data) for the steps worked so far, in order
    claimed_by: str | None = None  # who has claimed the step it waits at, if anyone


def pdf_letter(text: str) -> bytes:
    """A small but complete one-page PDF (catalog, page, font, content stream, xref, trailer)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _request(agency: dict, contact: dict, domain: dict, dispute: dict, letter_number: str, signatory: dict) -> dict:
    sent = (date.today() - timedelta(days=3)).isoformat()
    return {"agency": agency, "contact": contact, "domain": domain, "dispute": dispute,
            "letter": {"number": letter_number, "date": sent,
                       "subject": "Permohonan Penyelesaian Perselisihan Nama Domain", "attachments_count": 1,
                       "addressee": "Direktur Jenderal Aplikasi Informatika", "signatory": signatory}}


KABUPATEN = {"name": "Pemerintah Kabupaten Contoh", "level": "kabupaten", "parent": "Pemerintah Provinsi Contoh",
             "address": "Jl. Merdeka No. 1, Contoh, Provinsi Contoh 12345"}
KOTA = {"name": "Pemerintah Kota Contoh", "level": "kota", "parent": "Pemerintah Provinsi Contoh",
        "address": "Jl. Balai Kota No. 7, Kota Contoh, Provinsi Contoh 12346"}
KABUPATEN_CONTACT = {"name": "Rina Kartika", "nip": "198703122010122002", "position": "Pranata Komputer Ahli Muda",
                     "email": "rina.kartika@contohkab.go.id", "mobile": "081311112222"}
KOTA_CONTACT = {"name": "Agus Prasetyo", "nip": "198511042009031003", "position": "Kepala Seksi Infrastruktur TIK",
                "email": "agus.prasetyo@contohkota.go.id", "mobile": "085633334444"}
KABUPATEN_SECRETARY = {"name": "Dr. Hendra Wijaya", "position": "Sekretaris Daerah", "nip": "196805171994031003"}
KOTA_SECRETARY = {"name": "Sri Lestari, S.H.", "position": "Sekretaris Daerah", "nip": "197002211996032001"}

CHECKED = {"decision": "lengkap", "letter_valid": True,
           "summary": "Surat permohonan lengkap, ditandatangani Sekretaris Daerah; dicatat sebagai aduan."}
FORWARDED = {"decision": "diteruskan", "recommended_action": "pengalihan",
             "rationale": "Nama domain sesuai nama daerah pemohon dan tidak digunakan oleh pemegangnya saat ini.",
             "legal_basis": "Peraturan Menteri tentang pendaftaran nama domain instansi penyelenggara negara"}
DONE_BY_PANDI = {"action_taken": "pengalihan", "executed_on": (date.today() - timedelta(days=1)).isoformat(),
                 "reference": "PANDI-DEMO-0001", "notes": "Pengelolaan nama domain telah dialihkan kepada pemohon."}
ANSWERED = {"outcome": "pengalihan", "letter_number": "B-310/DJAI/KP.07.6/11/2026",
            "answer": "Nama domain telah dialihkan kepada instansi Saudara. Silakan perbarui konfigurasi DNS."}
RECEIVED = {"received": True, "notes": "Jawaban telah kami terima. Terima kasih."}

CASES = (
    DemoCase("pemohon", _request(
        KABUPATEN, KABUPATEN_CONTACT,
        {"name": "contoh.go.id", "current_holder": "Pemerintah Kota Contoh", "held_domain": "contohkab.go.id"},
        {"category": "nama_sama", "requested_outcome": "pengalihan",
         "description": "Nama domain contoh.go.id dipegang Pemerintah Kota Contoh, padahal Contoh juga nama "
                        "kabupaten kami; kami memohon pengalihan."},
        "B-101/SETDA/KOM.04/11/2026", KABUPATEN_SECRETARY),
        (("layanan", CHECKED), ("layanan2", FORWARDED), ("pandi", DONE_BY_PANDI), ("layanan", ANSWERED),
         ("pemohon", RECEIVED))),
    DemoCase("pemohon2", _request(
        KOTA, KOTA_CONTACT,
        {"name": "wisatacontoh.go.id", "current_holder": "Dinas Pariwisata Provinsi Contoh (lama)",
         "held_domain": "contohkota.go.id"},
        {"category": "dikuasai_pihak_lain", "requested_outcome": "pengalihan",
         "description": "Nama domain wisatacontoh.go.id didaftarkan dinas yang telah dilebur dan kini "
                        "dikelola pihak yang tidak berwenang."},
        "B-77/SETDA/DISKOMINFO/11/2026", KOTA_SECRETARY),
        (("layanan", CHECKED), ("layanan2", FORWARDED))),
    DemoCase("pemohon", _request(
        KABUPATEN, KABUPATEN_CONTACT,
        {"name": "pasarcontoh.go.id", "current_holder": "Perusahaan Daerah Pasar Contoh"},
        {"category": "bukan_subdomain", "requested_outcome": "penonaktifan_sementara",
         "description": "Perusahaan daerah memakai nama domain pasarcontoh.go.id yang seharusnya subdomain "
                        "dari domain pemerintah kabupaten."},
        "B-115/SETDA/KOM.04/11/2026", KABUPATEN_SECRETARY),
        (("layanan", CHECKED),), claimed_by="layanan2"),
    DemoCase("pemohon2", _request(
        KOTA, KOTA_CONTACT,
        {"name": "contohkota.desa.id", "current_holder": "Pemerintah Desa Contoh Kota"},
        {"category": "lainnya", "requested_outcome": "penghapusan",
         "description": "Nama domain contohkota.desa.id dapat dikira situs resmi pemerintah kota; kami "
                        "memohon penghapusannya."},
        "B-80/SETDA/DISKOMINFO/11/2026", KOTA_SECRETARY),
        ()),
)


def file_cases(engine: Engine) -> list[str]:
    """Files the demo cases and works their steps as the demo users; returns their case numbers, or an empty
    list if the database already has cases (the demo never adds to real or earlier data)."""
    owner = engine.identity.by_username("pemilik")
    if engine.instances.list(owner, limit=1)[1]:
        return []
    numbers = []
    for case in CASES:
        applicant = engine.identity.by_username(case.applicant)
        letter = Upload("surat-permohonan.pdf", pdf_letter(f"Surat {case.request['letter']['number']}"),
                        "application/pdf")
        summary = engine.instances.start(applicant, case.request, {"letter": [letter]})
        pending = list(summary.open_tasks)
        for username, data in case.steps:
            actor = engine.identity.by_username(username)
            task = pending.pop(0)
            engine.tasks.claim(actor, task.id)
            pending = list(engine.tasks.complete(actor, task.id, data).next_tasks)
        if case.claimed_by and pending:
            engine.tasks.claim(engine.identity.by_username(case.claimed_by), pending[0].id)
        numbers.append(summary.case_number)
    return numbers
