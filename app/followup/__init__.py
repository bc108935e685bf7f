"""Follow-up: the pathway agreed at the Treatment Review, surveillance, End of Treatment Summaries."""
from flask import Blueprint

bp = Blueprint("followup", __name__)

from . import routes  # noqa: E402,F401
