"""Messages: a thread about one re-entry request or one queue item; the nurse replies in the
app and the patient answers. Not a chat: read by the team in working hours only."""
from flask import Blueprint

bp = Blueprint("messages", __name__)

from . import routes  # noqa: E402,F401
