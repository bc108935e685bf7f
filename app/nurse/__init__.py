from flask import Blueprint

bp = Blueprint("nurse", __name__, url_prefix="/nurse")

from . import routes  # noqa: E402,F401
