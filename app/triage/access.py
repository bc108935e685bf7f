"""Queue items a member of staff may reach: their own team's, or 404 (audited), like `app.authz`."""
from __future__ import annotations

from functools import cache

from sqlalchemy.orm import joinedload

from ..authz import team_record_for_staff
from ..extensions import db
from .models import QueueItem


def queue_item_for_staff(item_id: int) -> QueueItem:
    """An item of the signed-in member of staff's own team, whose patient is in that team now,
    or 404 (audited). The patient is read with the item (one statement): the check reads them
    both, and every page and action on an item shows the patient."""
    return team_record_for_staff(
        db.session.get(QueueItem, item_id, options=_with_the_patient()),
        "queue.access_refused", f"queue-item:{item_id}",
    )


@cache
def _with_the_patient() -> tuple:
    """The load option, made once per process rather than on every item page and action (a
    joinedload is built through several layers of SQLAlchemy's option machinery)."""
    return (joinedload(QueueItem.patient),)
