"""The queue's background work: overdue care plan reviews (`flask queue raise-due-reviews` by hand).

A review is overdue from midnight London time after its review date. Checked every quarter hour
rather than once at midnight: huey does not catch up a periodic run the consumer missed (a
restart at 00:00 would lose a whole day), so the item is on the queue by 00:15 the day the
review becomes overdue, and a restart costs at most a quarter hour. This used to run on every
view of the queue page (a query, sometimes writes, per nurse per page); the page only reads now.
"""
from __future__ import annotations

import logging

from .. import timeutil
from ..background import every_minutes, periodic_task

log = logging.getLogger(__name__)

REVIEWS_EVERY_MINUTES = 15


@periodic_task(every_minutes(REVIEWS_EVERY_MINUTES))
def raise_due_care_plan_reviews() -> int:
    from .service import TeamsFailed, raise_due_reviews_for_every_team

    run = raise_due_reviews_for_every_team(timeutil.london_today())
    raised = sum(count for _team, count in run.raised)
    log.info("Overdue care plan reviews: %s raised to the team queues.", raised)
    if run.failed:
        # The other teams' items are committed; the run still fails, so that it records no
        # heartbeat (app/background.py): a consumer failing for some team every time shows late.
        raise TeamsFailed(f"{len(run.failed)} team(s) failed and wait for the next run")
    return raised
