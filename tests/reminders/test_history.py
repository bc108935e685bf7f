"""What the team is told about each reminder (reminders.service.outcome_words, about_words)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.reminders import service
from app.reminders.models import ReminderClaim

NOW = datetime(2026, 10, 25, 7, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("state, words", [
    ({"outcome": "sent"}, "Sent"),
    ({"outcome": "off"}, "Not sent: they turned these off"),
    ({"outcome": "no_devices"}, "Not sent: no phone set up for notifications"),
    ({"outcome": "unconfirmed"}, "May not have arrived (interrupted while sending)"),
    ({"sending_at": NOW}, "Sending"),
    ({"lease_until": NOW + timedelta(hours=1)}, "Waiting for quiet hours to end"),
    ({"lease_until": NOW - timedelta(minutes=1)}, "Waiting to send"),
])
def test_each_state_in_words(state, words):
    claim = ReminderClaim(**{"outcome": None, "sending_at": None, "lease_until": NOW, **state})
    assert service.outcome_words(claim, NOW) == words


@pytest.mark.parametrize("about, words", [
    ("test_due_6w", "Test due in 6 weeks"),
    ("no_result", "No result 3 weeks after a sample"),
    ("reentry_will_call", "Request to be seen updated"),
    ("reentry_closed", "Request to be seen updated"),
])
def test_what_each_was_about_in_words(about, words):
    assert service.about_words(about) == words
