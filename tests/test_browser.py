"""The whole SOP clicked through in a real browser (Chromium via Playwright) against a live server.

Every person uses a browser context of their own (their own session cookie), logs in on /login and works
through the pages exactly as they would: the start form, the worklist, the task pages, the case page.
CSRF protection stays on: the browser posts the real forms with their tokens.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from conftest import PASSWORD, PEOPLE
from web import create_app
from web.demo import pdf_letter

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CASE_NUMBER = re.compile(r"SNG-\d{4}-\d{6}")
AGENCIES = {"kab-contoh": "Pemerintah Kabupaten Contoh", "kota-contoh": "Pemerintah Kota Contoh"}

# What a real agency officer and the teams would type (valid against the forms in forms/).
REQUEST = {
    "agency": {"name": "Pemerintah Kabupaten Contoh", "level": "kabupaten", "parent": "Pemerintah Provinsi Contoh",
               "address": "Jl. Merdeka No. 1, Contoh, Provinsi Contoh 12345"},
    "contact": {"name": "Budi Santoso", "nip": "198609262015051001",
                "position": "Kepala Bidang Aplikasi Informatika", "email": "budi.santoso@contohkab.go.id",
                "mobile": "081234567890"},
    "domain": {"name": "contoh.go.id", "current_holder": "Pemerintah Kota Contoh", "held_domain": "contohkab.go.id"},
    "dispute": {"category": "nama_sama",
                "description": "Domain contoh.go.id didaftarkan oleh Pemerintah Kota Contoh, padahal nama Contoh "
                               "juga nama kabupaten kami.",
                "requested_outcome": "pengalihan"},
    "letter": {"number": "B-99/IJ/KP.07.6/04/2020", "date": "2020-04-15",
               "subject": "Permohonan Penyelesaian Sengketa Nama Domain", "attachments_count": 2,
               "addressee": "Direktur Jenderal Aplikasi Informatika",
               "signatory": {"name": "Siti Rahayu", "position": "Sekretaris Daerah", "nip": "197001011995032002"}},
}
SUMMARY = "Sengketa nama sama antara Kabupaten Contoh dan Kota Contoh atas contoh.go.id."
RATIONALE = "Domain contoh.go.id tidak digunakan pemegangnya dan pemohon memiliki dasar hukum yang sah."
PANDI_NOTES = "Domain telah dialihkan kepada Pemerintah Kabupaten Contoh."
ANSWER = "Domain contoh.go.id telah dialihkan kepada instansi Saudara per 20 April 2020."
ANSWER_LETTER = "B-120/DJAI/KP.07.6/04/2020"

STEP_CHECK = "Periksa permohonan"
STEP_ANALYSE = "Analisa aduan"
STEP_PANDI = "Selesaikan sengketa dan kirim konfirmasi"
STEP_ANSWER = "Berikan konfirmasi/jawaban ke pemohon"
STEP_RECEIVE = "Terima konfirmasi/jawaban"

expect.set_options(timeout=10_000)


minimal_pdf = pdf_letter  # a small but valid one-page PDF


class Live:
    def __init__(self, url, engine, actors, backend):
        self.url, self.engine, self.actors, self.backend = url, engine, actors, backend

    def case_count(self) -> int:
        return self.engine.instances.list(self.actors["fajar"])[1]


@pytest.fixture
def live(database_url):
    """The app served over real HTTP on a free port, with the story's users; CSRF on."""
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "x", "WAITING_POLL_SECONDS": 1})
    engine = app.extensions["engine"]
    for code, name in AGENCIES.items():
        engine.identity.ensure_agency(code, name)
    actors = {name: engine.identity.add_user(name, role, f"{name}@contoh.go.id", PASSWORD, agency, lane)
              for name, (role, agency, lane) in PEOPLE.items()}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    yield Live(f"http://127.0.0.1:{server.server_port}", engine, actors, backend)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    engine.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (bin/test installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def login(request, browser: Browser, live: Live):
    """login(name) -> a page in a fresh browser context of that person, logged in through /login.
    When the test fails, every person's page is kept as /tmp/browser-failure-<test>-<n>.png."""
    contexts, blocked = [], []
    failed_before = request.session.testsfailed

    def login_as(name: str) -> Page:
        context = browser.new_context(base_url=live.url, locale="id-ID", viewport={"width": 1280, "height": 900},
                                      accept_downloads=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        # what the pages' Content-Security-Policy blocked, the browser says on the console: nothing may be
        page.on("console", lambda message: blocked.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.goto("/login")
        expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
        page.get_by_label("Nama pengguna").fill(name)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        expect(page).to_have_url(re.compile(r"/worklist"))
        expect(page.locator("header .who")).to_contain_text(name)
        return page

    yield login_as
    if request.session.testsfailed > failed_before:
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)
        for number, context in enumerate(contexts):
            for page in context.pages:
                print(f"page {number}: {page.url}")
                page.screenshot(path=f"/tmp/browser-failure-{slug}-{number}.png", full_page=True)
    for context in contexts:
        context.close()
    assert blocked == []


def flatten(values: dict, prefix: str = ""):
    for key, value in values.items():
        if isinstance(value, dict):
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def fill_form(form, values: dict) -> None:
    """Types, picks and ticks every value into the field with that (dotted) name, by the field's widget."""
    for name, value in flatten(values):
        field = form.locator(f'[name="{name}"]').first
        kind = field.evaluate("e => e.tagName.toLowerCase() === 'input' ? e.type : e.tagName.toLowerCase()")
        if kind == "radio":
            form.locator(f'input[type=radio][name="{name}"][value="{value}"]').check()
        elif kind == "checkbox":
            field.set_checked(bool(value))
        elif kind == "select":
            field.select_option(str(value))
        else:
            field.fill(str(value))


def write_letter(tmp_path: Path) -> Path:
    path = tmp_path / "surat-permohonan.pdf"
    path.write_bytes(minimal_pdf("Surat permohonan penyelesaian sengketa nama domain contoh.go.id"))
    return path


def menu(page: Page, item: str) -> None:
    """Clicks an item of the menu in the page header (some carry a count after their name)."""
    page.locator("header nav").get_by_role("link", name=re.compile(rf"^{re.escape(item)}(?: ·.*)?$")).click()


def open_start_form(page: Page):
    menu(page, "Ajukan sengketa")
    expect(page).to_have_url(re.compile(r"/cases/new$"))
    expect(page.get_by_role("heading", name="Pengajuan Sengketa Nama Domain")).to_be_visible()
    return page.locator("#case-form")


def claim_from_queue(page: Page, case_number: str, step: str, domain: str = "contoh.go.id",
                     agency: str = AGENCIES["kab-contoh"]) -> None:
    """The worklist opens on Antrian: find the step of the case, check its row, click Ambil, land on the task page."""
    menu(page, "Daftar kerja")
    expect(page).to_have_url(re.compile(r"/worklist$"))
    expect(page.locator(".tabs a.active")).to_contain_text("Antrian")
    row = page.locator("tr[data-task]").filter(has_text=case_number).filter(has_text=step)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(domain)
    expect(row).to_contain_text(agency)
    task_id = row.get_attribute("data-task")
    row.get_by_role("button", name="Ambil").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{re.escape(task_id)}$"))
    expect(page.locator(".flash.success")).to_contain_text("kini menjadi tugas Anda")
    expect(page.get_by_role("heading", name=step, exact=True)).to_be_visible()
    expect(page.locator("#task-form")).to_be_visible()


def finish_task(page: Page, case_number: str, step: str, then: str, button: str = "Selesaikan tugas") -> None:
    """Completes the step; the page says what comes next (`then`) and who works it."""
    page.locator("#task-form").get_by_role("button", name=button).click()
    expect(page).to_have_url(re.compile(rf"/cases/{case_number}$"))
    expect(page.locator(".flash.success")).to_have_text(f"Tugas '{step}' selesai. {then}")


def step_row(page: Page, step: str):
    return page.locator("#steps tbody tr").filter(has=page.get_by_role("cell", name=step, exact=True))


def test_sop_story_in_the_browser(login, live: Live, tmp_path):
    letter = write_letter(tmp_path)

    # 1. ani files the dispute through the start form, with the signed letter as PDF.
    ani = login("ani")
    form = open_start_form(ani)
    fill_form(form, REQUEST)
    form.locator('input[type=file][name="letter"]').set_input_files(str(letter))
    form.get_by_role("button", name="Kirim permohonan").click()
    expect(ani).to_have_url(re.compile(r"/cases/SNG-\d{4}-\d{6}$"))
    case_number = CASE_NUMBER.search(ani.url).group(0)
    expect(ani.locator(".flash.success")).to_contain_text(f"Permohonan tercatat sebagai kasus {case_number}.")
    expect(ani.get_by_role("heading", level=1)).to_contain_text(case_number)
    expect(ani.locator("#case-status")).to_have_text("Berjalan")
    expect(ani.locator(".meta")).to_contain_text("contoh.go.id")
    expect(step_row(ani, STEP_CHECK)).to_contain_text("Menunggu")
    expect(ani.get_by_role("link", name="surat-permohonan.pdf", exact=True)).to_be_visible()
    assert live.case_count() == 1
    # The applicant may look at the team's pending step, but is not offered to take it.
    ani.locator("#steps").get_by_role("link", name=STEP_CHECK).click()
    expect(ani.get_by_role("heading", name=STEP_CHECK, exact=True)).to_be_visible()
    expect(ani.locator("main")).to_contain_text("langkah ini dikerjakan oleh Tim Layanan Domain")
    expect(ani.get_by_role("button", name="Ambil tugas ini")).to_have_count(0)
    # Her worklist holds her agency's own steps only: the team's check is on the case page, not there.
    menu(ani, "Daftar kerja")
    expect(ani.locator("#agency-steps")).to_be_visible()
    expect(ani.locator("tr[data-task]")).to_have_count(0)
    expect(ani.locator(".tabs")).to_have_count(0)

    # 2. citra (Tim Layanan) takes "Periksa permohonan" from the queue and finds the request complete.
    citra = login("citra")
    claim_from_queue(citra, case_number, STEP_CHECK)
    needed = citra.locator("#task-inputs")
    for shown in ("Pemerintah Kabupaten Contoh", "Budi Santoso", "198609262015051001", "contoh.go.id",
                  "Pemerintah Kabupaten", "Pengalihan domain", "B-99/IJ/KP.07.6/04/2020", "Sekretaris Daerah"):
        expect(needed).to_contain_text(shown)
    with citra.expect_download() as download:
        needed.get_by_role("link", name="surat-permohonan.pdf", exact=True).click()
    assert Path(download.value.path()).read_bytes() == letter.read_bytes()
    task_form = citra.locator("#task-form")
    task_form.get_by_role("radio", name=re.compile(r"^Lengkap dan sah")).check()
    task_form.get_by_label("Ringkasan aduan").fill(SUMMARY)
    task_form.get_by_role("checkbox", name=re.compile(r"^Surat ditujukan kepada Dirjen")).check()
    citra.screenshot(path=f"/tmp/browser-task-{live.backend}.png", full_page=True)
    finish_task(citra, case_number, STEP_CHECK,
                f"Langkah berikutnya: {STEP_ANALYSE} — dikerjakan oleh Tim Layanan Domain.")
    expect(step_row(citra, STEP_CHECK)).to_contain_text("citra")
    expect(step_row(citra, STEP_ANALYSE)).to_contain_text("Menunggu")
    # the analysis is hers to take too, one click away (dodi takes it from the queue instead)
    expect(citra.locator("#next-step").get_by_role("button", name=f"Ambil dan kerjakan: {STEP_ANALYSE}")).to_be_visible()

    # 3. dodi, the other Tim Layanan member, analyses the complaint and forwards it to PANDI.
    dodi = login("dodi")
    claim_from_queue(dodi, case_number, STEP_ANALYSE)
    expect(dodi.locator("#task-inputs")).to_contain_text(SUMMARY)
    task_form = dodi.locator("#task-form")
    task_form.get_by_role("radio", name=re.compile(r"^Diteruskan ke PANDI")).check()
    task_form.get_by_role("radio", name="Pengalihan domain").check()
    task_form.get_by_label("Dasar pertimbangan").fill(RATIONALE)
    finish_task(dodi, case_number, STEP_ANALYSE,
                f"Langkah berikutnya: {STEP_PANDI} — dikerjakan oleh PANDI.")

    # 4. eka (PANDI) carries out the transfer and confirms it.
    eka = login("eka")
    claim_from_queue(eka, case_number, STEP_PANDI)
    expect(eka.locator("#task-inputs")).to_contain_text(RATIONALE)
    task_form = eka.locator("#task-form")
    task_form.get_by_role("radio", name="Pengalihan domain").check()
    task_form.get_by_label("Tanggal pelaksanaan").fill("2020-04-20")
    task_form.get_by_label("Nomor tiket/referensi PANDI").fill("PANDI-12345")
    task_form.get_by_label("Keterangan").fill(PANDI_NOTES)
    finish_task(eka, case_number, STEP_PANDI,
                f"Langkah berikutnya: {STEP_ANSWER} — dikerjakan oleh Tim Layanan Domain.")
    expect(eka.locator("#next-step")).to_have_text("kembali ke antrian")  # the answer is not PANDI's

    # 5. citra answers the applicant, then logs out.
    claim_from_queue(citra, case_number, STEP_ANSWER)
    expect(citra.locator("#task-inputs")).to_contain_text(PANDI_NOTES)
    task_form = citra.locator("#task-form")
    # What PANDI did decides the outcome: the form starts with it chosen.
    expect(task_form.get_by_label("Hasil penyelesaian")).to_have_value("pengalihan")
    task_form.get_by_label("Isi jawaban kepada pemohon").fill(ANSWER)
    task_form.get_by_label("Nomor surat jawaban").fill(ANSWER_LETTER)
    finish_task(citra, case_number, STEP_ANSWER,
                f"Langkah berikutnya: {STEP_RECEIVE} — dikerjakan oleh Instansi (K/L/D/Desa).")
    citra.get_by_role("button", name="Keluar").click()
    expect(citra).to_have_url(re.compile(r"/login$"))
    expect(citra.locator(".flash.info")).to_contain_text("Anda telah keluar.")

    # 6. ani's header tells her something waits; she finds the answer, reads it and confirms she received it.
    ani.reload()
    expect(ani.locator("#worklist-link")).to_have_accessible_name("Daftar kerja · tugas menunggu: 1")
    # Her agency's own step needs no 'Ambil': she opens it and sends it, and it is hers as she sends it.
    menu(ani, "Daftar kerja")
    row = ani.locator("tr[data-task]").filter(has_text=case_number).filter(has_text=STEP_RECEIVE)
    expect(row.get_by_role("button", name="Ambil")).to_have_count(0)
    row.get_by_role("link", name="Kerjakan").click()
    expect(ani.get_by_role("heading", name=STEP_RECEIVE, exact=True)).to_be_visible()
    expect(ani.locator("#claimed-on-send")).to_be_visible()
    expect(ani.locator("dl.sop")).to_have_count(0)  # the helpdesk's SOP row is not the agency's business
    expect(ani.locator("#from-helpdesk")).to_contain_text(ANSWER)  # what she acts on, above her form
    task_form = ani.locator("#task-form")
    task_form.get_by_role("checkbox", name=re.compile(r"^Kami telah menerima")).check()
    task_form.get_by_label("Catatan").fill("Terima kasih.")
    ani.screenshot(path=f"/tmp/browser-task-receive-{live.backend}.png", full_page=True)
    finish_task(ani, case_number, STEP_RECEIVE,
                "Kasus selesai; tidak ada langkah lagi.", button="Konfirmasi jawaban diterima")

    # 7. The case is finished with the outcome in its header, and its history names who did each step.
    expect(ani.locator("#case-status")).to_have_text("Selesai")
    expect(ani.locator("#case-outcome")).to_have_text("Hasil: Pengalihan domain")
    expect(ani.locator("#case-outcome")).to_have_class(re.compile(r"\bgranted\b"))  # green: done as asked
    ani.reload()
    expect(ani.locator("#case-status")).to_have_text("Selesai")
    for step, user in ((STEP_CHECK, "citra"), (STEP_ANALYSE, "dodi"), (STEP_PANDI, "eka"),
                       (STEP_ANSWER, "citra"), (STEP_RECEIVE, "ani")):
        done = ani.locator("#history li").filter(has_text="Tugas diselesaikan").filter(has_text=step)
        expect(done).to_have_count(1)
        expect(done.locator(".user")).to_have_text(user)
        expect(step_row(ani, step)).to_contain_text(user)
        expect(step_row(ani, step)).to_contain_text("Selesai")
    analysed = ani.locator("#history li").filter(has_text="Tugas diselesaikan").filter(has_text=STEP_ANALYSE)
    expect(analysed.locator(".decided")).to_have_text("Keputusan: Diteruskan ke PANDI untuk diselesaikan")
    started = ani.locator("#history li").filter(has_text="Permohonan diajukan")
    expect(started.locator(".user")).to_have_text("ani")
    expect(ani.locator("#history li").filter(has_text="Kasus selesai")).to_have_count(1)
    ani.screenshot(path=f"/tmp/browser-case-{live.backend}.png", full_page=True)
    menu(ani, "Daftar kerja")
    expect(ani.locator("p.empty")).to_have_text("Tidak ada langkah yang menunggu instansi Anda.")
    assert live.case_count() == 1

    # Another agency's officer neither lists nor opens the case.
    bayu = login("bayu")
    menu(bayu, "Kasus")
    expect(bayu.locator("p.empty")).to_have_text("Belum ada kasus.")
    assert bayu.goto(f"/cases/{case_number}").status == 404
    expect(bayu.locator("main")).to_contain_text("Kasus tidak ditemukan.")


def test_a_file_over_the_limit_is_refused_when_chosen_and_the_form_keeps_its_entries(login, live: Live, tmp_path):
    """The UX review: an 11 MB scan went to the server, came back as a full-page 413 and the form was gone."""
    ani = login("ani")
    form = open_start_form(ani)
    fill_form(form, REQUEST)
    field = ani.locator('[data-field="file:letter"]')
    expect(field).to_contain_text("Maksimal 10 MB per berkas.")
    big = tmp_path / "pindaian-besar.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))
    field.locator("input[type=file]").set_input_files(str(big))
    expect(field.locator(".too-big")).to_be_visible()
    expect(field.locator(".too-big")).to_contain_text("Berkas pindaian-besar.pdf (11,0 MB) melebihi batas 10 MB")
    expect(field).to_have_class(re.compile(r"\binvalid\b"))
    assert field.locator("input[type=file]").evaluate("e => e.files.length") == 0  # it will not be sent
    # a file that fits clears the message, and the case is filed with everything typed before
    field.locator("input[type=file]").set_input_files(str(write_letter(tmp_path)))
    expect(field.locator(".too-big")).to_be_hidden()
    form.get_by_role("button", name="Kirim permohonan").click()
    expect(ani).to_have_url(re.compile(r"/cases/SNG-\d{4}-\d{6}$"))
    assert live.case_count() == 1


def test_too_many_files_are_refused_when_chosen_not_after_sending(login, live: Live, tmp_path):
    """The UX review: the 10-file limit was said only after sending, and every file had to be chosen again.
    The limits are on the form, and the choice that goes over them is taken back at once."""
    ani = login("ani")
    form = open_start_form(ani)
    ani.wait_for_load_state("load")  # files.js (deferred) is listening
    expect(form.locator("#file-limits")).to_contain_text("Paling banyak 10 berkas per pengiriman")
    form.locator('[data-field="file:letter"] input[type=file]').set_input_files(str(write_letter(tmp_path)))
    evidence = form.locator('[data-field="file:evidence"] input[type=file]')
    proofs = []
    for i in range(10):
        proofs.append(tmp_path / f"bukti-{i}.pdf")
        proofs[-1].write_bytes(minimal_pdf(f"Bukti pendukung {i}"))
    evidence.set_input_files([str(p) for p in proofs])
    expect(form.locator(".too-many")).to_be_visible()
    expect(form.locator(".too-many")).to_contain_text("11 berkas dipilih; paling banyak 10 berkas per pengiriman")
    assert evidence.evaluate("e => e.files.length") == 0
    evidence.set_input_files([str(p) for p in proofs[:9]])
    expect(form.locator(".too-many")).to_be_hidden()
    assert evidence.evaluate("e => e.files.length") == 9


def test_the_overdue_filter_answers_the_space_key_as_a_checkbox_does(login, live: Live):
    citra = login("citra")
    citra.wait_for_load_state("load")  # the page's scripts (deferred) are listening
    toggle = citra.get_by_role("checkbox", name="Hanya yang terlambat")
    expect(toggle).to_have_attribute("aria-checked", "false")
    toggle.focus()
    citra.keyboard.press("Space")
    expect(citra).to_have_url(re.compile(r"terlambat=1"))
    expect(citra.get_by_role("checkbox", name="Hanya yang terlambat")).to_have_attribute("aria-checked", "true")


def test_start_form_rejects_a_domain_outside_go_id(login, live: Live, tmp_path):
    ani = login("ani")
    form = open_start_form(ani)
    request = {**REQUEST, "domain": {**REQUEST["domain"], "name": "contoh.com"}}
    fill_form(form, request)
    form.locator('input[type=file][name="letter"]').set_input_files(str(write_letter(tmp_path)))
    with ani.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/cases/new")) as posted:
        form.get_by_role("button", name="Kirim permohonan").click()
    assert posted.value.status == 422
    expect(ani).to_have_url(re.compile(r"/cases/new$"))
    expect(ani.locator("#form-problems")).to_contain_text("Belum tersimpan: 1 isian perlu diperbaiki")
    expect(ani.locator(".flash.error")).to_have_count(0)  # said once, by the summary
    field = ani.locator('[data-field="domain.name"]')
    expect(field).to_have_class(re.compile(r"\binvalid\b"))
    expect(field.locator(".error-text")).to_have_text(
        "Nama domain harus berakhiran .go.id atau .desa.id, misalnya contoh.go.id.")
    expect(field.locator("input")).to_have_value("contoh.com")
    expect(ani.locator("#case-form .error-text")).to_have_count(1)  # only the wrong field is marked
    # What was typed stays, so the officer only corrects the domain.
    expect(ani.locator('[name="contact.nip"]')).to_have_value(REQUEST["contact"]["nip"])
    expect(ani.locator('[name="agency.level"]')).to_have_value("kabupaten")
    expect(ani.locator('input[name="dispute.category"][value="nama_sama"]')).to_be_checked()
    # The browser dropped the chosen file; the page says so above the form and names it at its own field, which
    # is how a screen reader hears it too.
    expect(ani.locator("#case-form .reattach").first).to_contain_text("pilih kembali berkas Anda")
    letter = ani.locator("#file-letter")
    expect(letter).to_have_accessible_description(re.compile(r"^Belum tersimpan, pilih lagi: surat-permohonan\.pdf\."))
    # the summary's link gives the cursor to the domain's own box, not to its wrapper
    ani.locator("#form-problems").get_by_role("link", name="Nama domain yang disengketakan").click()
    expect(field.locator("input")).to_be_focused()
    expect(field.locator("input")).to_have_accessible_description(re.compile(r"harus berakhiran \.go\.id"))
    ani.screenshot(path=f"/tmp/browser-start-form-error-{live.backend}.png", full_page=True)
    assert live.case_count() == 0

    # Correcting just the domain and attaching the letter again files the case.
    form.locator('[name="domain.name"]').fill("contoh.go.id")
    form.locator('input[type=file][name="letter"]').set_input_files(str(write_letter(tmp_path)))
    form.get_by_role("button", name="Kirim permohonan").click()
    expect(ani).to_have_url(re.compile(r"/cases/SNG-\d{4}-\d{6}$"))
    expect(ani.locator("#case-status")).to_have_text("Berjalan")
    assert live.case_count() == 1
    menu(ani, "Kasus")
    expect(ani.locator("#cases tbody tr")).to_have_count(1)


def test_the_deployed_diagram_opens_cleanly_in_bpmn_js_and_marks_the_open_step(login, live: Live):
    """bpmn.io's own viewer (vendored) draws the diagram the engine runs without a single import warning, and
    the case page's link marks the step the case waits on. Nothing is fetched from outside this server."""
    from engine.forms import Upload
    summary = live.engine.instances.start(live.actors["ani"], REQUEST, {
        "letter": [Upload("surat-permohonan.pdf", minimal_pdf("Surat permohonan"))]})
    ani = login("ani")
    requested = []
    ani.on("request", lambda r: requested.append(r.url))
    ani.goto(f"/cases/{summary.case_number}")
    ani.locator("#case-diagram").click()
    expect(ani).to_have_url(re.compile(r"/proses\?versi=1&kasus=SNG-[0-9]{4}-[0-9]{6}&sorot=Task_PeriksaPermohonan$"))
    diagram = ani.locator("#diagram")
    expect(diagram).to_have_attribute("data-state", "ok")
    expect(diagram).to_have_attribute("data-warnings", "0")
    expect(ani.locator("#diagram-message")).to_be_hidden()
    for element in ("StartEvent_Permohonan", "Task_PeriksaPermohonan", "Task_Analisa", "Task_PenyelesaianPandi",
                    "Task_JawabPemohon", "Task_TerimaJawaban", "Timer_Periksa", "Timer_Pandi",
                    "Lane_Instansi", "Lane_TimLayanan", "Lane_PANDI"):
        expect(diagram.locator(f'g.djs-element[data-element-id="{element}"]')).to_have_count(1)
    expect(diagram.locator('g.djs-element.sorot[data-element-id="Task_PeriksaPermohonan"]')).to_have_count(1)
    expect(diagram.locator("g.djs-element.sorot")).to_have_count(1)
    expect(ani.locator("#marked-steps")).to_have_text("Periksa permohonan")
    expect(diagram.locator("a.bjs-powered-by")).to_have_accessible_name(re.compile(r"^bpmn\.io, penggambar"))
    expect(ani.locator('header nav[aria-label="Menu utama"] a[aria-current="page"]')).to_have_text("Diagram proses")
    expect(diagram.locator("g.djs-element")).not_to_have_count(0)
    ani.screenshot(path=f"/tmp/browser-diagram-{live.backend}.png", full_page=True)
    assert requested and all(url.startswith(live.url) for url in requested), requested
    assert float(diagram.get_attribute("data-zoom")) >= 0.6  # the whole diagram, still readable
    # On a phone the whole diagram would be unreadably small: it opens readable, on the marked step.
    ani.set_viewport_size({"width": 390, "height": 844})
    ani.reload()
    expect(diagram).to_have_attribute("data-zoom", "0.60")
    step = diagram.locator('g.djs-element.sorot[data-element-id="Task_PeriksaPermohonan"]').bounding_box()
    frame = diagram.bounding_box()
    assert frame["x"] <= step["x"] and step["x"] + step["width"] <= frame["x"] + frame["width"], (step, frame)
    assert frame["y"] <= step["y"] and step["y"] + step["height"] <= frame["y"] + frame["height"], (step, frame)
    ani.get_by_role("button", name="Seluruh diagram").click()
    assert float(diagram.get_attribute("data-zoom")) < 0.6
    # a click on the diagram only gives it the keyboard (it zoomed out: the box reports its zoom in data-zoom,
    # and the zoom buttons' handler was bound to every [data-zoom])
    zoom_shown = diagram.get_attribute("data-zoom")
    diagram.click()
    diagram.click()
    expect(diagram).to_have_attribute("data-zoom", zoom_shown)
    # the keyboard moves and zooms it too (the analyst walk-through: arrows did nothing)
    diagram.focus()
    x_before, zoom_before = float(diagram.get_attribute("data-view").split(",")[0]), float(diagram.get_attribute("data-zoom"))
    ani.keyboard.press("ArrowRight")
    assert float(diagram.get_attribute("data-view").split(",")[0]) > x_before
    ani.keyboard.press("+")
    assert float(diagram.get_attribute("data-zoom")) > zoom_before
    ani.keyboard.press("0")
    assert float(diagram.get_attribute("data-zoom")) <= zoom_before + 0.01
    ani.set_viewport_size({"width": 1280, "height": 900})
    ani.locator("#back-to-case").click()  # the way back names the case it came from
    expect(ani).to_have_url(re.compile(rf"/cases/{summary.case_number}$"))
    menu(ani, "Diagram proses")
    expect(ani).to_have_url(re.compile(r"/proses$"))
    expect(ani.locator("#diagram")).to_have_attribute("data-state", "ok")
    expect(ani.locator("#diagram g.djs-element.sorot")).to_have_count(0)


def test_a_supervisor_gives_a_held_step_to_a_colleague_by_keyboard(login, live: Live):
    """The page's own controls, in a real browser: the officer list, the choice by keyboard, the send; the
    officer who had it reads on their page whose decision it was."""
    from engine.forms import Upload
    summary = live.engine.instances.start(live.actors["ani"], REQUEST, {
        "letter": [Upload("surat-permohonan.pdf", minimal_pdf("Surat permohonan"))]})
    step = summary.open_tasks[0]
    live.engine.tasks.claim(live.actors["citra"], step.id)
    fajar = login("fajar")
    fajar.goto(f"/tasks/{step.id}")
    fajar.wait_for_load_state("load")
    chooser = fajar.get_by_label("Berikan kepada petugas")
    expect(chooser.locator("option[value=citra]")).to_have_count(0)  # the holder is not offered
    chooser.focus()
    chooser.select_option("dodi")
    fajar.keyboard.press("Tab")
    expect(fajar.get_by_role("button", name="Berikan")).to_be_focused()
    fajar.keyboard.press("Enter")
    expect(fajar.locator(".flash.success")).to_contain_text("diberikan kepada dodi")
    expect(fajar.locator("#task-action")).to_contain_text("sedang dikerjakan oleh")
    citra = login("citra")
    citra.goto("/notifications")
    expect(citra.locator("article.notification").first).to_contain_text("diberikan kepada petugas lain")
    expect(citra.locator("article.notification .step-now").first).to_contain_text("dikerjakan oleh dodi")


def test_a_request_filed_while_an_officer_watches_the_worklist_shows_without_a_reload(login, live: Live):
    """The walk-through: Tim Layanan gets no message of a new request (it watches the worklist) and the worklist
    never changed by itself, against a 10-minute target. The header's count, the tab's title and a line on the
    worklist follow what waits (asked every WAITING_POLL_SECONDS, 1 s here)."""
    from engine.forms import Upload
    citra = login("citra")
    expect(citra.locator("#worklist-link .waiting-count")).to_have_count(0)
    expect(citra.locator("#worklist-news")).to_be_hidden()
    live.engine.instances.start(live.actors["ani"], REQUEST, {
        "letter": [Upload("surat-permohonan.pdf", minimal_pdf("Surat permohonan"))]})
    expect(citra.locator("#worklist-link .waiting-count")).to_contain_text("1", timeout=10_000)
    expect(citra.locator("#worklist-news")).to_have_text("1 tugas baru menunggu Anda. Muat ulang daftar")
    assert citra.title().startswith("(1) Daftar kerja")
    citra.locator("#worklist-news").get_by_role("link", name="Muat ulang daftar").click()
    expect(citra.locator("tr[data-task]")).to_have_count(1)
    expect(citra.locator("#worklist-news")).to_be_hidden()  # what waits is what the page shows now
    assert citra.title().startswith("(1) Daftar kerja")  # said from the first moment, not only once asked
    # logged out in another tab: this one stops asking (the review: it asked, and loaded the login page, forever)
    other = citra.context.new_page()
    other.goto("/worklist")
    other.get_by_role("button", name="Keluar").click()
    expect(other).to_have_url(re.compile(r"/login"))
    asked = []
    citra.on("response", lambda r: asked.append(r.url) if "/worklist/menunggu" in r.url or "/login" in r.url else None)
    citra.wait_for_timeout(4000)
    assert len([u for u in asked if "/worklist/menunggu" in u]) <= 1 and not [u for u in asked if "/login" in u], asked


def test_a_refused_new_user_gives_the_cursor_to_its_problems_though_the_page_opened_on_an_anchor(browser, live: Live):
    """The staff walk-through: the form posted to …#add-user, and a browser skips autofocus on a page opened on an
    anchor, so the cursor stayed on the page body and a keyboard user heard nothing of what was refused."""
    live.engine.identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)
    context = browser.new_context(base_url=live.url, locale="id-ID")
    gita = context.new_page()
    gita.goto("/login")
    gita.get_by_label("Nama pengguna").fill("gita")
    gita.get_by_label("Kata sandi").fill(PASSWORD)
    gita.get_by_role("button", name="Masuk").click()
    expect(gita).to_have_url(re.compile(r"/cases$"))  # an administrator starts on the cases
    gita.goto("/admin/pengguna")
    form = gita.locator("#add-user form")
    form.get_by_label("Nama pengguna").fill("Nama Besar")
    form.get_by_role("button", name="Tambah pengguna").click()
    expect(gita).to_have_url(re.compile(r"/admin/pengguna$"))
    summary = gita.locator("#form-problems")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Gunakan 3–80 karakter: huruf kecil, angka, titik")
    context.close()


def test_the_filing_form_says_the_domain_is_already_in_a_running_case_before_it_is_sent(login, live: Live):
    """Left alone in the fourteenth session: a second request for a domain already in dispute was pointed out
    only after it was filed. The form now says it when the domain is typed, with the case to look at."""
    from engine.forms import Upload
    first = live.engine.instances.start(live.actors["ani"], REQUEST, {
        "letter": [Upload("surat-permohonan.pdf", minimal_pdf("Surat permohonan"))]})
    ani = login("ani")
    form = open_start_form(ani)
    ani.wait_for_load_state("load")  # same_domain.js (deferred) is listening
    domain = form.locator("#f-domain\\.name")
    domain.fill("https://Contoh.go.id/beranda")  # as pasted from the address bar
    domain.blur()
    note = form.locator("#same-domain")
    expect(note).to_contain_text(f"Instansi Anda sudah mengajukan sengketa untuk contoh.go.id: {first.case_number} "
                                 "(masih berjalan; terbuka di tab baru). Tidak perlu mengajukan lagi")
    expect(note.get_by_role("link", name=first.case_number)).to_have_attribute("href",
                                                                               f"/cases/{first.case_number}")
    expect(form.locator("#hint-domain\\.name #same-domain")).to_have_count(1)  # in the hint the field names
    domain.fill("lain.go.id")
    domain.blur()
    expect(note).to_have_count(0)
    # another agency's officer is not told of (nor shown) a case it cannot see
    bayu = login("bayu")
    other = open_start_form(bayu)
    bayu.wait_for_load_state("load")
    other.locator("#f-domain\\.name").fill("contoh.go.id")
    other.locator("#f-domain\\.name").blur()
    bayu.wait_for_timeout(500)
    expect(other.locator("#same-domain")).to_have_count(0)


def taken(live: Live, login, name: str, task_id: str):
    """The step claimed by `name` and its page open: (the page, its form)."""
    live.engine.tasks.claim(live.actors[name], task_id)
    page = login(name)
    page.goto(f"/tasks/{task_id}")
    return page, page.locator("#task-form")


def test_a_choice_hides_what_it_makes_meaningless_and_the_step_goes_through(login, live: Live):
    """The daily-work walk-through: the date of an action not carried out (prefilled today) and the
    recommended action of a rejected request stood on the form, to be refused as contradictions when sent."""
    from engine.forms import Upload
    from samples import ANALYSIS_FORWARD, CHECK_COMPLETE
    ani, citra = live.actors["ani"], live.actors["citra"]
    summary = live.engine.instances.start(ani, REQUEST, {
        "letter": [Upload("surat-permohonan.pdf", minimal_pdf("Surat permohonan"))]})
    check = summary.open_tasks[0]
    live.engine.tasks.claim(citra, check.id)
    analysis = live.engine.tasks.complete(citra, check.id, CHECK_COMPLETE).next_tasks[0]
    _page, form = taken(live, login, "citra", analysis.id)
    recommended = form.locator('[data-field="recommended_action"]')
    form.get_by_role("radio", name=re.compile(r"^Permohonan ditolak")).check()
    expect(recommended).to_be_hidden()
    form.get_by_role("radio", name=re.compile(r"^Diteruskan ke PANDI")).check()
    expect(recommended).to_be_visible()
    resolution = live.engine.tasks.complete(citra, analysis.id, ANALYSIS_FORWARD).next_tasks[0]
    page, form = taken(live, login, "eka", resolution.id)
    executed = form.get_by_label("Tanggal pelaksanaan")
    expect(executed).not_to_have_value("")  # today, as the step starts
    form.get_by_role("radio", name="Tidak dapat dilaksanakan").check()
    expect(form.locator('[data-field="executed_on"]')).to_be_hidden()
    form.get_by_label("Keterangan").fill("Pemegang domain mengajukan keberatan; tidak dilaksanakan.")
    form.get_by_role("button", name="Selesaikan tugas").click()
    expect(page.locator(".flash.success")).to_contain_text("selesai")  # no contradiction to clear first
    sent = live.engine.instances.get(ani, summary.id).data["pandi_confirmation"]
    assert sent["action_taken"] == "tidak_dilaksanakan" and "executed_on" not in sent
