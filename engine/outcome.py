"""A case's outcome: how it ended, as the answer form says it.

A form marks the field that states the outcome with `"x-outcome": true`; each of its options (`oneOf` of `const`
+ `title`) may say `"x-tone": "not-granted"` when the agency did not get what it asked for. The engine keeps
the value, its title and tone with the case, so lists and pages show it without knowing the form."""
from __future__ import annotations

from dataclasses import dataclass

TONES = ("granted", "not-granted")  # whether the agency got what it asked for (how the pages colour it)


@dataclass(frozen=True)
class Outcome:
    value: str
    title: str
    tone: str


def of(schema: dict, data: dict) -> Outcome | None:
    """How the case ended, if this form says it: the value of its field marked `x-outcome`, in the words of
    that option's title, with the option's `x-tone` (granted unless it says otherwise)."""
    for name, prop in schema.get("properties", {}).items():
        if isinstance(prop, dict) and prop.get("x-outcome") is True and name in data:
            value = data[name]
            option = next((o for o in prop.get("oneOf", []) if o.get("const") == value), {})
            return Outcome(str(value)[:100], str(option.get("title", value))[:300], option.get("x-tone", TONES[0]))
    return None


@dataclass(frozen=True)
class Decision:
    field: str   # the form's field
    label: str   # its title ("Hasil pemeriksaan")
    value: str   # the option chosen ("tidak_lengkap")
    title: str   # that option's title ("Tidak lengkap — dikembalikan ke pemohon untuk dilengkapi")


def decided(schema: dict, data) -> tuple[Decision, ...]:
    """What a step decided, in its form's words: the options chosen in its required choice fields (`oneOf` of
    `const` + `title` at the top of the form), e.g. "Hasil pemeriksaan: Tidak lengkap" — what a case's history
    says beside the step, so a reader sees where the case turned without opening the data."""
    if not isinstance(data, dict):
        return ()
    required = schema.get("required") or ()
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        if name in required and isinstance(prop, dict) and prop.get("oneOf") and name in data:
            option = next((o for o in prop["oneOf"] if isinstance(o, dict) and o.get("const") == data[name]), None)
            if option is not None and "title" in option:
                found.append(Decision(name, str(prop.get("title", name)), str(data[name]), str(option["title"])))
    return tuple(found)


def states_it(schema: dict) -> bool:
    """Whether this form states the case's outcome (its data is the answer the case ends with)."""
    return any(isinstance(p, dict) and p.get("x-outcome") is True for p in (schema.get("properties") or {}).values())


def problem(schema: dict) -> str | None:
    """What is wrong with a form's outcome markings, checked when it is deployed."""
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        if "x-outcome" in prop and (prop["x-outcome"] is not True or not prop.get("oneOf")):
            return f"isian {name}: x-outcome harus bernilai true dan hanya dipakai pada isian dengan pilihan oneOf (const + title)."
        for option in prop.get("oneOf") or []:
            if isinstance(option, dict) and "x-tone" in option and option["x-tone"] not in TONES:
                return f"isian {name}: x-tone harus salah satu dari {', '.join(TONES)}."
    return None
