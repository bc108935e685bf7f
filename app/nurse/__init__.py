from flask import Blueprint, url_for

bp = Blueprint("nurse", __name__, url_prefix="/nurse")


def href_prefix(endpoint: str, id_argument: str) -> str:
    """The address of `endpoint` but the record's id at its end, which each row's id completes:
    one url_for per page rather than one per row of a list (a url_for with values is a Werkzeug
    build each time; the id's int converter prints it as its digits)."""
    return url_for(endpoint, **{id_argument: 0})[:-1]


from . import queue_routes, routes  # noqa: E402,F401
