"""Symptoms: the person's symptom log and the rules that say how urgent each entry is.

``rules`` is the plain engine (no Flask, no database) over the versioned pathway content;
``service`` keeps the log and sends emergencies and red flags to the team's queue.
"""
from flask import Blueprint

bp = Blueprint("symptoms", __name__)

from . import routes, tasks  # noqa: E402,F401
