"""Races on a real database: two claims at once, and commands racing on one case."""
from __future__ import annotations

import threading

import pytest

from conftest import ApiUser
from engine.errors import Forbidden
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
    ani, ani2 = people["ani"], ApiUser(app.test_client(), "ani2", engine.tokens.new("ani2"))
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
    case = file_case(people["ani"])
    step = open_task(people["citra"], case)
    as_read = engine.identity.by_username("citra")  # what a request in flight checked
    admin = engine.identity.add_user("gita", "admin", "gita@kominfo.go.id", "rahasia-123")
    engine.identity.change_user(admin, "citra", "pandi", "citra@contoh.go.id")
    with pytest.raises(Forbidden) as refused:
        engine.tasks.claim(as_read, step["id"])
    assert refused.value.code == "account_changed" and "diubah (peran, lajur atau instansi)" in refused.value.message
    assert open_task(people["dodi"], case)["claimed_by"] is None  # still in Tim Layanan's queue
    dodi_as_read = engine.identity.by_username("dodi")
    engine.identity.set_active(admin, "dodi", False)
    with pytest.raises(Forbidden) as refused:
        engine.tasks.claim(dodi_as_read, step["id"])
    assert refused.value.code == "inactive"
    assert open_task(people["fajar"], case)["claimed_by"] is None


def test_one_officers_claims_sent_at_once_all_answer_that_the_step_is_theirs(app, people):
    """The race probe: of an officer's own double click, the second was told someone else had taken it."""
    case = file_case(people["ani"])
    step = open_task(people["citra"], case)
    clients = []
    for _ in range(4):
        clients.append(ApiUser(app.test_client(), "citra", people["citra"].token))
    answers = run_together(*(lambda c=c: c.post(f"/tasks/{step['id']}/claim") for c in clients))
    assert [a.status_code for a in answers] == [200] * 4, [a.get_json() for a in answers]
    assert {a.get_json()["claimed_by"] for a in answers} == {"citra"}
    claims = [h for h in people["citra"].get(f"/cases/{case['id']}").get_json()["history"]
              if h["event"] == "task_claimed"]
    assert len(claims) == 1  # one claim recorded


def test_a_claim_as_its_holder_lets_go_takes_the_step_or_is_told_who_has_it(app, people):
    """The race probe: a claim that lost to the holder and then found the step free was told the claimer's own
    account was inactive. It tries again: it takes the step, or learns who took it first."""
    case = file_case(people["ani"])
    step = open_task(people["citra"], case)
    for _ in range(6):
        holder, other = (ApiUser(app.test_client(), n, people[n].token) for n in ("citra", "dodi"))
        assert holder.post(f"/tasks/{step['id']}/claim").status_code == 200
        let_go, claim = run_together(lambda: holder.post(f"/tasks/{step['id']}/unclaim"),
                                     lambda: other.post(f"/tasks/{step['id']}/claim"))
        assert let_go.status_code == 200
        assert claim.status_code in (200, 409), claim.get_json()
        if claim.status_code == 409:
            assert claim.get_json()["code"] == "claimed"
            assert other.post(f"/tasks/{step['id']}/claim").status_code == 200  # it was free after all
        assert other.post(f"/tasks/{step['id']}/unclaim").status_code == 200
