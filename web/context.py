"""Where a request finds the engine and the person making it."""
from __future__ import annotations

from flask import current_app, g
from flask_login import current_user

from engine import Actor, Engine


def engine() -> Engine:
    return current_app.extensions["engine"]


def actor() -> Actor:
    """The API's token holder, else the logged-in user of the pages."""
    if getattr(g, "api_actor", None) is not None:
        return g.api_actor
    return current_user.actor
