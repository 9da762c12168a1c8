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
    assert json.loads(encode(value)) == value


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


def test_a_large_integer_reads_back_as_an_integer():
    """The one plain value orjson would read differently (as a float): state is read by `json`."""
    value = {"n": 2 ** 64 - 1, "m": -(2 ** 63)}
    assert json.loads(encode(value)) == value and type(json.loads(encode(value))["n"]) is int


def test_deeply_nested_plain_data_is_checked_without_running_out_of_stack():
    deep = "leaf"
    for _ in range(5000):
        deep = {"x": [deep]}
    assert jsontext.plain(deep)
    deep_odd = {"x": 2 ** 70}
    for _ in range(5000):
        deep_odd = [deep_odd]
    assert not jsontext.plain(deep_odd)
