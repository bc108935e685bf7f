"""Whether this instance can serve people: it can read its database."""
from __future__ import annotations

from sqlalchemy import select

from ..models import User
from ..plain_rows import read_rows

# Built once and read as plain rows (app/plain_rows.py): building the statement and the ORM's
# execution of it were most of /healthz's Python calls, on every check a load balancer makes.
_ONE_USER_ID = select(User.id).limit(1)


def read_one_row() -> None:
    """Raises whatever the database raises. A real table, not `SELECT 1`: SQLite answers that
    without opening the file, so a corrupt database would still look healthy. One row keeps the
    check cheap."""
    read_rows(_ONE_USER_ID).all()
