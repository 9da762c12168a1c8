"""What a command refuses, and why, in words a user can act on (Bahasa Indonesia)."""
from __future__ import annotations


class EngineError(Exception):
    """A refused command; nothing it would have changed was written."""
    kind = "error"

    def __init__(self, code: str, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors or []


class Malformed(EngineError):
    kind = "malformed"


class NotFound(EngineError):
    kind = "not_found"


class Forbidden(EngineError):
    kind = "forbidden"


class Conflict(EngineError):
    kind = "conflict"


class TooLarge(EngineError):
    kind = "too_large"


class Unavailable(EngineError):
    """The database could not be reached or dropped the connection mid-command: nothing was written, and the
    same command can simply be sent again."""
    kind = "unavailable"


class Throttled(EngineError):
    """Too many failed attempts in a row: the same request is refused for a while, whatever it says."""
    kind = "throttled"


class Unauthenticated(EngineError):
    """A credential that no longer lets its holder in (an API token past its end)."""
    kind = "unauthenticated"


class Invalid(EngineError):
    """Input that breaks its form's rules; `errors` has one entry per field: {field, message}."""
    kind = "invalid"


class DeploymentError(EngineError):
    """A diagram or form that cannot be deployed; `errors` names each element at fault."""
    kind = "deployment"
