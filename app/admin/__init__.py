from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import routes, services  # noqa: E402,F401
