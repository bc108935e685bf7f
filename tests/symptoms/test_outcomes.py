"""What the person is told after logging a red flag: the team sees it today only when it can,
by the queue's own working-day rules (the 15:00 cut-off, weekends, bank holidays)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.extensions import db
from app.models import PatientProfile
from app.symptoms.rules import Level
from app.symptoms.service import outcome_for
from tests.helpers import page

from .helpers import log


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


# December: London is on GMT, so these UTC times are the clock times the person sees.
@pytest.mark.hazard("HAZ-015")
@pytest.mark.parametrize("sent, seen_today, words", [
    (utc(2026, 12, 7, 9, 0), True, "the same working day, by 5pm today"),
    (utc(2026, 12, 7, 14, 59), True, "the same working day, by 5pm today"),
    (utc(2026, 12, 7, 15, 0), False, "after 3pm, so they will see it by 5pm tomorrow"),
    (utc(2026, 12, 7, 22, 30), False, "after 3pm, so they will see it by 5pm tomorrow"),
    (utc(2026, 12, 11, 15, 1), False, "by 5pm on Monday 14 December"),
    (utc(2026, 12, 12, 10, 0), False, "on a weekend or bank holiday, so they will see it by 5pm on Monday 14 December"),
    # Christmas Day and Boxing Day (a Saturday, so Monday 28th is its bank holiday).
    (utc(2026, 12, 24, 16, 0), False, "by 5pm on Tuesday 29 December"),
    # British Summer Time: 13:59 UTC is 14:59 in London, before the cut-off; 14:00 UTC is 15:00.
    (utc(2027, 6, 7, 13, 59), True, "by 5pm today"),
    (utc(2027, 6, 7, 14, 0), False, "by 5pm tomorrow"),
])
def test_a_red_flag_says_today_only_when_the_team_sees_it_today(app, actors, sent, seen_today, words):
    with app.app_context():
        outcome = outcome_for(db.session.get(PatientProfile, actors.profile_a), Level.RED_FLAG, sent)
    assert outcome.seen_today is seen_today
    assert words in outcome.seen


@pytest.mark.hazard("HAZ-015")
def test_a_red_flag_after_the_cut_off_says_when_and_to_use_the_24_hour_line_meanwhile(app, actors, patient, clock):
    with app.app_context():
        team = db.session.get(PatientProfile, actors.profile_a).team
        team.phone, team.out_of_hours_phone = "020 7946 0000", "020 7946 0999"
        db.session.commit()
    clock(utc(2026, 12, 7, 15, 30))
    response = log(patient, symptom="new_lump", severity="moderate")
    shown = page(patient.get(response.headers["Location"]))
    assert "Contact your care team today" not in shown and "Call your care team today" not in shown
    assert "they will see it by 5pm tomorrow" in shown
    assert "Until then, if you need help, call your 24-hour line" in shown and "020 7946 0999" in shown


@pytest.mark.parametrize("level, advice_from", [
    (Level.EMERGENCY, "emergency_advice"),
    (Level.WATCH, "watch_advice"),
])
def test_emergencies_and_watch_symptoms_get_their_pathways_advice(app, actors, level, advice_from):
    from app.symptoms import rules

    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        outcome = outcome_for(profile, level, utc(2026, 12, 7, 10, 0))
        assert outcome.advice == getattr(rules.rules_content(profile.tumour_pathway), advice_from)
        assert outcome.seen is None
