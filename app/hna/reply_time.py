"""What a person is told about when their care team will see what they sent: always the time
the queue's rules give it (`triage.working_days.response_deadline`), in plain words, with the
reason when it is later than the target's name suggests. Plain functions, no Flask."""
from __future__ import annotations

from datetime import datetime

from ..timeutil import LONDON, clock_time
from ..triage.working_days import WorkingHours, day_words, is_working_day


TEAM_HOURS = WorkingHours()


def when_team_sees_it(received: datetime, due: datetime, target_working_days: int, now: datetime,
                      hours: WorkingHours = TEAM_HOURS) -> str:
    """One sentence: by when the team will see (and aim to reply to) something `received` then,
    whose deadline under the rules is `due`. A same-working-day target (0) that cannot be kept
    today says why, so "same working day" never reads as a promise for a time it cannot mean."""
    by = f"by {clock_time(due)} {day_words(due, now)}"
    if target_working_days > 0:
        return f"Your care team aims to contact you {by}."
    local = received.astimezone(LONDON)
    cutoff = clock_time(datetime.combine(local.date(), hours.cutoff, tzinfo=LONDON))
    if is_working_day(local.date()) and local.time() < hours.cutoff:
        return f"Your care team will see it the same working day, {by}."
    why = f"after {cutoff}" if is_working_day(local.date()) else "on a weekend or bank holiday"
    return (f"Your care team sees these the same working day when they arrive on a working day before "
            f"{cutoff}. This was sent {why}, so they will see it {by}.")
