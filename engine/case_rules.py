"""Rules between a step's form and what earlier steps of its case decided.

A form may carry `x-case-rules`: a JSON Schema over the case's data objects, with the form's own data under
its own name (the step's output). The answer to the applicant, say, must state the outcome the analysis and
PANDI reached: `{"if": {analysis_decision.decision = ditolak}, "then": {applicant_answer.outcome = ditolak}}`.
Data objects no step has filled yet are left out, so a rule about them does not apply."""
from __future__ import annotations

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .errors import DeploymentError, Invalid
from .forms import cached_validator, describe  # the same wording as the form's own checks

KEY = "x-case-rules"


def check_schema(form_key: str, schema: dict, element: str) -> None:
    rules = schema.get(KEY)
    if rules is None:
        return
    try:
        Draft202012Validator.check_schema(rules)
    except SchemaError as exc:
        raise DeploymentError("form", f"Aturan kasus formulir {form_key} bukan JSON Schema yang valid: "
                                      f"{exc.message}", [{"element": element, "message": exc.message}]) from exc


def check(schema: dict, output: str, data: dict, case: dict) -> None:
    """Raises Invalid, one entry per field of this form that contradicts the case."""
    problems = errors(schema, output, data, case)
    if problems:
        raise Invalid("case_rules", "Isian tidak sesuai dengan keputusan langkah sebelumnya.", problems)


def errors(schema: dict, output: str, data, case: dict) -> list[dict]:
    """The fields of this form that contradict the case, as a refusal's entries (none for data that is not
    an object: the form's own check says what is wrong with that)."""
    if not isinstance(data, dict):
        return []
    return [{"field": f, "message": m} for f, m in _problems(schema, output, data, case).items()]


def suggested(schema: dict, output: str, case: dict) -> dict:
    """For each choice field of the form, the one option the case allows (when the rules leave only one):
    what the page starts the form with."""
    if KEY not in schema:
        return {}
    result = {}
    for name, prop in schema.get("properties", {}).items():
        options = [o["const"] for o in prop.get("oneOf", []) if isinstance(o, dict) and "const" in o]
        allowed = [o for o in options if name not in _problems(schema, output, {name: o}, case)]
        if options and len(allowed) == 1:
            result[name] = allowed[0]
    return result


def _problems(schema: dict, output: str, data: dict, case: dict) -> dict[str, str]:
    rules = schema.get(KEY)
    if rules is None:
        return {}
    context = {name: value for name, value in case.items() if value is not None and name != output}
    context[output] = data
    problems = {}
    for error in cached_validator(rules, Draft202012Validator).iter_errors(context):
        for path, message in describe(error):
            if path.startswith(output + "."):
                problems.setdefault(path[len(output) + 1:], message)
            else:  # a rule about the case alone cannot be met by this form: say so where it is shown
                problems.setdefault("", message)
    return problems

