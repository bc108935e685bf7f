"""Results in the browser: the patient on a phone sees the PSA chart and its table; the nurse
records a result that is outside the safe range, sees the red flag and clears the review, and
reads the monitoring list. axe-core checks every page."""
from __future__ import annotations

from app.extensions import db
from app.followup import demo as followup_demo
from app.models import Role, Team, User
from app.results import demo as results_demo
from app.timeutil import london_today
from tests.e2e.conftest import sign_in_browser
from tests.e2e.test_followup import fill_date
from tests.helpers import make_patient


def seed(app) -> dict:
    with app.app_context():
        team = Team(name="Urology Cancer Nurses", phone="020 7946 0123", out_of_hours_phone="020 7946 0999")
        nurse = User(role=Role.NURSE, display_name="Sam Taylor", email="sam.taylor@example.test", team=team)
        db.session.add_all([team, nurse])
        patient = make_patient(team, "David", "Hughes", nurse, tumour_pathway="prostate")
        db.session.flush()
        followup_demo.seed(team, nurse)
        db.session.flush()
        results_demo.seed(team, nurse)
        db.session.commit()
        return {"nurse": nurse.id, "patient_user": patient.user_id, "patient": patient.id}


def test_the_patient_sees_the_psa_chart_and_its_table(live_server, open_page):
    ids = seed(live_server.app)
    phone = open_page("phone")
    sign_in_browser(phone, live_server, ids["patient_user"])
    phone.goto("/my-care/results")
    page = phone.page
    chart = page.get_by_role("img", name="PSA blood test results from", exact=False)
    chart.wait_for()
    assert chart.locator("circle").count() == 4
    rows = page.locator("table tbody tr")
    assert rows.count() == 4 and "1.4 ng/mL" in rows.first.inner_text()
    assert "Your team is looking at your latest result" in page.locator("main").inner_text()
    # The chart fits the phone's width (it scales with its viewBox, no horizontal scrolling).
    assert chart.bounding_box()["width"] <= page.viewport_size["width"]
    phone.axe("patient results with a chart")
    phone.assert_clean()


def test_the_nurse_records_a_high_result_and_clears_the_review(live_server, open_page):
    ids = seed(live_server.app)
    nurse = open_page("desktop")
    page = nurse.page
    sign_in_browser(nurse, live_server, ids["nurse"])
    nurse.goto("/nurse/monitoring")
    page.get_by_role("link", name="David Hughes").click()
    page.get_by_role("heading", name="Results").wait_for()
    nurse.axe("nurse results page with a result to review")

    page.get_by_role("link", name="Record a result").first.click()
    page.get_by_label("Test").select_option(label="PSA blood test")
    page.get_by_label("Result", exact=True).fill("4,5")
    page.get_by_label("Unit").fill("ng/mL")
    today = london_today()
    fill_date(page, "result-taken_on", today)
    fill_date(page, "result-resulted_on", today)
    page.get_by_role("button", name="Record result").click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert page.get_by_label("Result", exact=True).input_value() == "4,5"
    nurse.axe("record a result with an error")

    page.get_by_label("Result", exact=True).fill("4.5")
    page.get_by_role("button", name="Record result").click()
    # The flash, not the page's hidden "new version" notice (also a notification banner).
    banner = page.locator(".nhsuk-notification-banner").filter(has_text="outside David's safe range")
    banner.wait_for()

    page.get_by_role("button", name="Mark as reviewed").click()
    page.get_by_text("Review cleared for David Hughes: 2 results.").wait_for()
    assert page.get_by_text("Needs review").count() == 0
    nurse.assert_clean()
