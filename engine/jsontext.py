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

_INT_MIN, _INT_MAX = -(2 ** 63), 2 ** 64 - 1  # what orjson writes as an integer


def plain(value) -> bool:
    """Plain JSON through and through (exact types only). A loop, not recursion: no depth limit."""
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is dict:
            for key, inner in item.items():
                if type(key) is not str:
                    return False
                inner_kind = type(inner)
                if inner_kind is not str and inner is not None and inner_kind is not bool:
                    push(inner)
        elif kind is list:
            extend(item)
        elif kind is int:
            if not _INT_MIN <= item <= _INT_MAX:
                return False
        elif kind is float:
            if item - item != 0.0:  # NaN and the infinities are not JSON
                return False
        else:
            return False
    return True


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
