"""Push: Web Push notifications to a person's phones, with their settings and quiet hours.

``kinds`` says what each notification says and opens (pure data), ``quiet_hours`` and
``endpoints`` are plain rules, ``service`` keeps subscriptions and settings and sends
(``deliver``, which the reminders call); ``routes`` are the settings page and the endpoints
static/js/push.js calls.
"""
from flask import Blueprint

bp = Blueprint("push", __name__)

from . import routes  # noqa: E402,F401
