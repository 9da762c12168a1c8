"""A filing sent again files nothing twice (the crash and race probe: a client timeout and a retry made two
cases of one request): the API's Idempotency-Key, the page form's own key."""
from __future__ import annotations

import io
import re

from samples import make_pdf, multipart, request_data
from test_concurrency import run_together
from test_pages import _flatten, login


def post_case(person, key=None, data=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return person.post("/cases", data=multipart(data or request_data(), letter=[("s.pdf", make_pdf())]),
                       content_type="multipart/form-data", headers=headers)


def test_a_filing_sent_again_with_its_key_answers_with_the_first_case(people):
    ani, bayu = people["ani"], people["bayu"]
    first = post_case(ani, "permohonan-2026-11-27-a")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = post_case(ani, "permohonan-2026-11-27-a")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"] and again.get_json()["domain"] == "contoh.go.id"
    # the key names that request: another request under it is refused, not answered with the old case
    other = post_case(ani, "permohonan-2026-11-27-a", request_data(**{"domain.name": "lain.go.id"}))
    assert other.status_code == 422
    [error] = other.get_json()["errors"]
    assert error["field"] == "Idempotency-Key" and first.get_json()["case_number"] in error["message"]
    assert [t["id"] for t in again.get_json()["open_tasks"]] == [t["id"] for t in first.get_json()["open_tasks"]]
    assert ani.get("/cases").get_json()["total"] == 1
    assert post_case(ani, "permohonan-2026-11-27-b").status_code == 201  # another key: another filing
    assert post_case(bayu, "permohonan-2026-11-27-a").status_code == 201  # a key is the filer's own
    assert post_case(ani).status_code == 201 and ani.get("/cases").get_json()["total"] == 3  # no key: as before
    for bad in ("dua kata", "x" * 201, "kunci\u00e9"):
        refused = post_case(ani, bad)
        assert refused.status_code == 400 and "Idempotency-Key" in refused.get_json()["detail"], bad
    assert ani.get("/cases").get_json()["total"] == 3


def test_one_key_sent_twice_at_once_files_one_case(app, people):
    ani = people["ani"]
    clients = [app.test_client(), app.test_client()]

    def send(client):
        return client.post("/api/v1/cases", data=multipart(request_data(), letter=[("s.pdf", make_pdf())]),
                           content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {ani.token}", "Idempotency-Key": "sekali-saja"})
    answers = run_together(lambda: send(clients[0]), lambda: send(clients[1]))
    assert sorted(a.status_code for a in answers) == [200, 201], [a.get_json() for a in answers]
    assert answers[0].get_json()["id"] == answers[1].get_json()["id"]
    assert ani.get("/cases").get_json()["total"] == 1


def test_the_filing_page_sent_twice_files_once(client, people):
    login(client, "ani")
    key = re.search(r'name="kunci" value="([0-9a-f]{32})"', client.get("/cases/new").get_data(as_text=True)).group(1)

    def form():
        fields = _flatten(request_data())
        fields["letter"] = (io.BytesIO(make_pdf()), "surat.pdf")
        fields["kunci"] = key
        return fields
    first = client.post("/cases/new", data=form(), content_type="multipart/form-data")
    second = client.post("/cases/new", data=form(), content_type="multipart/form-data", follow_redirects=True)
    assert first.status_code == 302 and second.status_code == 200
    assert "kiriman kedua tidak dicatat lagi" in second.get_data(as_text=True)
    assert people["ani"].get("/cases").get_json()["total"] == 1
    fresh = re.search(r'name="kunci" value="([0-9a-f]{32})"', client.get("/cases/new").get_data(as_text=True))
    assert fresh.group(1) != key  # a new form is a new filing



def test_a_key_used_before_moving_agency_is_refused_not_a_server_error(engine, people):
    """The review: the filer moved to another agency, retried under the old key, and got a 500."""
    ani = people["ani"]
    assert post_case(ani, "pindah-1").status_code == 201
    engine.identity.change_user(None, "ani", "pemohon", "ani@contoh.go.id", agency="kab-lain")
    refused = post_case(ani, "pindah-1")
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert ani.get("/cases").get_json()["total"] == 0  # nothing filed for the new agency either


def test_the_filing_page_changed_after_going_back_files_the_new_request(client, people):
    """Back to the filled form (the browser keeps its key), a domain changed, sent: a new request, filed."""
    login(client, "ani")
    key = re.search(r'name="kunci" value="([0-9a-f]{32})"', client.get("/cases/new").get_data(as_text=True)).group(1)
    for domain in ("contoh.go.id", "lain.go.id"):
        fields = _flatten(request_data(**{"domain.name": domain}))
        fields["letter"] = (io.BytesIO(make_pdf()), "surat.pdf")
        fields["kunci"] = key
        assert client.post("/cases/new", data=fields, content_type="multipart/form-data").status_code == 302
    assert sorted(c["domain"] for c in people["ani"].get("/cases").get_json()["items"]) == ["contoh.go.id",
                                                                                         "lain.go.id"]
