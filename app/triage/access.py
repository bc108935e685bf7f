"""Queue items a member of staff may reach: their own team's, or 404 (audited), like `app.authz`."""
from __future__ import annotations

from flask_login import current_user

from ..authz import refuse
from ..extensions import db
from .models import QueueItem


def queue_item_for_staff(item_id: int) -> QueueItem:
    """An item of the signed-in member of staff's own team, or 404 (audited)."""
    item = db.session.get(QueueItem, item_id)
    if (
        item is None
        or not current_user.is_staff
        or current_user.team_id is None
        or item.team_id != current_user.team_id
    ):
        refuse("queue.access_refused", subject=f"queue-item:{item_id}")
    return item
