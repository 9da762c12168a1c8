"""Races on a real database: two claims at once, and commands racing on one case."""
from __future__ import annotations

import threading

from conftest import ApiUser
from samples import CHECK_COMPLETE
from test_sop_api import file_case, open_task


def run_together(*calls):
    """Starts the calls at the same instant in threads; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def go(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=go, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_people_claim_the_same_task_at_once_exactly_one_wins(app, people):
    case = file_case(people["ani"])
    step2 = open_task(people["citra"], case)
    for _ in range(5):
        # Each person with their own HTTP client, as two browsers would be.
        citra, dodi = people["citra"], people["dodi"]
        citra.client, dodi.client = app.test_client(), app.test_client()
        results = run_together(lambda: citra.post(f"/tasks/{step2['id']}/claim"),
                               lambda: dodi.post(f"/tasks/{step2['id']}/claim"))
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [r.get_json() for r in results]
        winner = next(r for r in results if r.status_code == 200).get_json()["claimed_by"]
        loser = next(r for r in results if r.status_code == 409).get_json()
        assert loser["code"] == "claimed"
        assert citra.get(f"/tasks/{step2['id']}").get_json()["claimed_by"] == winner
        claims = [h for h in citra.get(f"/cases/{case['id']}").get_json()["history"] if h["event"] == "task_claimed"]
        assert claims[-1]["user"] == winner
        assert people[winner].post(f"/tasks/{step2['id']}/unclaim").status_code == 200


def test_completing_twice_at_once_moves_the_case_once(app, people):
    case = file_case(people["ani"])
    citra = people["citra"]
    step2 = open_task(citra, case)
    citra.post(f"/tasks/{step2['id']}/claim")
    clients = [app.test_client(), app.test_client()]
    headers = {"Authorization": f"Bearer {citra.token}"}
    results = run_together(*[
        (lambda c=c: c.post(f"/api/v1/tasks/{step2['id']}/complete", json={"data": CHECK_COMPLETE},
                            headers=headers)) for c in clients])
    assert sorted(r.status_code for r in results) == [200, 409], [r.get_json() for r in results]
    view = citra.get(f"/cases/{case['id']}").get_json()
    assert [t["element_id"] for t in view["open_tasks"]] == ["Task_Analisa"]
    assert len([h for h in view["history"] if h["event"] == "task_completed"]) == 1


def test_many_cases_filed_at_once_get_distinct_numbers(app, people):
    def file():
        ani = ApiUser(app.test_client(), "ani", people["ani"].token)  # a client of its own per thread
        return file_case(ani)["case_number"]

    numbers = run_together(*[file for _ in range(6)])
    assert len(set(numbers)) == 6


def test_two_officers_of_one_agency_send_its_step_at_once_and_it_is_sent_once(app, engine, people):
    """An agency's own step needs no claim, so the completion itself is the only race: one of them sends it."""
    from conftest import PASSWORD
    from samples import CHECK_INCOMPLETE, CORRECTION
    from test_sop_api import work
    engine.identity.add_user("ani2", "pemohon", "ani2@contoh.go.id", PASSWORD, "kab-contoh")
    ani, ani2 = people["ani"], ApiUser(app.test_client(), "ani2", engine.identity.new_token("ani2"))
    ani.client = app.test_client()
    case = file_case(ani)
    work(people["citra"], open_task(people["citra"], case), CHECK_INCOMPLETE)
    step = open_task(ani, case, "Task_LengkapiPermohonan")
    results = run_together(*[(lambda p=p: p.post(f"/tasks/{step['id']}/complete", json={"data": CORRECTION}))
                             for p in (ani, ani2)])
    assert sorted(r.status_code for r in results) == [200, 409], [r.get_json() for r in results]
    sender = next(r for r in results if r.status_code == 200).get_json()["completed_by"]
    history = ani.get(f"/cases/{case['id']}").get_json()["history"]
    sent = [h for h in history if h["event"] == "task_completed" and h["task_id"] == step["id"]]
    assert [h["user"] for h in sent] == [sender]
    assert [t["element_id"] for t in ani.get(f"/cases/{case['id']}").get_json()["open_tasks"]] == [
        "Task_PeriksaPermohonan"]


def test_a_claim_made_as_an_account_that_changed_meanwhile_takes_nothing(engine, people):
    """The race probe: an officer moved to PANDI while their claim ran kept the Tim Layanan step (the claim checked
    only that the account was active), unable to send it and out of every queue. A claim is made as the account
    the command checked; one changed since takes nothing. (The command reads the account when it starts: here
    that account is kept from before the change, as a claim in flight has it.)"""
    from engine.errors import Forbidden
    case = file_case(people["ani"])
    step = open_task(people["citra"], case)
    as_read = engine.identity.by_username("citra")  # what a request in flight checked
    admin = engine.identity.add_user("gita", "admin", "gita@kominfo.go.id", "rahasia-123")
    engine.identity.change_user(admin, "citra", "pandi", "citra@contoh.go.id")
    try:
        engine.tasks.claim(as_read, step["id"])
    except Forbidden as refused:
        assert refused.code == "account_changed", refused.code
    else:
        raise AssertionError("the claim took the step")
    assert open_task(people["dodi"], case)["claimed_by"] is None  # still in Tim Layanan's queue
    engine.identity.set_active(admin, "dodi", False)
    dodi_as_read = engine.identity.by_username("dodi")
    assert not engine.identity.accounts(admin, "dodi")[0].active
    try:
        engine.tasks.claim(dodi_as_read, step["id"])
    except Forbidden as refused:
        assert refused.code in ("account_changed", "inactive")
    else:
        raise AssertionError("a deactivated account took the step")
    assert open_task(people["fajar"], case)["claimed_by"] is None
