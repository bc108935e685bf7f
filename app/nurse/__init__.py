from flask import Blueprint

bp = Blueprint("nurse", __name__, url_prefix="/nurse")

from . import queue_routes, routes  # noqa: E402,F401
