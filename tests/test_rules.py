"""Who may see and claim what: the lane of a task decides, and an agency sees only its own cases."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from engine.models import User
from samples import CHECK_COMPLETE, ANALYSIS_FORWARD
from test_sop_api import file_case, open_task, work


def test_pandi_cannot_claim_a_tim_layanan_task(people):
    case = file_case(people["ani"])
    step2 = open_task(people["citra"], case)
    refused = people["eka"].post(f"/tasks/{step2['id']}/claim")
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "not_your_lane"
    assert people["citra"].get(f"/tasks/{step2['id']}").get_json()["claimed_by"] is None


def test_agency_cannot_see_another_agencys_case(people):
    case = file_case(people["ani"])
    bayu = people["bayu"]
    assert bayu.get(f"/cases/{case['id']}").status_code == 404
    assert bayu.get(f"/cases/{case['case_number']}").status_code == 404
    assert bayu.get("/cases").get_json()["total"] == 0
    assert bayu.get("/tasks?state=all").get_json()["total"] == 0
    step2 = open_task(people["citra"], case)
    assert bayu.get(f"/tasks/{step2['id']}").status_code == 404
    assert bayu.post(f"/tasks/{step2['id']}/claim").status_code == 404
    document = people["ani"].get(f"/cases/{case['id']}").get_json()["documents"][0]
    assert bayu.get(f"/cases/{case['id']}/documents/{document['id']}").status_code == 404


def test_lanes_decide_who_claims(people):
    ani, citra, eka, fajar = people["ani"], people["citra"], people["eka"], people["fajar"]
    case = file_case(ani)
    step2 = open_task(citra, case)
    assert ani.post(f"/tasks/{step2['id']}/claim").status_code == 403      # an agency is not Tim Layanan
    assert ani.get("/tasks?view=queue").get_json()["total"] == 0
    # The supervisor of Tim Layanan may step in on that lane, and release a member's claim.
    assert citra.post(f"/tasks/{step2['id']}/claim").status_code == 200
    assert fajar.post(f"/tasks/{step2['id']}/unclaim").status_code == 200
    assert fajar.post(f"/tasks/{step2['id']}/claim").status_code == 200
    assert fajar.post(f"/tasks/{step2['id']}/complete", json={"data": CHECK_COMPLETE}).status_code == 200
    work(citra, open_task(citra, case), ANALYSIS_FORWARD)
    step4 = open_task(eka, case)
    assert fajar.post(f"/tasks/{step4['id']}/claim").status_code == 403    # not the lane he supervises
    assert citra.post(f"/tasks/{step4['id']}/claim").status_code == 403
    assert ani.post(f"/tasks/{step4['id']}/claim").status_code == 403
    assert [t["id"] for t in eka.get("/tasks?view=queue").get_json()["items"]] == [step4["id"]]


def test_someone_elses_claim_is_not_mine_to_release_or_complete(people):
    citra, dodi = people["citra"], people["dodi"]
    case = file_case(people["ani"])
    step2 = open_task(citra, case)
    assert citra.post(f"/tasks/{step2['id']}/claim").status_code == 200
    taken = dodi.post(f"/tasks/{step2['id']}/claim")
    assert taken.status_code == 409 and taken.get_json()["code"] == "claimed"
    assert dodi.post(f"/tasks/{step2['id']}/unclaim").status_code == 403
    completed = dodi.post(f"/tasks/{step2['id']}/complete", json={"data": CHECK_COMPLETE})
    assert completed.status_code == 409
    assert citra.get(f"/tasks/{step2['id']}").get_json()["claimed_by"] == "citra"
    mine = citra.get("/tasks?mine=true").get_json()["items"]
    assert [t["id"] for t in mine] == [step2["id"]]
    assert dodi.get("/tasks?view=mine").get_json()["total"] == 0


def test_a_supervisor_of_the_agency_lane_cannot_release_agencies_claims(engine, people):
    from samples import CHECK_INCOMPLETE
    ani, citra = people["ani"], people["citra"]
    case = file_case(ani)
    work(citra, open_task(citra, case), CHECK_INCOMPLETE)
    completion = open_task(ani, case, "Task_LengkapiPermohonan")
    assert ani.post(f"/tasks/{completion['id']}/claim").status_code == 200
    # Such a supervisor is no longer made (an agency lane has no targets to supervise) ...
    from engine.errors import Invalid
    with pytest.raises(Invalid):
        engine.identity.add_user("gita", "supervisor", "gita@contoh.go.id", "rahasia-123", lane="pemohon")
    # ... but one made before that rule, still in the database, may not touch an agency's steps either.
    engine.identity.add_user("gita", "supervisor", "gita@contoh.go.id", "rahasia-123", lane="tim_layanan")
    with engine.store.transaction(write=True) as session:
        session.execute(update(User).where(User.username == "gita").values(lane="pemohon"))
    from conftest import ApiUser
    gita = ApiUser(ani.client, "gita", engine.identity.new_token("gita"))
    assert gita.post(f"/tasks/{completion['id']}/claim").status_code == 403
    assert gita.post(f"/tasks/{completion['id']}/unclaim").status_code == 403
    assert ani.get(f"/tasks/{completion['id']}").get_json()["claimed_by"] == "ani"
