"""A nurse turns a high-distress HNA into a care plan with the patient; the patient then reads it
on their phone. axe-core checks every page on the way, error state included."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from app.careplan.models import CarePlan
from app.extensions import db
from app.models import PatientProfile
from app.timeutil import utcnow
from app.triage.models import ItemStatus, Outcome, QueueItem
from tests.careplan.helpers import make_service, submit_hna
from tests.e2e.conftest import sign_in_browser


def test_nurse_writes_a_care_plan_from_a_high_distress_hna_and_the_patient_sees_it(app, live_server, open_page, actors):
    with app.app_context():
        patient = db.session.get(PatientProfile, actors.profile_a)
        submit_hna(patient, distress=3, scores={"worry_fear_anxiety": 4}, top=[],
                   submitted_at=utcnow() - timedelta(days=120))
        submit_hna(patient, distress=8, scores={"worry_fear_anxiety": 9, "passing_urine": 5}, top=["worry_fear_anxiety"])
        make_service("Hospital psychology service", actors.team_a, domains=("emotional",), phone="020 7946 0123")

    # The nurse, at her desk, starts from her team's queue: the new HNA is waiting there.
    nurse = open_page("desktop")
    page = nurse.page
    sign_in_browser(nurse, live_server, actors.nurse_a)
    nurse.goto("/nurse/queue")
    nurse.axe("the team's queue")
    page.get_by_role("link", name="Ann Able").first.click()
    nurse.axe("the queue item")
    page.get_by_role("link", name="Read the needs assessment").click()
    expect(page.get_by_role("heading", name="Compared with previous assessments")).to_be_visible()
    expect(page.get_by_text("Distress went up by 5")).to_be_visible()
    nurse.axe("the HNA with its comparison")

    page.get_by_role("button", name="Write a care plan from this assessment").click()
    expect(page.get_by_role("heading", name="Write a care plan")).to_be_visible()
    expect(page.get_by_label("The concern you discussed")).to_have_value("Worry, fear or anxiety")
    nurse.axe("the care plan editor")

    # Saving without saying what was agreed: a clear message, nothing lost.
    page.get_by_label("What will happen").fill("Referral to the psychology service today.")
    page.get_by_role("button", name="Save care plan").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("What will happen")).to_have_value("Referral to the psychology service today.")
    nurse.axe("the care plan editor with a mistake")

    page.get_by_role("link", name="Enter what you agreed about ‘Worry, fear or anxiety’").click()
    page.get_by_label("What you agreed").fill("Ann would like to talk to someone about her fear of the cancer coming back.")
    page.get_by_label("Referral", exact=True).check()
    page.get_by_label("Service", exact=True).select_option(label="Suggested: Hospital psychology service (Psychological support)")
    # A high-distress HNA is an ordinary queue item: the plan answers it, unless she unticks it.
    expect(page.get_by_label("Also mark the queue item as done (care plan agreed)")).to_be_checked()
    page.get_by_role("button", name="Save care plan").click()
    expect(page.get_by_text("Care plan saved. The queue item is marked as done.")).to_be_visible()
    expect(page.get_by_text("Version 1")).to_be_visible()
    nurse.axe("the care plan")
    page.get_by_text("Preview what Ann will see").click()
    expect(page.locator("#patient-preview").get_by_text("Ann would like to talk to someone")).to_be_visible()
    nurse.axe("the care plan with the patient's preview open")

    page.get_by_role("link", name="Version 1 of the plan").click()
    nurse.axe("one version of the care plan")
    page.get_by_role("link", name="Back to the care plan").click()
    page.get_by_role("link", name="Back to Ann Able").click()
    expect(page.get_by_role("heading", name="Care and support plan")).to_be_visible()
    nurse.axe("the patient's record with the plan")

    with app.app_context():
        plan = db.session.query(CarePlan).one()
        # Writing the plan closed the HNA's queue item.
        item = db.session.scalar(select(QueueItem).where(QueueItem.source_key == f"hna:{plan.hna_id}"))
        assert item.status is ItemStatus.RESOLVED and item.outcome is Outcome.CARE_PLAN_AGREED

    # The patient, later, on her phone.
    ann = open_page("phone")
    phone = ann.page
    sign_in_browser(ann, live_server, actors.patient_a)
    ann.goto("/my-care")
    ann.axe("the patient's home with the plan card")
    phone.get_by_role("link", name="View your plan").click()
    expect(phone.get_by_role("heading", name="Your care and support plan")).to_be_visible()
    expect(phone.get_by_text("This is your first plan.")).to_be_visible()
    expect(phone.get_by_text("Ann would like to talk to someone")).to_be_visible()
    expect(phone.get_by_text("We have referred you to")).to_be_visible()
    expect(phone.get_by_role("link", name="020 7946 0123")).to_have_attribute("href", "tel:02079460123")
    ann.axe("the patient's care plan")


def test_back_after_saving_a_plan_that_first_had_an_error_shows_the_editor_not_a_resubmission(app, live_server, open_page, actors):
    """The error page answered a form post; going back to it must load the editor again, not ask
    the browser's "Confirm Form Resubmission" (or post the plan a second time)."""
    nurse = open_page("desktop")
    page = nurse.page
    sign_in_browser(nurse, live_server, actors.nurse_a)
    nurse.goto(f"/nurse/patients/{actors.profile_a}/care-plan/edit")
    page.get_by_label("The concern you discussed").fill("Tiredness")
    page.get_by_role("button", name="Save care plan").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    page.get_by_label("What you agreed").fill("Ann will try a short walk each day.")
    page.get_by_role("button", name="Save care plan").click()
    expect(page.get_by_text("Version 1")).to_be_visible()

    methods = []
    page.on("request", lambda request: methods.append(request.method))
    page.go_back()
    # The editor again, loaded with GET: now for the plan that was saved.
    expect(page.get_by_role("heading", name="Update the care plan")).to_be_visible()
    assert page.url.endswith(f"/nurse/patients/{actors.profile_a}/care-plan/edit")
    assert "POST" not in methods
    nurse.assert_clean()
    with app.app_context():
        assert len(db.session.query(CarePlan).all()) == 1
