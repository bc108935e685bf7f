"""Asking to be seen, on a phone: a self-managed patient sends a request, a nurse moves it from
sent to closed with a message each way, and the patient sees each status. Every page passes axe."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.followup.models import FollowUpPlan, FollowUpType
from app.models import PatientProfile
from app.timeutil import london_today
from tests.e2e.conftest import sign_in_browser


@pytest.mark.hazard("HAZ-020")
def test_a_request_goes_from_sent_to_closed_with_a_message_each_way(app, live_server, open_page, actors):
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        profile.team.out_of_hours_phone, profile.team.out_of_hours_name = "020 7946 0999", "Acute oncology line"
        db.session.add(FollowUpPlan(patient_id=profile.id, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                                    treatment_review_date=date(2026, 6, 1), open_access_until=date(2031, 6, 1),
                                    updated_by_id=actors.nurse_a))
        db.session.commit()

    phone = open_page("phone")
    sign_in_browser(phone, live_server, actors.patient_a)
    patient = phone.page
    phone.goto("/my-care/ask-to-be-seen")
    phone.axe("ask to be seen")
    patient.get_by_label("What is worrying you?").fill("A new ache in my lower back for two weeks")
    patient.get_by_label("A phone call").check()
    patient.get_by_label("Phone number to call you on").fill("07700 900123")
    patient.get_by_label("Mornings", exact=False).check()
    patient.get_by_role("button", name="Send").click()
    patient.wait_for_url(re.compile(r".*/my-care/requests/\d+\?sent=1$"))
    status_url = patient.url.split("?")[0]
    assert "Your team will contact you by" in patient.locator("main").inner_text()
    assert "Sent to your team" in patient.locator("main").inner_text()
    assert patient.locator('a[href="tel:999"]').count() >= 1
    phone.axe("request sent")

    desk = open_page("desktop")
    sign_in_browser(desk, live_server, actors.nurse_a)
    nurse = desk.page
    desk.goto("/nurse/queue")
    nurse.get_by_role("link", name=re.compile("Ann Able")).first.click()
    nurse.get_by_role("link", name=re.compile("Open the re-entry request")).click()
    request_url = nurse.url
    desk.axe("the nurse's re-entry request")

    def step(label: str, **fields) -> None:
        desk.goto(request_url.replace(live_server.url, ""))
        nurse.get_by_label(label, exact=False).check()
        for name, value in fields.items():
            nurse.get_by_label(name, exact=False).fill(value)
        nurse.get_by_role("button", name="Save").click()
        nurse.wait_for_url(request_url)

    def patient_sees(words: str) -> None:
        phone.goto(status_url.replace(live_server.url, ""))
        assert words in patient.locator("main").inner_text()

    step("I have read it")
    patient_sees("Seen by Nurse A")

    # The nurse replies in the app from the queue item; the patient answers.
    desk.goto("/nurse/queue")
    nurse.get_by_role("link", name=re.compile("Ann Able")).first.click()
    nurse.get_by_role("button", name="Reply to the patient in the app").click()
    nurse.get_by_label("Your message").fill("Is the pain there all the time?")
    nurse.get_by_role("button", name="Send").click()
    nurse.wait_for_load_state()
    desk.axe("the nurse's messages")

    phone.goto("/my-care/messages")
    assert "1 new" in patient.locator("main").inner_text()
    phone.axe("patient's messages")
    patient.get_by_role("link", name="Your request to be seen").click()
    assert "Is the pain there all the time?" in patient.locator("main").inner_text()
    assert "working hours only" in patient.locator("main").inner_text()
    phone.axe("a conversation")
    patient.get_by_label("Your message").fill("Mostly at night")
    # Sent through the phone's outbox (static/js/form-outbox.js), which then opens the thread again.
    with patient.expect_navigation():
        patient.get_by_role("button", name="Send").click()
    assert "Mostly at night" in patient.locator("main").inner_text()

    step("A nurse will call the patient")
    patient_sees("A nurse will call you")
    day = london_today() + timedelta(days=7)
    desk.goto(request_url.replace(live_server.url, ""))
    nurse.get_by_label("An appointment is booked").check()
    nurse.get_by_label("Day").fill(str(day.day))
    nurse.get_by_label("Month").fill(str(day.month))
    nurse.get_by_label("Year").fill(str(day.year))
    nurse.get_by_label("Appointment time", exact=False).fill("10:15")
    nurse.get_by_label("Where").fill("Oncology outpatients, level 2")
    nurse.get_by_role("button", name="Save").click()
    nurse.wait_for_url(request_url)
    patient_sees("Oncology outpatients, level 2")
    desk.goto(request_url.replace(live_server.url, ""))
    nurse.get_by_label("Close the request with an outcome").check()
    nurse.get_by_label("Advice given").check()
    nurse.get_by_label("Note (optional)").fill("Examined: muscular pain")
    nurse.get_by_role("button", name="Save").click()
    nurse.wait_for_url(request_url)
    patient_sees("A nurse gave you advice")
    patient_sees("Examined: muscular pain")
    phone.axe("a closed request")
