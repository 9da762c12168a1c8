"""Where the app's own log lines go when gunicorn serves it: gunicorn's error log, named by their logger."""
from __future__ import annotations

import copy
import logging


class _ToGunicorn(logging.Handler):
    """The app's own log lines (unhandled errors, the audit of accounts), written by gunicorn's handlers, so they
    land where its lines do (--error-logfile or stderr, reopened on USR1), named by the logger that wrote them."""

    def __init__(self, target: logging.Logger):
        super().__init__()
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        named = copy.copy(record)
        named.msg, named.args = f"{record.name}: {record.getMessage()}", None
        if not self.target.isEnabledFor(named.levelno):  # gunicorn's --log-level holds for the app's lines too
            return
        for handler in self.target.handlers:
            if named.levelno >= handler.level:
                handler.handle(named)


def init_app(app) -> None:
    """Under gunicorn (its error logger has handlers), once per process. Unconfigured, the audit's INFO lines
    were dropped and tracebacks missed gunicorn's log file."""
    gunicorn = logging.getLogger("gunicorn.error")
    root = logging.getLogger()
    if not gunicorn.handlers or any(isinstance(h, _ToGunicorn) for h in root.handlers):
        return
    root.addHandler(_ToGunicorn(gunicorn))
    root.setLevel(logging.INFO)
    for noisy in ("spiff", "alembic"):  # a line per task state change; a line per plugin at start
        logging.getLogger(noisy).setLevel(logging.WARNING)
