"""Quiet hours are London wall-clock times, across both clock changes."""
from datetime import datetime, time, timezone

import pytest

from app.push.quiet_hours import is_quiet, quiet_until

UTC = timezone.utc
NINE_PM, EIGHT_AM = time(21, 0), time(8, 0)


@pytest.mark.parametrize("local, start, end, quiet", [
    (time(20, 59), NINE_PM, EIGHT_AM, False),
    (time(21, 0), NINE_PM, EIGHT_AM, True),
    (time(23, 59), NINE_PM, EIGHT_AM, True),
    (time(0, 0), NINE_PM, EIGHT_AM, True),
    (time(7, 59), NINE_PM, EIGHT_AM, True),
    (time(8, 0), NINE_PM, EIGHT_AM, False),
    (time(12, 0), NINE_PM, EIGHT_AM, False),
    # Quiet hours within one day (a night worker's sleep).
    (time(9, 0), time(9, 0), time(17, 0), True),
    (time(16, 59), time(9, 0), time(17, 0), True),
    (time(17, 0), time(9, 0), time(17, 0), False),
    (time(8, 59), time(9, 0), time(17, 0), False),
    # Start equal to end: no quiet hours at all.
    (time(3, 0), time(0, 0), time(0, 0), False),
    (time(22, 0), NINE_PM, NINE_PM, False),
])
def test_is_quiet(local, start, end, quiet):
    assert is_quiet(local, start, end) is quiet


@pytest.mark.parametrize("now, until", [
    # Winter (GMT = UTC): 10pm is quiet until 8am tomorrow.
    (datetime(2026, 1, 14, 22, 0, tzinfo=UTC), datetime(2026, 1, 15, 8, 0, tzinfo=UTC)),
    (datetime(2026, 1, 15, 7, 59, tzinfo=UTC), datetime(2026, 1, 15, 8, 0, tzinfo=UTC)),
    (datetime(2026, 1, 15, 8, 0, tzinfo=UTC), None),
    (datetime(2026, 1, 15, 20, 59, tzinfo=UTC), None),
    # Summer (BST = UTC+1): 8:30pm UTC is 9:30pm in London: quiet until 8am BST = 7am UTC.
    (datetime(2026, 7, 1, 20, 30, tzinfo=UTC), datetime(2026, 7, 2, 7, 0, tzinfo=UTC)),
    (datetime(2026, 7, 1, 19, 59, tzinfo=UTC), None),
    (datetime(2026, 7, 2, 7, 0, tzinfo=UTC), None),
    # March: clocks go forward at 1am GMT on Sunday 29 March 2026; the night of the 28th began
    # at 9pm GMT and ends at 8am BST, which is 7am UTC.
    (datetime(2026, 3, 28, 21, 0, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
    (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
    (datetime(2026, 3, 29, 7, 0, tzinfo=UTC), None),
    # October: clocks go back at 2am BST on Sunday 25 October 2026; the night began at 9pm BST
    # (8pm UTC) and ends at 8am GMT, which is 8am UTC: an hour longer in UTC.
    (datetime(2026, 10, 24, 20, 0, tzinfo=UTC), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
    (datetime(2026, 10, 24, 19, 59, tzinfo=UTC), None),
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
    (datetime(2026, 10, 25, 7, 59, tzinfo=UTC), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
])
def test_quiet_until_across_the_clock_changes(now, until):
    assert quiet_until(now, NINE_PM, EIGHT_AM) == until


def test_quiet_hours_ending_in_the_hour_skipped_in_march_end_just_after_the_jump():
    # 1:30am does not exist in London on 29 March 2026: the quiet hours end at 2:30am BST.
    assert quiet_until(datetime(2026, 3, 29, 0, 10, tzinfo=UTC), time(23, 0), time(1, 30)) == \
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
