"""When a person is told their team will see what they sent: the queue's own deadline, in words
that never promise a time the rules cannot keep (HAZ-012), for urgent symptoms above all (HAZ-001)."""
from __future__ import annotations

from datetime import datetime

import pytest

from app.hna.reply_time import when_team_sees_it
from app.timeutil import LONDON
from app.triage.working_days import response_deadline


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.mark.hazard("HAZ-012")
@pytest.mark.hazard("HAZ-001")
@pytest.mark.parametrize(("sent", "target", "now", "words"), [
    # Monday 7 December 2026, before the 3pm cut-off: the same working day.
    (london(2026, 12, 7, 10, 0), 0, None, "Your care team will see it the same working day, by 5pm today."),
    (london(2026, 12, 7, 14, 59), 0, None, "Your care team will see it the same working day, by 5pm today."),
    # At or after the cut-off: the next working day, and the reason is given.
    (london(2026, 12, 7, 15, 0), 0, None, "Your care team sees these the same working day when they arrive on a working day before 3pm. This was sent after 3pm, so they will see it by 5pm tomorrow."),
    (london(2026, 12, 7, 16, 17), 0, None, "Your care team sees these the same working day when they arrive on a working day before 3pm. This was sent after 3pm, so they will see it by 5pm tomorrow."),
    # Friday after the cut-off: Monday.
    (london(2026, 12, 11, 16, 17), 0, None, "Your care team sees these the same working day when they arrive on a working day before 3pm. This was sent after 3pm, so they will see it by 5pm on Monday 14 December."),
    # Saturday: Monday.
    (london(2026, 12, 12, 9, 0), 0, None, "Your care team sees these the same working day when they arrive on a working day before 3pm. This was sent on a weekend or bank holiday, so they will see it by 5pm on Monday 14 December."),
    # Christmas Day (a bank holiday, then a weekend and the Boxing Day holiday on Monday 28th).
    (london(2026, 12, 25, 10, 0), 0, None, "Your care team sees these the same working day when they arrive on a working day before 3pm. This was sent on a weekend or bank holiday, so they will see it by 5pm on Tuesday 29 December."),
    # Read the next morning, the same deadline is "today".
    (london(2026, 12, 7, 16, 17), 0, london(2026, 12, 8, 8, 0), "Your care team sees these the same working day when they arrive on a working day before 3pm. This was sent after 3pm, so they will see it by 5pm today."),
    # Other targets in working days.
    (london(2026, 12, 7, 10, 0), 2, None, "Your care team aims to contact you by 5pm on Wednesday 9 December."),
    (london(2026, 12, 24, 16, 0), 2, None, "Your care team aims to contact you by 5pm on Thursday 31 December."),
])
def test_when_the_team_sees_it(sent, target, now, words):
    due = response_deadline(sent, target)
    assert when_team_sees_it(sent, due, target, now or sent) == words
