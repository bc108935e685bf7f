"""Personalised Care and Support Plans: written by the key worker with the person, versioned."""
from flask import Blueprint

bp = Blueprint("careplan", __name__)

from . import routes  # noqa: E402,F401
