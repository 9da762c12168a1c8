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
    assert refused.get_json()["detail"].endswith("tidak dapat mengambilnya.")
    assert people["citra"].get(f"/tasks/{step2['id']}").get_json()["claimed_by"] is None
    # sending it is refused in its own words (the probe: "cannot take it" answered a completion)
    sent = people["eka"].post(f"/tasks/{step2['id']}/complete", json={"data": CHECK_COMPLETE})
    assert sent.status_code == 403 and sent.get_json()["detail"].endswith("tidak dapat menyelesaikannya.")


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
    gita = ApiUser(ani.client, "gita", engine.tokens.new("gita"))
    assert gita.post(f"/tasks/{completion['id']}/claim").status_code == 403
    assert gita.post(f"/tasks/{completion['id']}/unclaim").status_code == 403
    assert ani.get(f"/tasks/{completion['id']}").get_json()["claimed_by"] == "ani"


def test_an_agency_step_one_officer_took_through_the_api_is_still_the_agencys(app, engine, people):
    """The pages never take an agency's step (its officers send it); the API lets one officer take it. That
    must not keep their colleagues from releasing or sending it when that officer is away."""
    from conftest import PASSWORD, ApiUser
    from samples import ANSWER, CHECK_INCOMPLETE, CORRECTION, PANDI, RECEIPT
    ani, bayu, citra, eka = (people[n] for n in ("ani", "bayu", "citra", "eka"))
    engine.identity.add_user("ani2", "pemohon", "ani2@contoh.go.id", PASSWORD, "kab-contoh")
    ani2 = ApiUser(app.test_client(), "ani2", engine.tokens.new("ani2"))
    case = file_case(ani)
    work(citra, open_task(citra, case), CHECK_INCOMPLETE)
    correction = open_task(ani, case, "Task_LengkapiPermohonan")
    assert ani.post(f"/tasks/{correction['id']}/claim").get_json()["claimed_by"] == "ani"
    assert bayu.post(f"/tasks/{correction['id']}/unclaim").status_code == 404  # another agency's: unseen
    released = ani2.post(f"/tasks/{correction['id']}/unclaim")
    assert released.status_code == 200 and released.get_json()["claimed_by"] is None
    # Ani hears that a colleague let her step go, and the history says whose it was
    told = engine.notifications.list(engine.identity.by_username("ani"))
    assert [n.subject.split(":")[0] for n in told] == ["[Sengketa] Tugas Anda dilepas ke antrian",
                                                       "[Sengketa] Menunggu tindakan Anda"]
    assert "Rekan instansi Anda ani2 melepas langkah yang Anda ambil" in told[0].body
    assert ani.get(f"/cases/{case['id']}").get_json()["history"][-1]["from"] == "ani"
    assert ani.post(f"/tasks/{correction['id']}/claim").status_code == 200
    sent = ani2.post(f"/tasks/{correction['id']}/complete", json={"data": CORRECTION})
    assert sent.status_code == 200 and sent.get_json()["completed_by"] == "ani2"
    for person, data in ((citra, CHECK_COMPLETE), (citra, ANALYSIS_FORWARD), (eka, PANDI), (citra, ANSWER)):
        work(person, open_task(person, case), data)
    receipt = open_task(ani, case, "Task_TerimaJawaban")
    ani.post(f"/tasks/{receipt['id']}/claim")
    assert bayu.post(f"/tasks/{receipt['id']}/complete", json={"data": RECEIPT}).status_code == 404
    assert ani2.post(f"/tasks/{receipt['id']}/complete", json={"data": RECEIPT}).status_code == 200
    assert ani.get(f"/cases/{case['id']}").get_json()["status"] == "completed"
