"""A supervisor (or the process owner) gives a waiting step to a named officer: from the queue, or from its
holder, who is told; the officer is told; the history says who gave it to whom. Nobody else may, and only to
someone who may work the step."""
from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from conftest import PASSWORD, ApiUser, on_postgresql
from engine.errors import Conflict
from engine.models import HistoryEvent, HumanTask
from samples import CHECK_COMPLETE, CHECK_INCOMPLETE
from test_pages import login
from test_sop_api import conforms, file_case, open_task, work


def test_a_supervisor_gives_a_held_step_to_another_officer_and_both_hear_of_it(engine, people):
    ani, citra, dodi, fajar = (people[n] for n in ("ani", "citra", "dodi", "fajar"))
    engine.identity.change_user(None, "dodi", "tim_layanan", "dodi@contoh.go.id", full_name="Dodi Pratama")
    case = file_case(ani)
    step = open_task(citra, case, "Task_PeriksaPermohonan")
    assert citra.post(f"/tasks/{step['id']}/claim").status_code == 200

    # left out (or ""), "from" means nobody holds it: Citra does, so nothing is taken from her unseen
    for said in ({}, {"from": ""}):  # ("" said "tidak dipegang , melainkan": the API probe)
        unseen = fajar.post(f"/tasks/{step['id']}/assign", json={"to": "dodi", **said})
        assert unseen.status_code == 409 and "baru saja diambil oleh citra" in unseen.get_json()["detail"], said
    given = fajar.post(f"/tasks/{step['id']}/assign", json={"to": "dodi", "from": "citra"})
    assert given.status_code == 200, given.get_json()
    assert given.get_json()["claimed_by"] == "dodi" and given.get_json()["state"] == "ready"
    conforms(fajar, given.get_json(), "Task")
    assert [t["id"] for t in dodi.get("/tasks?view=mine").get_json()["items"]] == [step["id"]]
    assert citra.get("/tasks?view=mine").get_json()["items"] == []
    # Citra's form, sent after it was given away, is refused, changes nothing, and says whose decision it was
    late = citra.post(f"/tasks/{step['id']}/complete", json={"data": CHECK_COMPLETE})
    assert late.status_code == 409
    assert late.get_json()["detail"] == ("Supervisor fajar memberikan langkah ini kepada Dodi Pratama; langkah ini "
                                         "bukan tugas Anda lagi.")

    history = fajar.get(f"/cases/{case['id']}").get_json()["history"]
    assert {k: history[-1][k] for k in ("event", "user", "from", "to", "task_id")} == {
        "event": "task_assigned", "user": "fajar", "from": "citra", "to": "dodi", "task_id": step["id"]}
    [taken] = engine.notifications.list(engine.identity.by_username("citra"))
    assert "diberikan kepada petugas lain" in taken.subject and case["case_number"] in taken.subject
    assert "Supervisor fajar memberikan langkah yang Anda ambil kepada Dodi Pratama" in taken.body
    [got] = engine.notifications.list(engine.identity.by_username("dodi"))
    assert "Tugas diberikan kepada Anda: Periksa permohonan" in got.subject and f"/tasks/{step['id']}" in got.link
    # the supervisor who gave it is not told of their own act; the step is Dodi's to send
    assert engine.notifications.list(engine.identity.by_username("fajar")) == []
    assert dodi.post(f"/tasks/{step['id']}/complete", json={"data": CHECK_COMPLETE}).status_code == 200


def test_a_supervisor_who_takes_a_step_over_is_said_to_take_it_over(engine, people):
    """Not 'Supervisor Fajar gave this step to Fajar' (the staff walk-through)."""
    ani, citra, fajar = (people[n] for n in ("ani", "citra", "fajar"))
    case = file_case(ani)
    step = open_task(citra, case, "Task_PeriksaPermohonan")
    assert citra.post(f"/tasks/{step['id']}/claim").status_code == 200
    assert fajar.post(f"/tasks/{step['id']}/assign", json={"to": "fajar", "from": "citra"}).status_code == 200
    [taken] = engine.notifications.list(engine.identity.by_username("citra"))
    assert "diambil alih supervisor" in taken.subject
    assert "Supervisor fajar mengambil alih langkah yang Anda ambil" in taken.body
    late = citra.post(f"/tasks/{step['id']}/complete", json={"data": CHECK_COMPLETE})
    assert late.get_json()["detail"] == "Supervisor fajar mengambil alih langkah ini; langkah ini bukan tugas Anda lagi."


def test_a_step_in_the_queue_goes_to_the_officer_and_giving_it_again_changes_nothing(engine, people):
    ani, citra, fajar = people["ani"], people["citra"], people["fajar"]
    case = file_case(ani)
    step = open_task(citra, case)
    assert fajar.post(f"/tasks/{step['id']}/assign", json={"to": "citra"}).get_json()["claimed_by"] == "citra"
    again = fajar.post(f"/tasks/{step['id']}/assign", json={"to": "citra"})
    assert again.status_code == 200 and again.get_json()["claimed_by"] == "citra"
    events = [h["event"] for h in fajar.get(f"/cases/{case['id']}").get_json()["history"]]
    assert events.count("task_assigned") == 1
    assert len(engine.notifications.list(engine.identity.by_username("citra"))) == 1
    # a supervisor may give it to themself: they work their lane too
    assert fajar.post(f"/tasks/{step['id']}/assign", json={"to": "fajar", "from": "citra"}
                      ).get_json()["claimed_by"] == "fajar"


def test_only_the_lanes_supervisor_or_the_process_owner_gives_and_only_to_who_may_work_it(app, engine, people):
    ani, bayu, citra, eka, fajar = (people[n] for n in ("ani", "bayu", "citra", "eka", "fajar"))
    engine.identity.add_user("gita", "supervisor", "gita@contoh.go.id", PASSWORD, lane="pandi")
    engine.identity.add_user("hadi", "tim_layanan", "hadi@contoh.go.id", PASSWORD)
    engine.identity.add_user("pemilik", "process_owner", "pemilik@contoh.go.id", PASSWORD)
    admin = engine.identity.add_user("root", "admin", "root@contoh.go.id", PASSWORD)
    engine.identity.set_active(admin, "hadi", False)
    gita, owner = (ApiUser(app.test_client(), n, engine.tokens.new(n)) for n in ("gita", "pemilik"))
    case = file_case(ani)
    step = open_task(citra, case)
    path = f"/tasks/{step['id']}/assign"

    def counted():
        with engine.store.transaction() as session:
            return (session.scalar(select(func.count()).select_from(HistoryEvent)),
                    session.scalar(select(HumanTask.claimed_by).where(HumanTask.id == step["id"])))
    before = counted()
    assert bayu.post(path, json={"to": "citra"}).status_code == 404  # another agency's case: unseen
    for person in (ani, citra, eka, gita):
        refused = person.post(path, json={"to": "citra"})
        assert refused.status_code == 403, person.name
        assert "supervisor lajur langkah ini atau pemilik proses" in refused.get_json()["detail"]
    # another lane's officer, nobody, a deactivated account: one answer, which tells no more than "not one of
    # this lane's active officers" (the authorization probe: it told which names exist and whose they are)
    for to, said in (("eka", "eka bukan petugas aktif lajur Tim Layanan Domain; pilih dari daftar"),
                     ("gita", "gita bukan petugas aktif lajur"), ("ani", "ani bukan petugas aktif lajur"),
                     ("siapa", "siapa bukan petugas aktif lajur"), ("hadi", "hadi bukan petugas aktif lajur"),
                     ("x y", "Pengguna itu bukan petugas aktif"), ("", "Pilih petugas"), (7, "Pilih petugas"),
                     (None, "Pilih petugas")):
        refused = fajar.post(path, json={"to": to})
        assert refused.status_code == 422, (to, refused.get_json())
        [error] = refused.get_json()["errors"]
        assert error["field"] == "to" and said in error["message"], (to, error)
    assert fajar.post(path, data="[1]", content_type="application/json").status_code == 400
    assert fajar.post(path, data="to=citra", content_type="application/x-www-form-urlencoded").status_code == 400
    assert fajar.post("/tasks/no-such-task/assign", json={"to": "citra"}).status_code == 404
    assert counted() == before  # none of it changed anything

    assert owner.post(path, json={"to": "citra"}).get_json()["claimed_by"] == "citra"
    [told] = engine.notifications.list(engine.identity.by_username("citra"))
    assert "Pemilik proses pemilik memberikan langkah ini kepada Anda" in told.body
    # a done step is given to nobody; the agency's own steps are its officers', never given
    work(citra, step, CHECK_INCOMPLETE)
    assert fajar.post(path, json={"to": "dodi"}).status_code == 409
    correction = open_task(ani, case, "Task_LengkapiPermohonan")
    refused = owner.post(f"/tasks/{correction['id']}/assign", json={"to": "ani"})
    assert refused.status_code == 403  # and says why, not that only the process owner may (the API probe)
    assert "petugas instansi itu sendiri yang mengirimnya" in refused.get_json()["detail"]
    # nor is an agency's step, nobody holding it, released by another lane: not theirs, rather than "not held"
    for person in (citra, eka, owner):
        assert person.post(f"/tasks/{correction['id']}/unclaim").status_code == 403, person.name
    # nor a step done: who may comes before what state it is in (the authorization probe)
    assert eka.post(f"/tasks/{step['id']}/unclaim").status_code == 403
    assert owner.post(f"/tasks/{step['id']}/unclaim").status_code == 403


def test_a_gift_and_a_claim_at_the_same_moment_one_wins(engine, people):
    """The supervisor gives the step they saw in the queue to Dodi while Citra takes it: exactly one of them
    has it (a gift does not take it from Citra unseen)."""
    ani, citra = people["ani"], people["citra"]
    fajar, citra_actor = engine.identity.by_username("fajar"), engine.identity.by_username("citra")
    for _ in range(4):
        step = open_task(citra, file_case(ani))
        barrier, results = threading.Barrier(2), {}

        def run(name, command):
            barrier.wait()
            try:
                results[name] = command().claimed_by
            except Conflict as exc:
                results[name] = exc.code
        threads = [threading.Thread(target=run, args=("give", lambda: engine.assignments.give(fajar, step["id"], "dodi", seen=None))),
                   threading.Thread(target=run, args=("claim", lambda: engine.tasks.claim(citra_actor, step["id"])))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with engine.store.transaction() as session:
            holder = session.scalar(select(HumanTask.claimed_by).where(HumanTask.id == step["id"]))
        assert results in ({"give": "dodi", "claim": "claimed"}, {"give": "stale", "claim": "citra"}), results
        assert holder == engine.identity.by_username(results["give"] if results["give"] == "dodi" else "citra").id


def test_a_gift_made_from_an_old_look_at_the_step_is_refused(engine, people):
    ani, citra, dodi, fajar = (people[n] for n in ("ani", "citra", "dodi", "fajar"))
    step = open_task(citra, file_case(ani))
    citra.post(f"/tasks/{step['id']}/claim")  # after the supervisor looked: they saw it in the queue
    refused = fajar.post(f"/tasks/{step['id']}/assign", json={"to": "dodi", "from": None})
    assert refused.status_code == 409 and "baru saja diambil oleh citra" in refused.get_json()["detail"]
    odd = fajar.post(f"/tasks/{step['id']}/assign", json={"to": "dodi", "from": 7})
    assert odd.status_code == 422 and odd.get_json()["errors"][0]["field"] == "from"  # as "to" is
    assert open_task(citra, {"id": step["case_id"]})["claimed_by"] == "citra"
    assert engine.notifications.list(engine.identity.by_username("citra")) == []
    given = fajar.post(f"/tasks/{step['id']}/assign", json={"to": "dodi", "from": "citra"})
    assert given.status_code == 200 and given.get_json()["claimed_by"] == "dodi"
    dodi.post(f"/tasks/{step['id']}/unclaim")
    refused = fajar.post(f"/tasks/{step['id']}/assign", json={"to": "citra", "from": "dodi"})
    assert refused.status_code == 409 and "tidak dipegang dodi, melainkan menunggu di antrian" in \
        refused.get_json()["detail"]


def test_the_task_page_offers_the_officers_of_the_lane_to_its_supervisor_only(app, engine, people):
    ani, citra = people["ani"], people["citra"]
    engine.identity.change_user(None, "dodi", "tim_layanan", "dodi@contoh.go.id", full_name="Dodi Pratama")
    case = file_case(ani)
    step = open_task(citra, case)
    citra.post(f"/tasks/{step['id']}/claim")
    officer = app.test_client()
    login(officer, "citra")
    assert 'id="give"' not in officer.get(f"/tasks/{step['id']}").get_data(as_text=True)

    supervisor = app.test_client()
    login(supervisor, "fajar")
    page = supervisor.get(f"/tasks/{step['id']}").get_data(as_text=True)
    assert 'id="give"' in page and "dan tidak lagi dipegang citra" in page
    options = [line for line in page.splitlines() if "<option value=" in line]
    # the holder is not offered; fewest held first (Dodi and Fajar hold none, Citra holds this one)
    assert '<option value="dodi">Dodi Pratama · memegang 0 tugas</option>' in page
    assert '<option value="citra"' not in page
    assert [o.split('"')[1] for o in options] == ["", "dodi", "fajar"]
    assert '<option value="fajar">Saya sendiri mengambil alih (fajar) · memegang 0 tugas</option>' in page  # last, apart
    nobody = supervisor.post(f"/tasks/{step['id']}/berikan", data={"to": "", "seen": "citra"})
    # said beside the choice, which is marked and takes the cursor (the accessibility audit: only a message at
    # the top of the page, the choice unmarked, the cursor at the page's start)
    assert nobody.status_code == 422
    refused = nobody.get_data(as_text=True)
    assert re.search(r'<select id="give-to" name="to" required aria-describedby="give-error give-hint" '
                     r'aria-invalid="true" autofocus>', refused)
    assert re.search(r'<small class="error-text" id="give-error">[^<]*Pilih petugas', refused)
    given = supervisor.post(f"/tasks/{step['id']}/berikan", data={"to": "dodi", "seen": "citra"},
                            follow_redirects=True)
    assert "diberikan kepada Dodi Pratama" in given.get_data(as_text=True)
    history = supervisor.get(f"/cases/{case['case_number']}").get_data(as_text=True)
    assert "Tugas diberikan</strong>: Periksa permohonan dari citra kepada Dodi Pratama" in history


@on_postgresql
def test_a_gift_to_an_officer_whose_account_changed_meanwhile_says_so(pg_only, engine, people, monkeypatch):
    """The review: a gift refused because the officer was moved at that moment blamed the step ("taken, released
    or done"). The officer is changed between the gift's look at them and its update (another connection)."""
    from engine import assignment
    fajar = people["fajar"]
    step = open_task(fajar, file_case(people["ani"]))
    admin = engine.identity.add_user("root", "admin", "root@contoh.go.id", PASSWORD)
    looked = assignment._refusal

    def moved_meanwhile(officer, to, task):
        engine.identity.change_user(admin, "dodi", "pandi", "dodi@contoh.go.id")
        return looked(officer, to, task)
    monkeypatch.setattr(assignment, "_refusal", moved_meanwhile)
    refused = fajar.post(f"/tasks/{step['id']}/assign", json={"to": "dodi"})
    assert refused.status_code == 409 and "Akun dodi baru saja dinonaktifkan atau diubah" in refused.get_json()["detail"]
    assert open_task(fajar, {"id": step["case_id"]})["claimed_by"] is None
