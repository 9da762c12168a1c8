"""JSON text of engine state, fast where the value allows it and exactly as the standard library writes it.

orjson encodes an order of magnitude faster than `json`, but it also writes some non-JSON types on its own
terms (a UUID as a bare string, an Enum as its value) where SpiffWorkflow's encoder writes a typed record.
So a value goes to orjson only when it is plain JSON through and through (dicts with string keys, lists,
strings, 64-bit integers, finite floats, booleans, None, exact types only); anything else goes to the
standard encoder with SpiffWorkflow's `default`, as before. Either way the text reads back to equal values."""
from __future__ import annotations

import json
from typing import Callable

import orjson

_LEAVES = frozenset({str, bool, type(None)})
_INT_RANGE = (-(2 ** 63), 2 ** 64 - 1)


def plain(value) -> bool:
    kind = type(value)
    if kind in _LEAVES:
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not plain(item):
                return False
        return True
    if kind is list:
        return all(plain(item) for item in value)
    if kind is int:
        return _INT_RANGE[0] <= value <= _INT_RANGE[1]
    if kind is float:
        return value - value == 0.0  # finite: NaN and infinities are not JSON
    return False


def encoder(standard: json.JSONEncoder) -> Callable[..., str]:
    """An encode function: orjson for plain values, `standard` (compact, with its `default`) for the rest.
    `parts`, if given, are the only parts of the value that can be other than plain (the caller built the
    rest from strings and numbers): only they are scanned."""
    fallback = standard.encode

    def encode(value, parts=None) -> str:
        if all(plain(part) for part in parts) if parts is not None else plain(value):
            try:
                return orjson.dumps(value).decode()
            except orjson.JSONEncodeError:  # a lone surrogate in a string: the standard encoder escapes it
                pass
        return fallback(value)
    return encode
