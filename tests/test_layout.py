"""The pages at a phone's width and the small things the UX review found on the worklist, case list and case page."""
from __future__ import annotations

import copy
import html
import json
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import PASSWORD
from engine.forms import Upload
from engine.models import utcnow
from samples import request_data
from samples import ANALYSIS_FORWARD, ANSWER, CHECK_COMPLETE, CHECK_INCOMPLETE, PANDI, RECEIPT
from test_browser import CHROMIUM, CHROMIUM_ARGS, REQUEST, Live, live, minimal_pdf  # noqa: F401  (the live server)
from test_pages import login
from test_sop_api import file_case, open_task, work

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def on_chromium(check) -> None:
    """Runs check(browser) on a Chromium of its own in a thread of its own: Playwright's sync API allows one
    Playwright per thread, and test_browser.py's session browser may already hold this one."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (bin/test installs Debian's chromium)")
    failures = []

    def run():
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    check(browser)
                finally:
                    browser.close()
        except BaseException as failure:  # noqa: B036  (handed to the test's own thread)
            failures.append(failure)

    thread = threading.Thread(target=run, name="layout-browser")
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def open_as(browser: Browser, live: Live, name: str, viewport: dict, **device) -> Page:
    context = browser.new_context(base_url=live.url, locale="id-ID", viewport=viewport, **device)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Nama pengguna").fill(name)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/(worklist|cases)"))  # lane workers / owners and administrators
    return page


def inside(inner: dict, outer: dict) -> bool:
    return (inner["x"] >= outer["x"] - 0.5 and inner["y"] >= outer["y"] - 0.5
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)


def assert_fits(page: Page, width: int) -> None:
    """The page never scrolls sideways, and the whole top bar (menu, name, Keluar) stays on its blue band."""
    page.wait_for_load_state("load")  # its style sheet applied: a page reached by a click may be measured before
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (page.url, page.evaluate(
        "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > "
        f"{width} + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + "
        "Math.round(e.getBoundingClientRect().right))"))
    bar = page.locator("header.topbar").bounding_box()
    logout = page.locator("header.topbar").get_by_role("button", name="Keluar")
    expect(logout).to_be_visible()
    assert inside(logout.bounding_box(), bar), page.url
    assert inside(page.locator("header .who span").bounding_box(), bar), page.url
    for link in page.locator("header nav a").all():
        box = link.bounding_box()
        assert inside(box, bar) and box["x"] + box["width"] <= width, (page.url, link.inner_text())


def overflows(box) -> bool:
    return box.evaluate("e => e.scrollWidth > e.clientWidth")


def label_of(cell) -> str:
    """What the cell shows before its value: '"Tenggat"' for a card's label, 'none' in a table."""
    return cell.evaluate("e => getComputedStyle(e, '::before').content")


def tops(row) -> list[float]:
    return [cell.bounding_box()["y"] for cell in row.locator("td").all() if cell.is_visible()]


def assert_a_card(page: Page, table: str, row, label: str) -> None:
    """At 390 px: every cell of the row on a line of its own with its column's label, nothing wider than the screen,
    the header row clipped out of sight but still there for screen readers."""
    assert_fits(page, PHONE["width"])
    assert not overflows(page.locator(".table-scroll").filter(has=page.locator(table)))
    assert all(cell.bounding_box()["x"] + cell.bounding_box()["width"] <= PHONE["width"] for cell in row.locator("td").all()
               if cell.is_visible())
    lines = tops(row)
    assert all(above < below for above, below in zip(lines, lines[1:])), lines
    assert label_of(row.locator(f'td[data-label="{label}"]')) == f'"{label}"'
    assert page.locator(f"{table} thead").bounding_box()["height"] <= 1
    expect(page.locator(table).get_by_role("columnheader", name=label)).to_have_count(1)


def assert_a_table_row(page: Page, table: str, row, label: str) -> None:
    """At 1366 px: the header row shows and the row's cells sit side by side, without labels."""
    assert_fits(page, DESKTOP["width"])
    expect(page.locator(f"{table} thead")).to_be_visible()
    assert page.locator(f"{table} thead").bounding_box()["height"] > 20
    lines = tops(row)
    assert len(lines) == row.locator("td").count() and max(lines) - min(lines) < 1, lines
    assert label_of(row.locator(f'td[data-label="{label}"]')) == "none"


def file_a_case(live: Live):
    return live.engine.instances.start(live.actors["ani"], REQUEST, {
        "letter": [Upload("surat-permohonan.pdf", minimal_pdf("Surat permohonan"))]})


def test_every_page_fits_a_phone_and_the_top_bar_keeps_its_items(live: Live):
    case = file_a_case(live)
    live.engine.identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)

    def check(browser: Browser):
        citra = open_as(browser, live, "citra", PHONE)
        expect(citra.locator("tr[data-task]").filter(has_text=case.case_number)).to_have_count(1)
        expect(citra.locator(".brand small")).to_be_hidden()
        assert_fits(citra, PHONE["width"])
        # the worklist's rows are cards on a phone (test_a_worklist_row_is_a_card_on_a_phone...): its box does not scroll either
        assert not overflows(citra.locator(".table-scroll").filter(has=citra.locator("#worklist")))
        citra.screenshot(path=f"/tmp/layout-worklist-390-{live.backend}.png", full_page=True)
        citra.locator("header nav").get_by_role("link", name="Kasus", exact=True).click()
        expect(citra.locator("#cases tbody tr")).to_have_count(1)
        assert_fits(citra, PHONE["width"])
        citra.get_by_role("link", name=case.case_number).click()
        expect(citra.locator("#steps")).to_be_visible()
        assert_fits(citra, PHONE["width"])
        citra.screenshot(path=f"/tmp/layout-case-390-{live.backend}.png", full_page=True)
        # An agency officer has one more menu item, and nothing waiting: the worklist points to their cases.
        ani = open_as(browser, live, "ani", PHONE)
        expect(ani.get_by_role("link", name="Lihat kasus Anda")).to_be_visible()
        assert_fits(ani, PHONE["width"])
        ani.screenshot(path=f"/tmp/layout-worklist-ani-390-{live.backend}.png", full_page=True)
        # The request goes back to her agency: her notification carries the deficiencies, and fits too.
        step = live.engine.tasks.list(live.actors["citra"], view="queue", case_id=case.id)[0][0].id
        live.engine.tasks.claim(live.actors["citra"], step)
        live.engine.tasks.complete(live.actors["citra"], step, CHECK_INCOMPLETE)
        ani.goto("/notifications")
        expect(ani.locator("dl.facts.sent dd").filter(has_text=CHECK_INCOMPLETE["missing"])).to_be_visible()
        assert_fits(ani, PHONE["width"])
        ani.screenshot(path=f"/tmp/layout-notifications-390-{live.backend}.png", full_page=True)
        for path in ("/cases", f"/cases/{case.case_number}", "/cases/new", "/notifications", "/akun"):
            ani.goto(path)
            assert_fits(ani, PHONE["width"])
        admin = open_as(browser, live, "gita", PHONE)
        admin.goto("/admin/pengguna")
        expect(admin.locator("#users tbody tr")).not_to_have_count(0)
        assert_fits(admin, PHONE["width"])
        admin.screenshot(path=f"/tmp/layout-users-390-{live.backend}.png", full_page=True)

    on_chromium(check)


def test_pages_do_not_scroll_sideways_at_200_percent_zoom_nor_at_320_px(live: Live):
    """WCAG 1.4.10, found by the accessibility audit: at 640 CSS px (a 1280 px screen zoomed to 200%) the
    worklist was 1541 px wide and the users page 1193 px — the tables' visually hidden labels escaped their
    scrolling box — and at 320 px the correction form's nested fieldsets spilled past their card."""
    case = file_a_case(live)
    live.engine.identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)
    step = live.engine.tasks.list(live.actors["citra"], view="queue", case_id=case.id)[0][0].id
    live.engine.tasks.claim(live.actors["citra"], step)
    live.engine.tasks.complete(live.actors["citra"], step, CHECK_INCOMPLETE)
    correction = live.engine.tasks.list(live.actors["ani"], case_id=case.id)[0][0].id
    live.engine.instances.start(live.actors["ani"], {**REQUEST, "domain": {**REQUEST["domain"], "name": "lain.go.id"}},
                                {"letter": [Upload("surat.pdf", minimal_pdf("Surat"))]})  # one row in the queue

    def check(browser: Browser):
        zoomed = {"width": 640, "height": 400}
        citra = open_as(browser, live, "citra", zoomed)
        expect(citra.locator("tr[data-task]")).to_have_count(1)
        assert_fits(citra, zoomed["width"])
        admin = open_as(browser, live, "gita", zoomed)
        for path in ("/admin/pengguna", "/admin/instansi", "/cases", "/notifications"):
            admin.goto(path)
            assert_fits(admin, zoomed["width"])
        narrow = {"width": 320, "height": 640}
        ani = open_as(browser, live, "ani", narrow)
        for path in (f"/tasks/{correction}", "/cases/new"):
            ani.goto(path)
            assert_fits(ani, narrow["width"])

    on_chromium(check)


def test_the_desktop_top_bar_stays_one_row(live: Live):
    file_a_case(live)

    def check(browser: Browser):
        citra = open_as(browser, live, "citra", DESKTOP)
        expect(citra.locator(".brand small")).to_be_visible()
        assert_fits(citra, DESKTOP["width"])
        assert citra.locator("header.topbar").bounding_box()["height"] < 60  # one line, as before
        citra.screenshot(path=f"/tmp/layout-worklist-1366-{live.backend}.png", full_page=True)
        # A narrower desktop and the longest menu (an agency officer's, with a task count): no item breaks in two.
        for width in (1024, 1280):
            ani = open_as(browser, live, "ani", {"width": width, "height": 768})
            links = ani.locator("header nav a")
            expect(links.filter(has_text="Ajukan sengketa")).to_have_count(1)
            heights = [links.nth(i).bounding_box()["height"] for i in range(links.count())]
            assert max(heights) < 1.6 * min(heights), (width, heights)
            assert_fits(ani, width)
            ani.context.close()

    on_chromium(check)


def test_a_long_domain_wraps_instead_of_widening_the_page(live: Live):
    """The UX review: a 63-letter label (as long as DNS allows) made the desktop worklist 1701 px wide, its due
    time and Ambil off the screen, and the case page 1021 px wide on a phone."""
    label = ("pemerintahkabupatencontohdenganpenamaanyangsangatpanjang" * 2)[:63]
    request = copy.deepcopy(REQUEST)
    request["domain"]["name"] = f"{label}.go.id"
    case = live.engine.instances.start(live.actors["ani"], request, {
        "letter": [Upload("surat-permohonan.pdf", minimal_pdf("Surat permohonan"))]})
    task = case.open_tasks[0]

    def check(browser: Browser):
        for viewport in (DESKTOP, PHONE):
            citra = open_as(browser, live, "citra", viewport)
            for path in ("/worklist?tab=semua", f"/cases/{case.case_number}", f"/tasks/{task.id}", "/cases"):
                citra.goto(path)
                expect(citra.get_by_text(f"{label}.go.id").first).to_be_visible()
                assert_fits(citra, viewport["width"])
                for box in citra.locator(".table-scroll").all():
                    assert not overflows(box), (path, viewport)
            citra.context.close()

    on_chromium(check)


def test_a_worklist_row_is_a_card_on_a_phone_and_a_table_row_on_a_desktop(live: Live):
    """The UX review: at 390 px the due time and Ambil were off to the right of a sideways-scrolling table."""
    late = file_a_case(live)
    with time_machine.travel(utcnow() + timedelta(minutes=12)):  # the first case's step (10 minutes) is now overdue
        case = file_a_case(live)

        def check(browser: Browser):
            citra = open_as(browser, live, "citra", PHONE)
            citra.screenshot(path=f"/tmp/layout-worklist-cards-390-{live.backend}.png", full_page=True)
            row = citra.locator("tr[data-task]").filter(has_text=case.case_number)
            assert_a_card(citra, "#worklist", row, "Tenggat")
            take = row.get_by_role("button", name="Ambil")
            expect(take).to_be_visible()
            button, card = take.bounding_box(), row.bounding_box()
            assert button["x"] >= 0 and button["x"] + button["width"] <= PHONE["width"], button
            assert button["width"] > 0.8 * card["width"], (button, card)  # full width
            # an overdue card keeps its tint and says how late it is
            overdue = citra.locator("tr[data-task]").filter(has_text=late.case_number)
            expect(overdue).to_have_class(re.compile(r"\boverdue\b"))
            assert overdue.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 244, 243)"
            expect(overdue.locator('td[data-label="Tenggat"] .late')).to_be_visible()
            expect(overdue.locator('td[data-label="Tenggat"] .late')).to_contain_text("terlambat")
            # Tugas saya: the taken step's Kerjakan is full width as well
            take.click()
            expect(citra).to_have_url(re.compile(r"/tasks/"))
            citra.goto("/worklist?tab=saya")
            mine = citra.locator("tr[data-task]").filter(has_text=case.case_number)
            assert_a_card(citra, "#worklist", mine, "Tenggat")
            work_on = mine.get_by_role("link", name="Kerjakan").bounding_box()
            assert work_on["x"] >= 0 and work_on["x"] + work_on["width"] <= PHONE["width"], work_on
            assert work_on["width"] > 0.8 * mine.bounding_box()["width"]
            citra.context.close()

            wide = open_as(browser, live, "citra", DESKTOP)
            wide.goto("/worklist?tab=antrian")  # (she holds a step now: her worklist opens on it)
            row = wide.locator("tr[data-task]").filter(has_text=late.case_number)
            assert_a_table_row(wide, "#worklist", row, "Tenggat")
            assert row.get_by_role("button", name="Ambil").bounding_box()["width"] < 100
            wide.screenshot(path=f"/tmp/layout-worklist-cards-1366-{live.backend}.png", full_page=True)

        on_chromium(check)


def test_a_case_list_row_is_a_card_on_a_phone_and_a_table_row_on_a_desktop(live: Live):
    case = file_a_case(live)

    def check(browser: Browser):
        for viewport in (PHONE, DESKTOP):
            citra = open_as(browser, live, "citra", viewport)
            citra.goto("/cases")
            row = citra.locator("#cases tbody tr").filter(has_text=case.case_number)
            expect(row).to_have_count(1)
            if viewport is PHONE:
                assert_a_card(citra, "#cases", row, "Status")
                assert label_of(row.locator('td[data-label="Diajukan"]')) == '"Diajukan"'
            else:
                assert_a_table_row(citra, "#cases", row, "Status")
            citra.screenshot(path=f"/tmp/layout-cases-cards-{viewport['width']}-{live.backend}.png", full_page=True)
            citra.context.close()

    on_chromium(check)


def test_a_case_pages_steps_are_cards_on_a_phone_and_a_table_on_a_desktop(live: Live):
    case = file_a_case(live)

    def check(browser: Browser):
        for viewport in (PHONE, DESKTOP):
            ani = open_as(browser, live, "ani", viewport)
            ani.goto(f"/cases/{case.case_number}")
            row = ani.locator("#steps tbody tr").filter(has_text="Periksa permohonan")
            expect(row).to_have_count(1)
            if viewport is PHONE:
                assert_a_card(ani, "#steps", row, "Tenggat")
            else:
                assert_a_table_row(ani, "#steps", row, "Tenggat")
            ani.context.close()

    on_chromium(check)


def test_the_users_table_is_cards_on_a_phone_and_a_table_on_a_desktop(live: Live):
    """The UX review: at 390 px an administrator scrolled sideways to reach Nonaktifkan."""
    live.engine.identity.add_user("gita", "admin", "gita@kominfo.go.id", PASSWORD)

    def check(browser: Browser):
        for viewport in (PHONE, DESKTOP):
            gita = open_as(browser, live, "gita", viewport)
            gita.goto("/admin/pengguna")
            row = gita.locator("#users tbody tr[data-user='bayu']")
            expect(row).to_have_count(1)
            if viewport is PHONE:
                assert_a_card(gita, "#users", row, "Peran")
                assert not overflows(gita.locator(".table-scroll").filter(has=gita.locator("#users")))
                deactivate = row.locator("summary", has_text="Nonaktifkan")
                box = deactivate.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
                deactivate.click()
                confirm = row.get_by_role("button", name="Ya, nonaktifkan bayu").bounding_box()
                assert confirm["x"] >= 0 and confirm["x"] + confirm["width"] <= PHONE["width"], confirm
            else:
                assert_a_table_row(gita, "#users", row, "Peran")
            gita.screenshot(path=f"/tmp/layout-users-cards-{viewport['width']}-{live.backend}.png", full_page=True)
            gita.context.close()

    on_chromium(check)


def test_on_a_touch_screen_fingers_move_and_pinch_the_diagram(live: Live):
    """bpmn-js's viewer follows the mouse only: on a phone a finger scrolled the page, never the diagram."""
    def check(browser: Browser):
        ani = open_as(browser, live, "ani", PHONE, has_touch=True, is_mobile=True)
        ani.goto("/proses")
        diagram = ani.locator("#diagram")
        expect(diagram).to_have_attribute("data-state", "ok")
        expect(ani.locator(".hint.for-touch")).to_be_visible()
        expect(ani.locator(".hint.for-mouse")).to_be_hidden()  # no Ctrl + wheel on a phone
        frame = diagram.bounding_box()
        cx, cy = frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2
        touch = ani.context.new_cdp_session(ani)

        def fingers(kind: str, *points) -> None:
            touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
                {"x": x, "y": y, "id": n} for n, (x, y) in enumerate(points)]})

        def view() -> tuple[float, float, float]:
            x, y = diagram.get_attribute("data-view").split(",")
            return float(x), float(y), float(diagram.get_attribute("data-zoom"))

        scroll_before = ani.evaluate("window.scrollY")
        x0, y0, zoom0 = view()
        fingers("touchStart", (cx, cy))
        for step in range(1, 6):
            fingers("touchMove", (cx - 20 * step, cy - 10 * step))
        fingers("touchEnd")
        x1, y1, zoom1 = view()
        # dragged 100 px left and 50 px up: the view moved right and down by that much at this zoom
        assert abs((x1 - x0) * zoom0 - 100) < 3 and abs((y1 - y0) * zoom0 - 50) < 3, (x0, y0, x1, y1, zoom0)
        assert zoom1 == zoom0 and ani.evaluate("window.scrollY") == scroll_before  # the page stayed put
        fingers("touchStart", (cx - 30, cy), (cx + 30, cy))
        for step in range(1, 6):
            fingers("touchMove", (cx - 30 - 12 * step, cy), (cx + 30 + 12 * step, cy))
        fingers("touchEnd")
        assert view()[2] > zoom0 * 1.8  # spread from 60 to 180 px apart: about three times closer
        ani.screenshot(path=f"/tmp/layout-diagram-touch-{live.backend}.png")

    on_chromium(check)


def status_of(page: str, step: str) -> str:
    row = next(r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S) if step in r)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2])).strip()


def test_a_claimed_step_shows_who_took_it_on_the_case_page(client, people):
    case = file_case(people["ani"])
    login(client, "ani")
    page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert status_of(page, "Periksa permohonan") == "Menunggu"
    people["citra"].post(f"/tasks/{open_task(people['citra'], case)['id']}/claim")
    page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert status_of(page, "Periksa permohonan") == "Diambil · citra"


def test_a_finished_case_shows_the_answer_to_the_applicant_unfolded(client, people):
    ani, citra, eka = people["ani"], people["citra"], people["eka"]
    case = file_case(ani)
    work(citra, open_task(citra, case), CHECK_COMPLETE)
    work(citra, open_task(citra, case, "Task_Analisa"), ANALYSIS_FORWARD)
    work(eka, open_task(eka, case, "Task_PenyelesaianPandi"), PANDI)
    work(citra, open_task(citra, case, "Task_JawabPemohon"), ANSWER)
    work(ani, open_task(ani, case, "Task_TerimaJawaban"), RECEIPT)
    login(client, "ani")
    page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    sections = dict((name, bool(opened)) for opened, name in
                    re.findall(r"<details( open)?><summary>([^<]+)</summary>", page))
    assert sections["Tanda terima jawaban"] and sections["Surat permohonan"]
    # the answer is whole at the top of the page (the UX walk-through), so among the data it folds
    assert sections["Konfirmasi/jawaban ke pemohon"] is False
    top = re.search(r'<section class="card answer" id="case-answer".*?</section>', page, re.S).group(0)
    assert ANSWER["answer"][:40] in top


def test_the_case_list_says_what_each_running_case_waits_on(client, people):
    """The UX review: the case list showed no current step; one had to open every case."""
    waiting = file_case(people["ani"])
    done = file_case(people["ani"])
    citra = people["citra"]
    work(citra, open_task(citra, done), CHECK_COMPLETE)
    login(client, "ani")
    page = client.get("/cases").get_data(as_text=True)

    def step_of(case) -> str:
        row = re.search(rf'<tr role="row">(?:(?!</tr>).)*{case["case_number"]}.*?</tr>', page, re.S).group(0)
        return re.search(r'data-label="Langkah / hasil">([^<]*)<', row).group(1)

    assert step_of(waiting) == "Periksa permohonan" and step_of(done) == "Analisa aduan"


def test_the_tabs_count_and_keep_the_overdue_filter(client, people):
    """The UX review: with 'Hanya yang terlambat' on, the tabs still counted every task."""
    file_case(people["ani"])
    login(client, "citra")
    with time_machine.travel(utcnow() + timedelta(minutes=12), tick=False):
        file_case(people["ani"])  # filed 'now': not late yet
        page = client.get("/worklist?terlambat=1").get_data(as_text=True)
        tabs = dict(re.findall(r'href="/worklist\?tab=(\w+)&amp;terlambat=1"[^>]*>[^<]*<span class="count">(\d+)',
                               page))
        assert tabs == {"antrian": "1", "saya": "0", "semua": "1"}, tabs
        every = client.get("/worklist").get_data(as_text=True)
        assert re.search(r'href="/worklist\?tab=antrian"[^>]*>Antrian <span class="count">2<', every)


def test_the_pager_keeps_the_overdue_filter(app, client, people, monkeypatch):
    monkeypatch.setattr("web.worklist.PAGE", 1)
    for _ in range(3):
        file_case(people["ani"])
    login(client, "citra")
    # Without the filter the pager does not add it.
    page = client.get("/worklist").get_data(as_text=True)
    assert "Halaman 1 dari 3" in page
    assert "terlambat" not in re.search(r'<p class="pager">(.*?)</p>', page, re.S).group(1)
    with time_machine.travel(utcnow() + timedelta(minutes=12), tick=False):
        page = client.get("/worklist?terlambat=1").get_data(as_text=True)
        assert "Halaman 1 dari 3" in page
        pager = re.search(r'<p class="pager">(.*?)</p>', page, re.S).group(1)
        next_page = re.search(r'href="([^"]+)"', pager).group(1).replace("&amp;", "&")
        assert "terlambat=1" in next_page and "halaman=2" in next_page
        second = client.get(next_page).get_data(as_text=True)
        assert "Halaman 2 dari 3" in second
        links = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"',
                                                             re.search(r'<p class="pager">(.*?)</p>', second, re.S).group(1))]
        assert len(links) == 2 and all("terlambat=1" in link for link in links)


def test_overdue_only_is_a_toggle_beside_the_tabs_not_a_tab(client, people):
    login(client, "citra")
    page = client.get("/worklist").get_data(as_text=True)
    tabs = re.search(r'<nav class="tabs"[^>]*>(.*?)</nav>', page, re.S).group(1)
    assert "Hanya yang terlambat" not in tabs and tabs.count("<a ") == 3
    toggle = re.search(r'<a [^>]*class="toggle[^"]*"[^>]*>.*?Hanya yang terlambat.*?</a>', page, re.S).group(0)
    assert 'aria-checked="false"' in toggle and "terlambat=1" in toggle
    on = client.get("/worklist?terlambat=1").get_data(as_text=True)
    toggle = re.search(r'<a [^>]*class="toggle[^"]*"[^>]*>.*?Hanya yang terlambat.*?</a>', on, re.S).group(0)
    assert 'aria-checked="true"' in toggle and "terlambat" not in re.search(r'href="([^"]*)"', toggle).group(1)


def test_an_officer_with_nothing_to_do_is_pointed_to_their_cases(client, people):
    login(client, "ani")
    page = client.get("/worklist").get_data(as_text=True)
    assert re.search(r'<a href="/cases">Lihat kasus Anda</a>', page)
    assert 'id="worklist"' not in page
    file_case(people["ani"])
    client.post("/logout")
    login(client, "citra")  # Tim Layanan has work, and no such line
    assert "Lihat kasus Anda" not in client.get("/worklist").get_data(as_text=True)


def test_an_officer_with_work_waiting_sees_no_pointer(client, people):
    case = file_case(people["ani"])
    citra = people["citra"]
    work(citra, open_task(citra, case), CHECK_INCOMPLETE)
    login(client, "ani")  # the correction now waits in ani's queue
    page = client.get("/worklist").get_data(as_text=True)
    assert 'id="worklist"' in page and "Lihat kasus Anda" not in page
    # one list of the agency's own steps: no tabs, no lateness filter, none of the helpdesk's steps (the
    # walk-through: the agency saw Tim Layanan's analysis under "Semua terbuka" and an always-empty "Tugas saya")
    assert 'class="tabs"' not in page and "Hanya yang terlambat" not in page and 'id="agency-steps"' in page
    assert "Lengkapi permohonan" in page
    other = file_case(people["ani"])  # its check waits at Tim Layanan: not the agency's to do
    page = client.get("/worklist?tab=semua&lajur=tim_layanan").get_data(as_text=True)
    assert other["case_number"] not in page and "Lengkapi permohonan" in page


def test_a_search_longer_than_the_box_takes_is_said_so_not_a_server_error(client, people):
    """The fuzzing helper: 50,000 letters in q made SQLite refuse its LIKE pattern (a 500)."""
    file_case(people["ani"])
    login(client, "citra")
    too_long = client.get("/cases?q=" + "x" * 50_000)
    assert too_long.status_code == 400 and "paling panjang 200 karakter" in too_long.get_data(as_text=True)
    assert people["citra"].get("/cases?q=" + "%" * 201).status_code == 400
    assert client.get("/cases?q=" + "x" * 200).status_code == 200


def test_a_search_without_results_says_so(client, people):
    file_case(people["ani"])
    login(client, "bayu")
    assert "Belum ada kasus." in client.get("/cases").get_data(as_text=True)
    client.post("/logout")
    login(client, "citra")
    for query in ("?q=tidak-ada.go.id", "?status=cancelled", "?q=contoh&status=completed"):
        page = client.get("/cases" + query).get_data(as_text=True)
        assert "Tidak ada kasus yang cocok." in page and "Belum ada kasus." not in page, query
    assert 'id="cases"' in client.get("/cases?q=contoh").get_data(as_text=True)



def test_the_case_search_finds_agency_names_and_takes_wildcards_literally(client, people):
    """The UX review: 'Kota Contoh' found nothing; the robustness probe: q=_ matched every case."""
    ani_case = file_case(people["ani"], request_data(**{"domain.current_holder": None}))  # not about Kota Contoh
    bayu_case = file_case(people["bayu"], request_data(**{"domain.name": "kota-contoh.go.id",
                                                          "agency.name": "Pemerintah Kota Contoh", "agency.level": "kota"}))
    login(client, "citra")

    def found(query: str) -> set[str]:
        page = client.get("/cases", query_string={"q": query}).get_data(as_text=True)
        return set(re.findall(r"SNG-[0-9]{4}-[0-9]{6}", page))

    assert found("kota contoh") == {bayu_case["case_number"]}
    assert found("kabupaten") == {ani_case["case_number"]}
    assert found("contoh") == {ani_case["case_number"], bayu_case["case_number"]}
    for literal in ("_", "%", "\\", "c_ntoh"):
        assert found(literal) == set(), literal


def test_the_task_form_comes_first_on_a_phone_and_sits_beside_the_case_data_on_a_desktop(live: Live):
    """On a phone the step's form is what the officer came for: it comes before ~2,500 px of case data."""
    case = file_a_case(live)
    task_id = live.engine.tasks.list(live.actors["citra"], view="queue", case_id=case.id)[0][0].id
    live.engine.tasks.claim(live.actors["citra"], task_id)

    def check(browser: Browser):
        for viewport in (PHONE, DESKTOP):
            citra = open_as(browser, live, "citra", viewport)
            citra.goto(f"/tasks/{task_id}")
            form, data = citra.locator("#task-form").bounding_box(), citra.locator("#task-inputs").bounding_box()
            if viewport is PHONE:
                assert form["y"] + form["height"] <= data["y"], (form, data)
                assert_fits(citra, PHONE["width"])
                # ... and what it decides on is one tap away (the check of the new features)
                expect(citra.get_by_role("link", name="Lihat dokumen dan data kasus ↓")).to_be_visible()
            else:
                expect(citra.locator(".jump-to-inputs")).to_be_hidden()
                assert data["x"] + data["width"] <= form["x"], (form, data)  # data on the left, form on the right
                assert abs(citra.locator("#task-action").bounding_box()["y"] - data["y"]) < 1
            # the SOP row is one line until opened, then laid out as labels beside their values
            expect(citra.locator("dl.sop")).to_be_hidden()
            citra.locator("#sop summary").click()
            label, value = citra.locator("dl.sop dt:not(.sop-step)").first, citra.locator("dl.sop dd").first
            assert label.bounding_box()["x"] < value.bounding_box()["x"]
            assert abs(label.bounding_box()["y"] - value.bounding_box()["y"]) < 4
            citra.screenshot(path=f"/tmp/layout-task-{viewport['width']}-{live.backend}.png", full_page=True)
            citra.context.close()

    on_chromium(check)


def test_case_data_reads_in_its_forms_order(client, people):
    """Data is kept in the order its sender wrote it (a JSON client may well sort its keys): the case page
    lists the request as its form asks for it (the contact officer's name, NIP, position, e-mail, phone)."""
    form = json.loads((Path(__file__).parent.parent / "forms" / "permohonan.json").read_text())
    case = file_case(people["ani"], json.loads(json.dumps(request_data(), sort_keys=True)))
    login(client, "ani")
    page = client.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    request = page[page.index("<summary>Surat permohonan</summary>"):]
    request = request[:request.index("</details>")]
    shown = [html.unescape(t).strip() for t in re.findall(r"<dt[^>]*>([^<]+)</dt>", request)]
    groups = [prop["title"] for prop in form["properties"].values()]
    titled = [html.unescape(t).strip() for t in re.findall(r'<dt class="group">([^<]+)</dt>', request)]
    assert [t for t in titled if t in groups] == groups
    contact = [p["title"] for p in form["properties"]["contact"]["properties"].values()]
    start = shown.index(form["properties"]["contact"]["title"]) + 1
    assert shown[start:start + len(contact)] == contact


def test_a_supervisor_sees_first_what_missed_a_target_in_their_lane(client, people):
    """The UX review: the supervisor landed on the queue, which did not show the two overdue steps held by
    officers; finding them took 'Semua terbuka' and 'Hanya yang terlambat'."""
    ani, citra, eka = people["ani"], people["citra"], people["eka"]
    held = file_case(ani)
    citra.post(f"/tasks/{open_task(citra, held)['id']}/claim")
    other = file_case(ani)
    work(citra, open_task(citra, other), CHECK_COMPLETE)
    work(citra, open_task(citra, other, "Task_Analisa"), ANALYSIS_FORWARD)  # now PANDI's: not Fajar's lane
    login(client, "fajar")
    assert 'id="late-in-lane"' not in client.get("/worklist").get_data(as_text=True)  # nothing late yet
    with time_machine.travel(utcnow() + timedelta(minutes=40), tick=False):
        page = client.get("/worklist").get_data(as_text=True)
        banner = re.search(r'<p class="flash error" id="late-in-lane".*?</p>', page, re.S).group(0)
        assert "1 tugas di lajur Tim Layanan Domain melewati target waktu" in banner
        link = html.unescape(re.search(r'href="([^"]+)"', banner).group(1))
        late = client.get(link).get_data(as_text=True)
        assert held["case_number"] in late and other["case_number"] not in late
        assert 'id="late-in-lane"' not in late and "Hanya lajur Tim Layanan Domain" in late
        assert eka.get("/tasks?overdue=1&lane=pandi").get_json()["total"] == 1  # PANDI's is late too, but not Fajar's to see
    login(client, "citra")
    assert 'id="late-in-lane"' not in client.get("/worklist").get_data(as_text=True)  # officers have no banner


def test_an_officer_holding_a_late_step_opens_on_it_even_with_work_in_the_queue(client, people):
    """The staff walk-through: given an overdue step, Dodi opened on the queue, the late step hidden under
    'Tugas saya 1' with nothing saying it was late."""
    ani, citra, fajar = people["ani"], people["citra"], people["fajar"]
    late = file_case(ani)
    step = open_task(citra, late)
    with time_machine.travel(utcnow() + timedelta(minutes=12), tick=False):
        file_case(ani)  # more work waits in the queue
        assert fajar.post(f"/tasks/{step['id']}/assign", json={"to": "dodi"}).status_code == 200
        login(client, "dodi")
        page = client.get("/worklist").get_data(as_text=True)
        assert re.search(r'aria-current="page">Tugas saya <span class="count">1</span> <span class="late">· 1 terlambat',
                         page) and late["case_number"] in page


def test_an_officer_with_work_in_hand_opens_on_it_and_the_queue_is_a_click_away(client, people):
    """The daily-work walk-through: Dodi held two steps and opened on the queue, his own work behind a tab."""
    ani, citra = people["ani"], people["citra"]
    held = file_case(ani)
    waiting = file_case(ani)
    login(client, "citra")
    assert re.search(r'aria-current="page">Antrian <span class="count">2<', client.get("/worklist").get_data(as_text=True))
    assert citra.post(f"/tasks/{open_task(citra, held)['id']}/claim").status_code == 200
    page = client.get("/worklist").get_data(as_text=True)
    assert re.search(r'aria-current="page">Tugas saya <span class="count">1<', page)
    assert held["case_number"] in page and waiting["case_number"] not in page
    queue = client.get("/worklist?tab=antrian").get_data(as_text=True)
    assert re.search(r'aria-current="page">Antrian <span class="count">1<', queue) and waiting["case_number"] in queue


def test_a_supervisor_who_releases_a_step_stays_on_it_to_give_it(client, people):
    citra = people["citra"]
    case = file_case(people["ani"])
    step = open_task(citra, case)
    citra.post(f"/tasks/{step['id']}/claim")
    login(client, "fajar")
    released = client.post(f"/tasks/{step['id']}/unclaim")
    assert released.headers["Location"] == f"/tasks/{step['id']}"
    page = client.get(released.headers["Location"]).get_data(as_text=True)
    assert "Tugas &#39;Periksa permohonan&#39; dilepas dari citra ke antrian." in page and 'id="give"' in page


def test_an_officer_given_a_step_opens_on_their_own_tasks_when_the_queue_is_empty(client, people):
    """The UX check: the officer a step was given to opened on an empty 'Antrian' beside 'Tugas saya 1'."""
    ani, citra, fajar = people["ani"], people["citra"], people["fajar"]
    case = file_case(ani)
    step = open_task(citra, case)
    assert fajar.post(f"/tasks/{step['id']}/assign", json={"to": "dodi"}).status_code == 200
    login(client, "dodi")
    page = client.get("/worklist").get_data(as_text=True)
    assert re.search(r'class="active" aria-current="page">Tugas saya <span class="count">1<', page) and case["case_number"] in page
    queue = client.get("/worklist?tab=antrian").get_data(as_text=True)  # asked for: the queue, empty
    assert re.search(r'class="active" aria-current="page">Antrian <span class="count">0<', queue)
