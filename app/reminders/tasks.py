"""Reminders' background work: a periodic check for what is due, and one task per send."""
from __future__ import annotations

import logging
from datetime import datetime

from .. import timeutil
from ..background import after_commit, every_minutes, periodic_task, task
from . import service

log = logging.getLogger(__name__)

# Reminders about a date go at 09:00 London time: a check every quarter of an hour sends them
# by 09:15. News (a reply, a request's change) does not wait for it: see notify_after_commit.
FIND_EVERY_MINUTES = 15


@periodic_task(every_minutes(FIND_EVERY_MINUTES))
def find_due_reminders() -> int:
    handed_on = service.find_due(timeutil.utcnow(), lambda reminder: send_reminder(reminder.user_id, reminder.key))
    log.info("Reminders due: %s queued to send.", handed_on)
    return handed_on


@task()
def send_reminder(user_id: int, key: str) -> str:
    return service.send(user_id, key, timeutil.utcnow(), _send_later)


def _send_later(user_id: int, key: str, when: datetime) -> None:
    send_reminder.schedule((user_id, key), eta=when)


def notify_after_commit(user_id: int, key: str) -> None:
    """Send the reminder with this key (a reply from the team, a request's new status) as soon
    as the change that calls for it is committed. If this process stops first, the periodic
    check finds it: the record, not this call, is what says a reminder is due."""
    after_commit(send_reminder, user_id, key)
