"""State text: orjson writes only plain JSON; anything else is written by the standard encoder with
SpiffWorkflow's `default`, exactly as before, so nothing read back changes type."""
from __future__ import annotations

import enum
import json
import math
from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from engine import jsontext, state

STANDARD = state.serializer()._encoder_cls(separators=(",", ":"))
encode = jsontext.encoder(STANDARD)


class Colour(enum.Enum):
    RED = "red"


class Text(str):
    pass


PLAIN = [
    {"a": 1, "b": [1.5, "x", None, True, False], "c": {"d": "Sengketa nama domain — ë"}},
    {"big": 2 ** 63, "small": -(2 ** 63), "unsigned": 2 ** 64 - 1, "zero": -0.0, "tiny": 5e-324},
    [], {}, "teks", 0, 1.1,
]
NOT_PLAIN = [
    {"id": uuid4()},  # orjson would write a bare string, SpiffWorkflow a typed record
    {"at": datetime(2020, 4, 15, 9, 30)},
    {"after": timedelta(minutes=15)},
    {"count": math.nan}, {"count": math.inf}, {"count": -math.inf},
    {"huge": 2 ** 64}, {"negative": -(2 ** 63) - 1},
    {1: "a key that is a number"},
    {"pair": (1, 2)},
    {"text": Text("a str subclass")},
    {"lone": "\ud800"},  # a lone surrogate: orjson refuses it; the standard encoder escapes it
    [{"deep": [{"deeper": {"deepest": uuid4()}}]}],
]


@pytest.mark.parametrize("value", PLAIN)
def test_plain_values_read_back_equal(value):
    assert jsontext.plain(value)
    assert json.loads(encode(value)) == json.loads(STANDARD.encode(value))
    assert jsontext.loads(encode(value)) == value


@pytest.mark.parametrize("value", NOT_PLAIN, ids=repr)
def test_anything_else_is_written_exactly_as_the_standard_encoder_writes_it(value):
    if "lone" not in str(value):
        assert not jsontext.plain(value)
    assert encode(value) == STANDARD.encode(value)


def test_only_the_named_parts_are_scanned_and_they_decide():
    # (which encoder wrote it shows in the "ë": orjson writes UTF-8, the standard encoder an escape)
    record = {"id": "ë", "internal_data": {"event_value": "2020-04-15T09:30:00"}, "delta": {"updates": {}}}
    assert encode(record, [record["internal_data"], record["delta"]]) == STANDARD.encode(record).replace(
        "\\u00eb", "ë")
    record["delta"]["updates"]["when"] = datetime(2020, 4, 15)
    assert encode(record, [record["internal_data"], record["delta"]]) == STANDARD.encode(record)


def test_an_enum_is_refused_as_before_not_written_as_its_value():
    with pytest.raises(TypeError):
        encode({"colour": Colour.RED})


@pytest.mark.parametrize("value", [{"x": math.nan}, {"x": 2 ** 64}, {"x": -(2 ** 63) - 1},
                                   {"x": 123456789012345678901234567890}, {"x": [2 ** 70, "19 digits"]}])
def test_what_orjson_would_refuse_or_read_differently_is_read_by_json(value):
    """orjson refuses NaN, and reads an integer beyond 64 bits as a float: both go to `json`."""
    read = jsontext.loads(STANDARD.encode(value))
    assert repr(read) == repr(value)


def test_long_digit_runs_inside_strings_read_back_the_same():
    value = {"nip": "198609262015051001", "reference": "1234567890123456789012", "n": 18446744073709551615}
    assert jsontext.loads(json.dumps(value)) == value
    assert type(jsontext.loads(json.dumps(value))["n"]) is int
