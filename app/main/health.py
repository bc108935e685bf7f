"""Whether this instance can serve people: it can read its database."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import User


def read_one_row() -> None:
    """Raises whatever the database raises. A real table, not `SELECT 1`: SQLite answers that
    without opening the file, so a corrupt database would still look healthy. One row keeps the
    check cheap."""
    db.session.execute(select(User.id).limit(1)).all()
