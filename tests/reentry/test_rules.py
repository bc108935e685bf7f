"""The re-entry rules, as tables: who may ask to be seen, and where a request can go next."""
from __future__ import annotations

from datetime import date

import pytest

from app.followup.models import FollowUpType
from app.reentry.models import RequestStatus
from app.reentry.service import Access, access_for, next_statuses

TODAY = date(2027, 3, 10)
SELF, LED = FollowUpType.SUPPORTED_SELF_MANAGEMENT, FollowUpType.CLINICIAN_LED


@pytest.mark.parametrize(
    ("follow_up_type", "open_access_until", "expected"),
    [
        (SELF, date(2027, 3, 11), Access.OPEN),
        (SELF, TODAY, Access.OPEN),  # the last day is still open
        (SELF, date(2027, 3, 9), Access.ENDED),
        (SELF, None, Access.ENDED),  # no period agreed: no promise of a reply
        (LED, date(2030, 1, 1), Access.CLINICIAN_LED),
        (LED, None, Access.CLINICIAN_LED),
        (None, None, Access.NO_PLAN),
    ],
)
def test_who_may_ask_to_be_seen(follow_up_type, open_access_until, expected):
    assert access_for(follow_up_type, open_access_until, TODAY) is expected


S = RequestStatus


@pytest.mark.hazard("HAZ-020")
@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (S.SENT, (S.SEEN, S.WILL_CALL, S.APPOINTMENT_BOOKED, S.CLOSED)),
        (S.SEEN, (S.WILL_CALL, S.APPOINTMENT_BOOKED, S.CLOSED)),
        (S.WILL_CALL, (S.APPOINTMENT_BOOKED, S.CLOSED)),
        (S.APPOINTMENT_BOOKED, (S.CLOSED,)),
        (S.CLOSED, ()),
    ],
)
def test_a_request_only_moves_forward_and_stays_closed(current, expected):
    assert next_statuses(current) == expected
