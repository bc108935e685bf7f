"""Follow-up in the browser: a nurse on a desktop sets a surveillance schedule and writes an End
of Treatment Summary; the patient on a phone reads both and can print the summary cleanly.
axe-core checks every page, including the error states."""
from __future__ import annotations

from datetime import date, timedelta

from app.extensions import db
from app.followup import demo as followup_demo
from app.models import Role, Team, User
from app.timeutil import london_today
from tests.e2e.conftest import sign_in_browser
from tests.helpers import make_patient


def seed(app, with_follow_up: bool = False) -> dict:
    with app.app_context():
        team = Team(name="Urology Cancer Nurses", phone="020 7946 0123", out_of_hours_phone="020 7946 0999")
        nurse = User(role=Role.NURSE, display_name="Sam Taylor", email="sam.taylor@example.test", team=team)
        db.session.add_all([team, nurse])
        patient = make_patient(team, "David", "Hughes", nurse, tumour_pathway="prostate",
                               gp_practice_name="Riverside Medical Practice", gp_practice_phone="020 7946 0000")
        db.session.flush()
        if with_follow_up:
            followup_demo.seed(team, nurse)
        db.session.commit()
        return {"nurse": nurse.id, "patient_user": patient.user_id, "patient": patient.id}


def fill_date(page, field_id: str, value: date) -> None:
    page.locator(f"#{field_id}-day").fill(str(value.day))
    page.locator(f"#{field_id}-month").fill(str(value.month))
    page.locator(f"#{field_id}-year").fill(str(value.year))


def test_nurse_sets_a_schedule_and_writes_a_summary(live_server, open_page):
    ids = seed(live_server.app)
    nurse = open_page("desktop")
    page = nurse.page
    sign_in_browser(nurse, live_server, ids["nurse"])
    nurse.goto(f"/nurse/patients/{ids['patient']}")
    nurse.axe("patient page with the follow-up panel")

    page.get_by_role("link", name="Record the follow-up plan and tests").click()
    page.get_by_role("heading", name="Follow-up", exact=False).first.wait_for()
    nurse.axe("follow-up page")

    # Supported self-management without an end date for open access: a clear message.
    page.get_by_label("Supported self-management").check()
    review = london_today() - timedelta(days=14)
    fill_date(page, "plan-treatment_review_date", review)
    page.get_by_role("button", name="Save follow-up plan").click()
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert "Enter the date open access ends" in summary.inner_text()
    assert page.locator("#plan-treatment_review_date-day").input_value() == str(review.day)
    nurse.axe("follow-up plan with an error")

    fill_date(page, "plan-open_access_until", review.replace(year=review.year + 3))
    page.get_by_role("button", name="Save follow-up plan").click()
    page.get_by_text("Follow-up plan saved.").wait_for()
    nurse.axe("follow-up plan saved")

    # Adding a test has its own page, so nothing typed in the plan can be lost by it.
    page.get_by_role("button", name="Add a test").click()
    page.get_by_role("heading", name="Add a test").wait_for()
    nurse.axe("add a test")
    page.get_by_label("Notes for the patient (optional)").fill("Book it in the week before")
    # A suggestion fills the test in and keeps what was typed.
    page.get_by_role("button", name="Use PSA blood test, every 6 months").click()
    page.get_by_label("Test", exact=True).wait_for()
    assert page.get_by_label("Test", exact=True).input_value() == "PSA blood test"
    assert page.get_by_label("Notes for the patient (optional)").input_value() == "Book it in the week before"
    # A next due date in the past: refused, with everything typed kept, unless confirmed.
    past = date(2020, 9, 15)
    fill_date(page, "test-next_due", past)
    page.get_by_role("button", name="Add test").click()
    errors = page.locator(".nhsuk-error-summary")
    errors.wait_for()
    assert "Next due date must be today or in the future" in errors.inner_text()
    assert page.locator("#test-next_due-year").input_value() == "2020"
    assert page.get_by_label("Notes for the patient (optional)").input_value() == "Book it in the week before"
    nurse.axe("a next due date in the past")
    fill_date(page, "test-next_due", london_today() + timedelta(days=90))
    page.get_by_role("button", name="Add test").click()
    page.get_by_text("PSA blood test added to the schedule.").wait_for()
    assert "Every 6 months" in page.locator("table").inner_text()
    nurse.axe("schedule with a test")

    page.get_by_role("link", name="Back to David Hughes").click()
    page.get_by_role("link", name="Write the End of Treatment Summary").click()
    page.get_by_role("heading", name="End of Treatment Summary").wait_for()
    nurse.axe("no summary yet")
    page.get_by_role("button", name="Write the summary").click()
    page.get_by_label("Diagnosis", exact=True).wait_for()
    # Prefilled from the prostate pathway content and the schedule just set.
    assert "Blood in your pee" in page.get_by_label("Symptoms that mean contact the team the same day").input_value()
    # Emergencies come first in the form.
    names = page.locator("textarea").evaluate_all("boxes => boxes.map(b => b.name)")
    assert names.index("red_flags_emergency") < names.index("red_flags_contact_team")
    assert "PSA blood test" in page.get_by_label("Follow-up plan").input_value()
    nurse.axe("write the summary")

    page.get_by_label("Diagnosis", exact=True).fill("Prostate cancer, Gleason 3+4")
    fill_date(page, "diagnosis_date", date(2025, 1, 20))
    page.locator("#treatments-0-treatment").fill("Radiotherapy, 20 sessions")
    fill_date(page, "treatments-0-started", date(2025, 4, 7))
    fill_date(page, "treatments-0-ended", date(2025, 5, 2))
    page.locator("#treatments-0-intent").check()
    page.get_by_role("button", name="Add another treatment").click()
    page.locator("#treatments-1-treatment").wait_for()
    # Nothing typed was lost.
    assert page.get_by_label("Diagnosis", exact=True).input_value() == "Prostate cancer, Gleason 3+4"
    assert page.locator("#treatments-0-treatment").input_value() == "Radiotherapy, 20 sessions"
    assert page.locator("#treatments-0-intent").is_checked()
    nurse.axe("summary with a second treatment row")

    page.locator("#treatments-1-treatment").fill("Hormone therapy")
    page.get_by_role("button", name="Save summary").click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert "Enter the start date of treatment 2" in page.locator(".nhsuk-error-summary").inner_text()
    nurse.axe("summary with errors")

    fill_date(page, "treatments-1-started", date(2025, 2, 1))
    page.locator("#treatments-1-intent-2").check()
    page.get_by_label("Actions for the GP").fill("Cancer Care Review")
    page.get_by_role("button", name="Save summary").click()
    page.get_by_text("End of Treatment Summary saved (version 1)").wait_for()
    body = page.locator("main").inner_text()
    assert "Hormone therapy" in body and "to control the cancer" in body and "Cancer Care Review" in body
    nurse.axe("the saved summary")


def test_patient_on_a_phone_reads_the_follow_up_and_prints_the_summary(live_server, open_page):
    ids = seed(live_server.app, with_follow_up=True)
    patient = open_page("phone")
    page = patient.page
    sign_in_browser(patient, live_server, ids["patient_user"])
    patient.goto("/my-care")
    assert "Next: PSA blood test, due" in page.locator("main").inner_text()
    patient.axe("home with follow-up cards")

    page.get_by_role("link", name="Your follow-up and tests").click()
    page.get_by_role("heading", name="Your follow-up", exact=True).wait_for()
    text = page.locator("main").inner_text()
    assert "You look after your own follow-up" in text and "You can contact your cancer team directly until" in text
    assert "Every 6 months" in text and "Blood in your pee" in text
    assert text.index("Call 999") < text.index("Contact your cancer team the same day")
    patient.axe("patient follow-up")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

    page.get_by_role("link", name="Back to your care").click()
    page.get_by_role("link", name="Your treatment summary").click()
    page.get_by_role("heading", name="Your treatment summary").wait_for()
    # The print button appears once JavaScript can make it work, and opens the print dialogue.
    print_button = page.get_by_role("button", name="Print your summary")
    print_button.wait_for(state="visible")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1 } }")
    print_button.click()
    assert page.evaluate("() => window.printed") == 1
    # Emergencies first, as an emergency care card; the team's numbers can be tapped.
    text = page.locator("main").inner_text()
    assert text.index("Call 999 or your 24-hour line") < text.index("Contact your cancer team the same day")
    assert page.locator(".app-eots .nhsuk-card--care--emergency").count() == 1
    contacts = page.locator(".app-eots a[href='tel:02079460123']")
    assert contacts.count() >= 1 and contacts.first.inner_text() == "020 7946 0123"
    # The 24-hour line: in the emergency box itself, and under "Who to contact".
    assert page.locator(".app-eots .nhsuk-card--care--emergency a[href='tel:02079460999']").count() == 1
    assert page.locator(".app-eots a[href='tel:02079460999']").count() == 2
    patient.axe("patient treatment summary")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

    page.emulate_media(media="print")
    assert page.locator(".nhsuk-header").is_hidden() and page.locator(".nhsuk-footer").is_hidden()
    assert page.locator(".nhsuk-back-link").is_hidden()
    assert page.get_by_role("button", name="Print your summary").is_hidden()
    assert page.locator(".app-print-only").is_visible()
    assert page.get_by_text("External beam radiotherapy, 20 sessions").is_visible()


def test_admin_keeps_the_services_directory(live_server, open_page):
    from app.directory import demo as directory_demo

    with live_server.app.app_context():
        team = Team(name="Urology Cancer Nurses")
        admin_user = User(role=Role.ADMIN, display_name="Jo Admin", email="jo.admin@example.test", team=team)
        db.session.add_all([team, admin_user])
        db.session.flush()
        directory_demo.seed(team)
        db.session.commit()
        admin_id = admin_user.id
    admin = open_page("desktop")
    page = admin.page
    sign_in_browser(admin, live_server, admin_id)
    admin.goto("/admin/")
    page.get_by_role("link", name="Services directory").click()
    page.get_by_role("heading", name="Services directory").wait_for()
    assert "Macmillan Support Line" in page.locator("main").inner_text()
    admin.axe("services directory")

    page.get_by_label("Category").select_option(label="Exercise")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**category=exercise**")
    assert "Move More Riverside" in page.locator("main").inner_text()
    assert "Macmillan Support Line" not in page.locator("main").inner_text()
    admin.axe("services directory, filtered")

    page.get_by_role("button", name="Add a service").click()
    page.get_by_role("heading", name="Add a service").wait_for()
    admin.axe("add a service")
    page.get_by_label("Name").fill("Riverside Lymphoedema Clinic")
    page.get_by_role("button", name="Add service").click()
    page.locator(".nhsuk-error-summary").wait_for()
    errors = page.locator(".nhsuk-error-summary").inner_text()
    assert "Choose a category" in errors and "Enter at least one way to contact the service" in errors
    assert page.get_by_label("Name").input_value() == "Riverside Lymphoedema Clinic"
    admin.axe("add a service with errors")
    page.get_by_label("Rehabilitation").check()
    page.get_by_label("Physical").check()
    page.get_by_label("Who it is for").select_option(label="Patients of Urology Cancer Nurses")
    page.get_by_label("Phone number").fill("020 7946 0970")
    page.get_by_role("button", name="Add service").click()
    page.get_by_text("‘Riverside Lymphoedema Clinic’ added to the directory.").wait_for()

    page.get_by_role("link", name="Riverside Lymphoedema Clinic").click()
    page.get_by_role("heading", name="Riverside Lymphoedema Clinic").wait_for()
    admin.axe("change a service")
    page.get_by_role("button", name="Stop offering it").click()
    page.get_by_text("is no longer offered in the directory").wait_for()
    assert page.get_by_role("link", name="Riverside Lymphoedema Clinic").count() == 0


def test_add_another_treatment_works_without_javascript(live_server, open_page):
    ids = seed(live_server.app)
    nurse = open_page("desktop", java_script_enabled=False)
    page = nurse.page
    sign_in_browser(nurse, live_server, ids["nurse"])
    nurse.goto(f"/nurse/patients/{ids['patient']}/treatment-summary/edit")
    page.locator("#treatments-0-treatment").fill("Surgery")
    page.get_by_role("button", name="Add another treatment").click()
    page.locator("#treatments-1-treatment").wait_for()
    assert page.locator("#treatments-0-treatment").input_value() == "Surgery"
    assert page.url.endswith("#treatments-end")
