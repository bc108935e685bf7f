"""The symptom log on a phone: a self-managed patient logs a red flag, is told what to do, and
the nurse finds it at the top of the team's queue. Every page passes axe."""
from __future__ import annotations

from datetime import date

import pytest

from app.extensions import db
from app.followup.models import FollowUpPlan, FollowUpType
from app.models import PatientProfile
from tests.e2e.conftest import sign_in_browser
from tests.triage.helpers import item
from app.triage.queue import ItemKind


@pytest.mark.hazard("HAZ-015")
def test_a_self_managed_patient_logs_a_red_flag_and_the_nurse_sees_it_at_the_top(app, live_server, open_page, actors):
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        profile.team.phone = "020 7946 0000"
        db.session.add(FollowUpPlan(patient_id=profile.id, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                                    treatment_review_date=date(2026, 6, 1), open_access_until=date(2031, 6, 1),
                                    updated_by_id=actors.nurse_a))
        item(actors.profile_a2, ItemKind.HNA_NEW, reason="Needs assessment: distress 2 out of 10")
        db.session.commit()

    tab = open_page("phone")
    sign_in_browser(tab, live_server, actors.patient_a)
    page = tab.page
    tab.goto("/my-care/symptoms")
    tab.axe("symptom log")
    page.get_by_role("button", name="Log a symptom").click()
    page.wait_for_url("**/my-care/symptoms/new")
    tab.axe("log a symptom")
    page.get_by_label("A new lump in your breast", exact=False).check()
    page.get_by_label("Moderate", exact=False).check()
    today = date.today()
    page.get_by_label("Day").fill(str(today.day))
    page.get_by_label("Month").fill(str(today.month))
    page.get_by_label("Year").fill(str(today.year))
    page.locator("input[name=new_or_worse][value=yes]").check()
    page.get_by_label("Anything else you want your team to know").fill("Found it this morning")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/my-care/symptoms/*")
    heading = page.locator("h1").inner_text()
    assert heading.startswith("Contact your care team")
    assert page.locator('a[href="tel:999"]').count() >= 1
    tab.axe("what to do about a red flag")

    nurse_tab = open_page("desktop")
    sign_in_browser(nurse_tab, live_server, actors.nurse_a)
    nurse_tab.goto("/nurse/queue")
    first_row = nurse_tab.page.locator("tbody tr").first
    assert "Red flag" in first_row.inner_text() and "Ann Able" in first_row.inner_text()
    nurse_tab.axe("team queue with the red flag at the top")
