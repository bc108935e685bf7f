"""Holistic Needs Assessment: the patient's journey, offline sync, and what the team receives."""
from flask import Blueprint

bp = Blueprint("hna", __name__)

from . import question_page, routes  # noqa: E402,F401
