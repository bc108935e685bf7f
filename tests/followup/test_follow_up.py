"""The follow-up plan and surveillance schedule: nurses record them, patients read them."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.followup.models import FollowUpPlan, FollowUpType, SurveillanceTest
from app.models import AuditEvent, PatientProfile
from tests.helpers import sign_in_as

TODAY = date.today()
REVIEW = TODAY - timedelta(days=30)


def plan_data(profile_version=1, plan_version=0, **changes):
    data = {
        "action": "plan",
        "plan-follow_up_type": "supported_self_management",
        "plan-tumour_pathway": "breast",
        "plan-treatment_review_date-day": str(REVIEW.day),
        "plan-treatment_review_date-month": str(REVIEW.month),
        "plan-treatment_review_date-year": str(REVIEW.year),
        "plan-open_access_until-day": "1",
        "plan-open_access_until-month": "6",
        "plan-open_access_until-year": str(REVIEW.year + 4),
        "plan-plan_version": str(plan_version),
        "plan-profile_version": str(profile_version),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def surveillance_data(next_due=TODAY + timedelta(days=180), **changes):
    data = {
        "action": "test",
        "test-name": "Mammogram",
        "test-interval_months": "12",
        "test-next_due-day": str(next_due.day),
        "test-next_due-month": str(next_due.month),
        "test-next_due-year": str(next_due.year),
        "test-arranged_by": "The breast unit",
        "test-notes": "",
    }
    data.update(changes)
    return data


def url(actors, profile=None):
    return f"/nurse/patients/{profile or actors.profile_a}/follow-up"


def audits(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_nurse_records_the_plan_and_it_is_audited(app, nurse, actors):
    page = nurse.get(url(actors))
    assert page.status_code == 200 and "Follow-up plan" in page.get_data(as_text=True)
    assert audits(app, "followup.view")[0].patient_id == actors.profile_a

    response = nurse.post_form(url(actors), plan_data())
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.scalar(select(FollowUpPlan))
        assert plan.patient_id == actors.profile_a
        assert plan.follow_up_type is FollowUpType.SUPPORTED_SELF_MANAGEMENT
        assert plan.treatment_review_date == REVIEW and plan.open_access_until == date(REVIEW.year + 4, 6, 1)
        assert plan.updated_by_id == actors.nurse_a
    [event] = audits(app, "followup.plan_save")
    assert event.patient_id == actors.profile_a and event.detail["changed"]["follow_up_type"] == "supported_self_management"


def test_self_management_needs_an_open_access_date_and_keeps_what_was_typed(app, nurse, actors):
    response = nurse.post_form(url(actors), plan_data(**{
        "plan-open_access_until-day": "", "plan-open_access_until-month": "", "plan-open_access_until-year": "",
        "plan-treatment_review_date-day": "31", "plan-treatment_review_date-month": "2",
    }))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "Date must be a real date" in html
    assert "Enter the date open access ends, for supported self-management" in html
    assert 'value="31"' in html  # the impossible day stays, to be corrected
    with app.app_context():
        assert db.session.scalar(select(FollowUpPlan)) is None


def test_open_access_must_end_after_the_review(nurse, actors):
    html = nurse.post_form(url(actors), plan_data(**{"plan-open_access_until-year": str(REVIEW.year - 1)})).get_data(as_text=True)
    assert "Open access must end after the Treatment Review" in html


def test_a_plan_saved_meanwhile_is_a_conflict_not_an_overwrite(app, nurse, actors, new_client):
    assert nurse.post_form(url(actors), plan_data()).status_code == 302
    # A colleague opened the page before that save, with no plan yet (plan_version 0).
    colleague = new_client()
    sign_in_as(colleague, actors.nurse_a)
    response = colleague.post_form(url(actors), plan_data(plan_version=0, **{"plan-follow_up_type": "clinician_led"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Your changes have not been saved" in html and "changed the follow-up plan while you were editing" in html
    assert 'value="clinician_led" checked' in html  # what they chose is still on the page
    with app.app_context():
        assert db.session.scalar(select(FollowUpPlan)).follow_up_type is FollowUpType.SUPPORTED_SELF_MANAGEMENT
        plan_version = db.session.scalar(select(FollowUpPlan)).version
    # Saving again, now knowingly on top of the colleague's version, works.
    again = colleague.post_form(url(actors), plan_data(plan_version=plan_version, **{"plan-follow_up_type": "clinician_led"}))
    assert again.status_code == 302


def test_changing_the_pathway_uses_the_patient_records_lock(app, nurse, actors):
    response = nurse.post_form(url(actors), plan_data(**{"plan-tumour_pathway": "lung"}))
    assert response.status_code == 302
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        assert profile.tumour_pathway == "lung" and profile.version == 2
    assert audits(app, "patient.pathway_change")[0].detail == {"old": "breast", "new": "lung"}

    # Someone else's page still holds version 1 of the patient record.
    with app.app_context():
        plan_version = db.session.scalar(select(FollowUpPlan)).version
    stale = nurse.post_form(url(actors), plan_data(profile_version=1, plan_version=plan_version, **{"plan-tumour_pathway": "colorectal"}))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "changed this patient&#39;s details (including the tumour pathway)" in html
    assert "Lung" in html
    with app.app_context():
        assert db.session.get(PatientProfile, actors.profile_a).tumour_pathway == "lung"


def test_an_old_profile_version_does_not_matter_when_the_pathway_is_not_changed(app, nurse, actors):
    with app.app_context():
        db.session.get(PatientProfile, actors.profile_a).phone = "07700 900000"
        db.session.commit()
    assert nurse.post_form(url(actors), plan_data(profile_version=1)).status_code == 302


def test_nurse_adds_changes_stops_and_restarts_a_test(app, nurse, actors):
    assert nurse.post_form(url(actors), surveillance_data()).status_code == 302
    with app.app_context():
        test = db.session.scalar(select(SurveillanceTest))
        assert (test.name, test.interval_months, test.arranged_by, test.active) == ("Mammogram", 12, "The breast unit", True)
        test_id, version = test.id, test.version
    page = nurse.get(url(actors) + f"?test={test_id}").get_data(as_text=True)
    assert "Change Mammogram" in page and f'name="test-test_id" value="{test_id}"' in page

    changed = nurse.post_form(url(actors), surveillance_data(**{"test-test_id": str(test_id), "test-test_version": str(version), "test-interval_months": "24"}))
    assert changed.status_code == 302
    stale = nurse.post_form(url(actors), surveillance_data(**{"test-test_id": str(test_id), "test-test_version": str(version), "test-name": "Ultrasound"}))
    assert stale.status_code == 409 and "Someone else changed the Mammogram test" in stale.get_data(as_text=True)
    assert 'value="Ultrasound"' in stale.get_data(as_text=True)

    stop = nurse.post_form(url(actors), {"action": "stop_test", "test_id": str(test_id), "test_version": str(version + 1)})
    assert stop.status_code == 302
    with app.app_context():
        test = db.session.get(SurveillanceTest, test_id)
        assert test.interval_months == 24 and test.name == "Mammogram" and not test.active
    restart = nurse.post_form(url(actors), {"action": "restart_test", "test_id": str(test_id), "test_version": str(version + 2)})
    assert restart.status_code == 302
    assert [e.action for e in audits(app, "followup.test_add")] == ["followup.test_add"]
    assert len(audits(app, "followup.test_update")) == 1
    assert len(audits(app, "followup.test_stop")) == len(audits(app, "followup.test_restart")) == 1


def test_stopping_with_an_old_version_changes_nothing(app, nurse, actors):
    nurse.post_form(url(actors), surveillance_data())
    with app.app_context():
        test_id = db.session.scalar(select(SurveillanceTest.id))
    response = nurse.post_form(url(actors), {"action": "stop_test", "test_id": str(test_id), "test_version": "99"}, follow_redirects=True)
    assert "Someone else changed the Mammogram test a moment ago" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SurveillanceTest, test_id).active


def test_a_test_needs_a_name_interval_and_due_date_and_keeps_what_was_typed(app, nurse, actors):
    response = nurse.post_form(url(actors), surveillance_data(**{
        "test-name": "", "test-interval_months": "six", "test-next_due-day": "", "test-next_due-month": "",
        "test-next_due-year": "", "test-arranged_by": "GP <b>practice</b>",
    }))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter the name of the test" in html and "Enter the date the test is next due" in html
    assert "Enter how often the test is done, in months, as a whole number, like 6" in html
    assert "Not a valid integer" not in html and 'value="six"' in html
    assert "GP &lt;b&gt;practice&lt;/b&gt;" in html and "<b>practice" not in html
    with app.app_context():
        assert db.session.scalar(select(SurveillanceTest)) is None


def test_suggestions_come_from_the_pathway_content(nurse, actors):
    page = nurse.get(url(actors)).get_data(as_text=True)
    assert "Use Mammogram, every year" in page
    prefilled = nurse.get(url(actors) + "?suggest=0").get_data(as_text=True)
    assert 'name="test-name" type="text" value="Mammogram"' in prefilled or 'value="Mammogram"' in prefilled
    assert 'value="12"' in prefilled


def test_another_patients_test_cannot_be_changed_through_this_patient(app, nurse, actors):
    with app.app_context():
        other = SurveillanceTest(patient_id=actors.profile_a2, name="CT scan", interval_months=12, next_due=TODAY)
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    assert nurse.get(url(actors) + f"?test={other_id}").status_code == 404
    response = nurse.post_form(url(actors), {"action": "stop_test", "test_id": str(other_id), "test_version": "1"})
    assert response.status_code == 404
    response = nurse.post_form(url(actors), surveillance_data(**{"test-test_id": str(other_id), "test-test_version": "1"}))
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(SurveillanceTest, other_id).active
        assert db.session.get(SurveillanceTest, other_id).interval_months == 12
    assert len(audits(app, "followup.access_refused")) == 3


@pytest.mark.parametrize("path", ["follow-up", "treatment-summary", "treatment-summary/edit"])
def test_another_teams_patient_answers_404_and_is_audited(app, nurse, actors, path):
    address = f"/nurse/patients/{actors.profile_b}/{path}"
    assert nurse.get(address).status_code == 404
    response = nurse.post_form(address, {"action": "plan"})
    assert response.status_code in (404, 405)
    refused = audits(app, "patient.access_refused")
    assert refused and all(e.subject == f"patient:{actors.profile_b}" for e in refused)


def test_patient_sees_their_own_plan_in_plain_english(app, patient, actors):
    empty = patient.get("/my-care/follow-up").get_data(as_text=True)
    assert "has not recorded your follow-up plan yet" in empty
    with app.app_context():
        db.session.add_all([
            FollowUpPlan(patient_id=actors.profile_a, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                         open_access_until=date(2030, 3, 14), updated_by_id=actors.nurse_a),
            SurveillanceTest(patient_id=actors.profile_a, name="Mammogram", interval_months=12,
                             next_due=date(2031, 1, 9), arranged_by="The breast unit"),
            SurveillanceTest(patient_id=actors.profile_a2, name="Someone else's scan", interval_months=6, next_due=TODAY),
        ])
        db.session.commit()
    html = patient.get("/my-care/follow-up").get_data(as_text=True)
    assert "You look after your own follow-up" in html
    assert "You can contact your cancer team directly until 14 March 2030" in html
    assert "Mammogram" in html and "9 January 2031" in html and "Every year" in html and "The breast unit" in html
    assert "Someone else" not in html
    # What to do if worried: emergency and red flags for their pathway (breast), not a result-only flag.
    assert "Call 999" in html and "A new lump in your breast" in html
    home = patient.get("/my-care").get_data(as_text=True)
    assert "Your follow-up and tests" in home and "Next: Mammogram, due 9 January 2031" in home
    assert "Your treatment summary" not in home
    assert audits(app, "followup.view")[-1].patient_id == actors.profile_a


def test_the_nurse_patient_page_shows_the_follow_up_panel(app, nurse, actors):
    html = nurse.get(f"/nurse/patients/{actors.profile_a}").get_data(as_text=True)
    assert "Record the follow-up plan and tests" in html and "Write the End of Treatment Summary" in html
    nurse.post_form(url(actors), plan_data())
    nurse.post_form(url(actors), surveillance_data(next_due=date(TODAY.year + 1, 2, 3)))
    html = nurse.get(f"/nurse/patients/{actors.profile_a}").get_data(as_text=True)
    assert "Supported self-management" in html and f"Mammogram, 3 February {TODAY.year + 1}" in html


@pytest.mark.parametrize("who", ["nurse_a", "admin"])
def test_patient_pages_are_for_patients_only(client, actors, who):
    sign_in_as(client, getattr(actors, who))
    assert client.get("/my-care/follow-up").status_code == 404
    assert client.get("/my-care/treatment-summary").status_code == 404


@pytest.mark.parametrize(("typed", "message"), [
    ("0", "How often must be between 1 and 60 months"),
    ("61", "How often must be between 1 and 60 months"),
    ("6.5", "as a whole number, like 6"),
    ("٦", "as a whole number, like 6"),
])
def test_how_often_must_be_a_sensible_whole_number(app, nurse, actors, typed, message):
    html = nurse.post_form(url(actors), surveillance_data(**{"test-interval_months": typed})).get_data(as_text=True)
    assert message in html and f'value="{typed}"' in html
    with app.app_context():
        assert db.session.scalar(select(SurveillanceTest)) is None
