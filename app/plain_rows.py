"""The one way to read plain rows (named tuples of columns, no ORM objects) for a page.

`db.session.execute` of a statement naming mapped columns sends it through the ORM's execution
and result machinery (the ORM's execution context, its loading of each row) even when it selects
only columns: about half of a small read's Python calls, for rows that come out the same. Here
the statement goes through the session's connection (its transaction, as every other statement
of the request), after the session's autoflush, so pending changes are seen as a session query
would see them. For statements built once with bound parameters (issue 12).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Executable, Result

from .extensions import db


def read_rows(statement: Executable, values: Mapping[str, Any] | None = None) -> Result:
    """The statement's rows as Core gives them: iterate, or `.all()`, `.first()`, `.one()`."""
    session = db.session()
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, values)
