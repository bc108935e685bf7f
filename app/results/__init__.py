"""Results and remote monitoring: surveillance test results, each person's safe range, the
"needs review" flag, and what the patient sees of their results."""
from flask import Blueprint

bp = Blueprint("results", __name__)

from . import routes  # noqa: E402,F401
