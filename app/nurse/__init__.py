from flask import Blueprint, url_for

bp = Blueprint("nurse", __name__, url_prefix="/nurse")


def href_prefix(endpoint: str, id_argument: str) -> str:
    """The address of `endpoint` but the record's id at its end, which each row's id completes:
    one url_for per page rather than one per row of a list (a url_for with values is a Werkzeug
    build each time; the id's int converter prints it as its digits)."""
    return url_for(endpoint, **{id_argument: 0})[:-1]


# An id no record has, to find where a route puts the id (`href_around`).
_MARKER_ID = 918_273_645_546_372_819


def href_around(endpoint: str, id_argument: str) -> tuple[str, str]:
    """The address of `endpoint` before and after the record's id, for a route with more after
    it (`href_prefix`'s reason): a row's address is the first, its id, the second."""
    before, _, after = url_for(endpoint, **{id_argument: _MARKER_ID}).partition(str(_MARKER_ID))
    return before, after


from . import queue_routes, routes, team_filters  # noqa: E402,F401
