"""Open-access re-entry: a self-managed person asks their team to see them, and follows the
request from sent to closed; the team works it from its queue."""
from flask import Blueprint

bp = Blueprint("reentry", __name__)

from . import routes  # noqa: E402,F401
