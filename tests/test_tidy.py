"""Values typed the way people write them (a NIP in groups, a phone number with dashes, a domain copied from the
address bar) are tidied before the form checks them; anything else is still refused with its own message."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from engine.tidy import tidied
from samples import make_pdf, multipart, request_data
from test_bad_input import nothing_changed, problem
from test_sop_api import file_case

START_FORM = json.loads((Path(__file__).resolve().parent.parent / "forms" / "permohonan.json").read_text())


@pytest.mark.parametrize("typed, kept", [
    ("19860926 201505 1 001", "198609262015051001"),
    ("19860926-201505-1-001", "198609262015051001"),
    ("19860926.201505.1.001", "198609262015051001"),
    ("1986O926 201505 1 001", "1986O926 201505 1 001"),   # a letter O: left as typed, so the message shows it
    ("", None),  # blank: not given, so reported missing
    (" \u200b ", None),
])
def test_a_nip_loses_its_separators_only(typed, kept):
    data = request_data(**{"contact.nip": typed})
    assert tidied(START_FORM, data)["contact"].get("nip") == kept


@pytest.mark.parametrize("typed, kept", [
    ("0812-3456-7890", "081234567890"),
    ("+62 812 3456 7890", "+6281234567890"),
    ("0812 3456 789O", "0812 3456 789O"),
])
def test_a_phone_number_loses_its_separators(typed, kept):
    assert tidied(START_FORM, request_data(**{"contact.mobile": typed}))["contact"]["mobile"] == kept


@pytest.mark.parametrize("typed, kept", [
    ("https://Contoh.go.id/", "contoh.go.id"),
    ("http://contoh.go.id/beranda?x=1", "contoh.go.id"),
    ("CONTOH.GO.ID.", "contoh.go.id"),
    ("contoh.go.id\n", "contoh.go.id"),
    ("www.contoh.go.id", "www.contoh.go.id"),   # another name: not guessed away (the form refuses it: test_bad_input)
    ("contoh.com", "contoh.com"),
])
def test_a_domain_copied_from_the_address_bar_is_the_name_alone(typed, kept):
    assert tidied(START_FORM, request_data(**{"domain.name": typed}))["domain"]["name"] == kept


def test_the_callers_data_is_never_changed_and_tidy_data_is_passed_through():
    typed = request_data(**{"contact.nip": "19860926 201505 1 001"})
    before = copy.deepcopy(typed)
    tidy = tidied(START_FORM, typed)
    assert typed == before and tidy is not typed
    assert tidied(START_FORM, tidy) is tidy
    for odd in (None, [], "x", {"contact": "x"}, {"contact": {"nip": 5}}):
        assert tidied(START_FORM, odd) is odd  # the schema check refuses these; tidying leaves them be


def test_a_filing_typed_the_way_people_write_is_stored_tidy(people):
    case = file_case(people["ani"], request_data(**{
        "contact.nip": "19860926 201505 1 001", "contact.mobile": "0812-3456-7890",
        "domain.name": "https://Contoh.go.id/", "letter.signatory.nip": "19700101 199503 2 002"}))
    stored = people["ani"].get(f"/cases/{case['id']}").get_json()
    assert stored["domain"] == "contoh.go.id"
    request = stored["data"]["permohonan"]
    assert (request["contact"]["nip"], request["contact"]["mobile"], request["domain"]["name"],
            request["letter"]["signatory"]["nip"]) == (
        "198609262015051001", "081234567890", "contoh.go.id", "197001011995032002")


def test_what_cannot_be_tidied_is_refused_with_what_to_write(people):
    data = request_data(**{"contact.nip": "1986O926 201505 1 001", "contact.mobile": "021-555-1234"})
    response = people["ani"].post("/cases", data=multipart(data, letter=[("s.pdf", make_pdf())]),
                                  content_type="multipart/form-data")
    messages = {e["field"]: e["message"] for e in problem(response, 422)["errors"]}
    assert messages == {
        "contact.nip": "NIP terdiri dari 18 angka (0–9); spasi boleh, huruf dan tanda lain tidak.",
        "contact.mobile": "Nomor ponsel Indonesia diawali 08, 628 atau +628, misalnya 0812-3456-7890."}
    nothing_changed(people["ani"])


def test_a_whole_count_sent_as_a_decimal_is_kept_as_the_whole_number():
    data = tidied(START_FORM, request_data(**{"letter.attachments_count": 2.0}))
    assert data["letter"]["attachments_count"] == 2 and type(data["letter"]["attachments_count"]) is int
    kept = tidied(START_FORM, request_data(**{"letter.attachments_count": 2.5}))
    assert kept["letter"]["attachments_count"] == 2.5  # left as sent: the form says it is not a whole number
