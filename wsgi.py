"""Entry point for gunicorn and the flask CLI: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
import copy
import logging

from web import create_app


class _ToGunicorn(logging.Handler):
    """The app's own log lines (unhandled errors, the audit of accounts), written by gunicorn's handlers, so they
    land where its lines do (--error-logfile or stderr, reopened on USR1), named by the logger that wrote them."""

    def __init__(self, target: logging.Logger):
        super().__init__()
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        named = copy.copy(record)
        named.msg, named.args = f"{record.name}: {record.getMessage()}", None
        for handler in self.target.handlers:
            if named.levelno >= handler.level:
                handler.handle(named)


_gunicorn = logging.getLogger("gunicorn.error")
if _gunicorn.handlers:  # unconfigured, the audit's INFO lines were dropped and tracebacks missed the log file
    logging.getLogger().addHandler(_ToGunicorn(_gunicorn))
    logging.getLogger().setLevel(logging.INFO)
    for noisy in ("spiff", "alembic"):  # a line per task state change; a line per plugin at start
        logging.getLogger(noisy).setLevel(logging.WARNING)

app = create_app()
