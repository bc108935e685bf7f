"""The symptom log's background work: the daily sweep (`flask symptoms sweep` by hand)."""
from __future__ import annotations

import logging

from ..background import london_time_of_day, periodic_task
from ..extensions import db

log = logging.getLogger(__name__)

# Early enough that a symptom which has become a red flag overnight is at the top of the queue
# when the team starts; the sweep is safe to repeat, so a missed morning loses nothing.
SWEEP_AT = london_time_of_day(6, 0)


@periodic_task(SWEEP_AT)
def daily_symptom_sweep() -> int:
    from .service import sweep

    risen = sweep()
    db.session.commit()
    log.info("Daily symptom sweep: %s raised to the team queues.", risen)
    return risen
