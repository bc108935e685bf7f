"""The follow-up plan and surveillance schedule: nurses record them, patients read them."""
from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.followup.models import FollowUpPlan, FollowUpType, SurveillanceTest
from app.followup.schedule import add_months
from app.models import AuditEvent, PatientProfile
from app.timeutil import london_today
from tests.helpers import sign_in_as

# 11:30pm UTC on 15 June 2030 is already 16 June in London (BST); the server's date is neither.
LATE_EVENING = datetime(2030, 6, 15, 23, 30, tzinfo=timezone.utc)
LONDON_DAY = date(2030, 6, 16)


def review_date() -> date:
    return london_today() - timedelta(days=30)


def plan_data(profile_version=1, plan_version=0, **changes):
    review = review_date()
    data = {
        "action": "plan",
        "plan-follow_up_type": "supported_self_management",
        "plan-tumour_pathway": "breast",
        "plan-treatment_review_date-day": str(review.day),
        "plan-treatment_review_date-month": str(review.month),
        "plan-treatment_review_date-year": str(review.year),
        "plan-open_access_until-day": "1",
        "plan-open_access_until-month": "6",
        "plan-open_access_until-year": str(review.year + 4),
        "plan-plan_version": str(plan_version),
        "plan-profile_version": str(profile_version),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def surveillance_data(next_due=None, **changes):
    next_due = next_due or london_today() + timedelta(days=180)
    data = {
        "action": "test",
        "test-name": "Mammogram",
        "test-interval_months": "12",
        "test-next_due-day": str(next_due.day),
        "test-next_due-month": str(next_due.month),
        "test-next_due-year": str(next_due.year),
        "test-arranged_by": "The breast unit",
        "test-notes": "",
        "test-add_token": secrets.token_urlsafe(16),  # as each rendered "Add a test" form carries
    }
    data.update(changes)
    return data


def add_token(page_html: str) -> str:
    return re.search(r'name="test-add_token" value="([^"]+)"', page_html).group(1)


def url(actors, profile=None):
    return f"/nurse/patients/{profile or actors.profile_a}/follow-up"


def test_url(actors, profile=None):
    """The page for adding or changing a test (its own page, so the plan form is never lost)."""
    return url(actors, profile) + "/test"


test_url.__test__ = False  # a helper, not a test


def audits(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_nurse_records_the_plan_and_it_is_audited(app, nurse, actors):
    page = nurse.get(url(actors))
    assert page.status_code == 200 and "Follow-up plan" in page.get_data(as_text=True)
    assert audits(app, "followup.view")[0].patient_id == actors.profile_a

    response = nurse.post_form(url(actors), plan_data())
    assert response.status_code == 303
    with app.app_context():
        plan = db.session.scalar(select(FollowUpPlan))
        assert plan.patient_id == actors.profile_a
        assert plan.follow_up_type is FollowUpType.SUPPORTED_SELF_MANAGEMENT
        assert plan.treatment_review_date == review_date() and plan.open_access_until == date(review_date().year + 4, 6, 1)
        assert plan.updated_by_id == actors.nurse_a
    [event] = audits(app, "followup.plan_save")
    assert event.patient_id == actors.profile_a
    assert event.detail == {"changed": ["follow_up_type", "open_access_until", "treatment_review_date"]}


def test_self_management_needs_an_open_access_date_and_keeps_what_was_typed(app, nurse, actors):
    response = nurse.post_form(url(actors), plan_data(**{
        "plan-open_access_until-day": "", "plan-open_access_until-month": "", "plan-open_access_until-year": "",
        "plan-treatment_review_date-day": "31", "plan-treatment_review_date-month": "2",
    }))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "Treatment Review date must be a real date" in html
    assert "Enter the date open access ends, for supported self-management" in html
    assert 'value="31"' in html  # the impossible day stays, to be corrected
    with app.app_context():
        assert db.session.scalar(select(FollowUpPlan)) is None


def test_open_access_must_end_after_the_review(nurse, actors):
    html = nurse.post_form(url(actors), plan_data(**{"plan-open_access_until-year": str(review_date().year - 1)})).get_data(as_text=True)
    assert "Open access must end after the Treatment Review" in html


def test_a_plan_saved_meanwhile_is_a_conflict_not_an_overwrite(app, nurse, actors, new_client):
    assert nurse.post_form(url(actors), plan_data()).status_code == 303
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
    assert again.status_code == 303


def test_her_own_plan_save_sent_twice_is_saved_not_a_conflict(app, nurse, actors):
    data = plan_data(**{"plan-tumour_pathway": "lung"})
    assert nurse.post_form(url(actors), data).status_code == 303
    retry = nurse.post_form(url(actors), data, follow_redirects=True)
    assert retry.status_code == 200 and "Follow-up plan saved." in retry.get_data(as_text=True)
    assert "changed the follow-up plan while you were editing" not in retry.get_data(as_text=True)
    assert len(audits(app, "followup.plan_save")) == len(audits(app, "patient.pathway_change")) == 1
    # The same plan saved by a colleague meanwhile is still a conflict.
    with app.app_context():  # (as if someone else had saved version 1; the version is not moved on)
        db.session.execute(FollowUpPlan.__table__.update().values(updated_by_id=actors.admin))
        db.session.commit()
    assert nurse.post_form(url(actors), data).status_code == 409


def test_changing_the_pathway_uses_the_patient_records_lock(app, nurse, actors):
    response = nurse.post_form(url(actors), plan_data(**{"plan-tumour_pathway": "lung"}))
    assert response.status_code == 303
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
    assert nurse.post_form(url(actors), plan_data(profile_version=1, **{"plan-follow_up_type": "clinician_led"})).status_code == 303
    with app.app_context():
        plan = db.session.scalar(select(FollowUpPlan))
        assert plan.patient_id == actors.profile_a and plan.follow_up_type is FollowUpType.CLINICIAN_LED
        assert db.session.get(PatientProfile, actors.profile_a).tumour_pathway == "breast"


def test_nurse_adds_changes_stops_and_restarts_a_test(app, nurse, actors):
    assert nurse.post_form(test_url(actors), surveillance_data()).status_code == 303
    with app.app_context():
        test = db.session.scalar(select(SurveillanceTest))
        assert (test.name, test.interval_months, test.arranged_by, test.active) == ("Mammogram", 12, "The breast unit", True)
        test_id, version = test.id, test.version
    page = nurse.get(test_url(actors) + f"?test={test_id}").get_data(as_text=True)
    assert "Change Mammogram" in page and f'name="test-test_id" value="{test_id}"' in page

    changed = nurse.post_form(test_url(actors), surveillance_data(**{"test-test_id": str(test_id), "test-test_version": str(version), "test-interval_months": "24"}))
    assert changed.status_code == 303
    stale = nurse.post_form(test_url(actors), surveillance_data(**{"test-test_id": str(test_id), "test-test_version": str(version), "test-name": "Ultrasound"}))
    assert stale.status_code == 409 and "Nurse A changed the Mammogram test" in stale.get_data(as_text=True)
    assert 'value="Ultrasound"' in stale.get_data(as_text=True)

    stop = nurse.post_form(url(actors), {"action": "stop_test", "test_id": str(test_id), "test_version": str(version + 1)})
    assert stop.status_code == 303
    with app.app_context():
        test = db.session.get(SurveillanceTest, test_id)
        assert test.interval_months == 24 and test.name == "Mammogram" and not test.active
    restart = nurse.post_form(url(actors), {"action": "restart_test", "test_id": str(test_id), "test_version": str(version + 2)})
    assert restart.status_code == 303
    assert [e.action for e in audits(app, "followup.test_add")] == ["followup.test_add"]
    assert len(audits(app, "followup.test_update")) == 1
    assert len(audits(app, "followup.test_stop")) == len(audits(app, "followup.test_restart")) == 1


def test_stopping_with_an_old_version_changes_nothing(app, nurse, actors):
    nurse.post_form(test_url(actors), surveillance_data())
    with app.app_context():
        test_id = db.session.scalar(select(SurveillanceTest.id))
    response = nurse.post_form(url(actors), {"action": "stop_test", "test_id": str(test_id), "test_version": "99"}, follow_redirects=True)
    assert "Someone else changed the Mammogram test a moment ago" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SurveillanceTest, test_id).active


def test_a_test_needs_a_name_interval_and_due_date_and_keeps_what_was_typed(app, nurse, actors):
    response = nurse.post_form(test_url(actors), surveillance_data(**{
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


def test_suggestions_come_from_the_pathway_content(nurse, actors, today):
    page = nurse.get(test_url(actors)).get_data(as_text=True)
    assert "Use Mammogram, every year" in page
    prefilled = nurse.get(test_url(actors) + "?suggest=0").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="test-name"[^>]*value="Mammogram"', prefilled)
    assert re.search(r'<input[^>]*name="test-interval_months"[^>]*value="12"', prefilled)
    due = add_months(today, 12)  # no plan yet, so a year from today
    assert re.search(rf'<input[^>]*name="test-next_due-year"[^>]*value="{due.year}"', prefilled)
    assert re.search(rf'<input[^>]*name="test-next_due-day"[^>]*value="{due.day}"', prefilled)


def test_another_patients_test_cannot_be_changed_through_this_patient(app, nurse, actors, today):
    with app.app_context():
        other = SurveillanceTest(patient_id=actors.profile_a2, name="CT scan", interval_months=12, next_due=today)
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    assert nurse.get(test_url(actors) + f"?test={other_id}").status_code == 404
    response = nurse.post_form(url(actors), {"action": "stop_test", "test_id": str(other_id), "test_version": "1"})
    assert response.status_code == 404
    response = nurse.post_form(test_url(actors), surveillance_data(**{"test-test_id": str(other_id), "test-test_version": "1"}))
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(SurveillanceTest, other_id).active
        assert db.session.get(SurveillanceTest, other_id).interval_months == 12
    assert len(audits(app, "followup.access_refused")) == 3


@pytest.mark.parametrize(("path", "post_status"), [
    ("follow-up", 404),
    ("treatment-summary", 405),  # a page that is only ever read: POST is not a method it has
    ("treatment-summary/edit", 404),
])
def test_another_teams_patient_answers_404_and_is_audited(app, nurse, actors, path, post_status):
    address = f"/nurse/patients/{actors.profile_b}/{path}"
    assert nurse.get(address).status_code == 404
    response = nurse.post_form(address, {"action": "plan"})
    assert response.status_code == post_status
    refused = audits(app, "patient.access_refused")
    assert len(refused) == (2 if post_status == 404 else 1)  # a 405 never reaches the page
    assert all(e.subject == f"patient:{actors.profile_b}" and e.outcome == "refused" for e in refused)


def test_patient_sees_their_own_plan_in_plain_english(app, patient, actors, today):
    empty = patient.get("/my-care/follow-up").get_data(as_text=True)
    assert "has not recorded your follow-up plan yet" in empty
    with app.app_context():
        db.session.add_all([
            FollowUpPlan(patient_id=actors.profile_a, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                         open_access_until=date(2030, 3, 14), updated_by_id=actors.nurse_a),
            SurveillanceTest(patient_id=actors.profile_a, name="Mammogram", interval_months=12,
                             next_due=date(2031, 1, 9), arranged_by="The breast unit"),
            SurveillanceTest(patient_id=actors.profile_a2, name="Someone else's scan", interval_months=6, next_due=today),
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
    assert "Your treatment summary" not in home and "overdue" not in home
    assert audits(app, "followup.view")[-1].patient_id == actors.profile_a


def test_the_page_is_made_from_its_kept_shape_with_the_persons_values_put_in(app, patient, actors, monkeypatch):
    """Rendered once per shape and kept (app/followup/patient_page.py, the components' memo): a
    second view renders the page's macro no more, as long as every personal value it is given is
    shown whole; another test's values go into the same shape."""
    module = app.jinja_env.get_template("followup/_patient_page.html").module
    rendered = []
    monkeypatch.setattr(module, "follow_up_page", lambda page, _macro=module.follow_up_page:
                        rendered.append(page) or _macro(page))
    with app.app_context():
        db.session.add_all([
            FollowUpPlan(patient_id=actors.profile_a, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                         open_access_until=date(2030, 3, 14), updated_by_id=actors.nurse_a),
            SurveillanceTest(patient_id=actors.profile_a, name="Mammogram", interval_months=12,
                             next_due=date(2031, 1, 9), arranged_by="The breast unit", notes="Bring <your> letter"),
        ])
        db.session.commit()
    patient.get("/my-care/follow-up")
    rendered_before = len(rendered)
    with app.app_context():
        test = db.session.scalar(select(SurveillanceTest).where(SurveillanceTest.patient_id == actors.profile_a))
        test.name, test.notes = "Breast MRI & scan", "Another <note>"
        db.session.commit()
    html = patient.get("/my-care/follow-up").get_data(as_text=True)
    assert len(rendered) == rendered_before
    assert "Breast MRI &amp; scan" in html and "Another &lt;note&gt;" in html
    assert "Mammogram" not in html and "your&gt; letter" not in html


def test_the_emergency_box_gives_the_24_hour_line_and_home_says_when_a_test_is_overdue(app, patient, actors, today):
    with app.app_context():
        team = db.session.get(PatientProfile, actors.profile_a).team
        team.out_of_hours_name, team.out_of_hours_phone = "Acute oncology 24-hour line", "020 7946 0999"
        db.session.add_all([
            FollowUpPlan(patient_id=actors.profile_a, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                         open_access_until=date(2030, 3, 14), updated_by_id=actors.nurse_a),
            SurveillanceTest(patient_id=actors.profile_a, name="Mammogram", interval_months=12,
                             next_due=today - timedelta(days=3)),
        ])
        db.session.commit()
    html = patient.get("/my-care/follow-up").get_data(as_text=True)
    emergency = html[html.index("Immediate action required"):html.index("Urgent advice")]
    assert 'Acute oncology 24-hour line: <a href="tel:02079460999" class="app-tel">020 7946 0999</a>' in emergency
    home = patient.get("/my-care").get_data(as_text=True)
    assert "Next: Mammogram, due" in home and "(overdue – contact your team)" in home


def test_the_nurse_patient_page_shows_the_follow_up_panel(app, nurse, actors, today):
    html = nurse.get(f"/nurse/patients/{actors.profile_a}").get_data(as_text=True)
    assert "Record the follow-up plan and tests" in html and "Write the End of Treatment Summary" in html
    nurse.post_form(url(actors), plan_data())
    nurse.post_form(test_url(actors), surveillance_data(next_due=date(today.year + 1, 2, 3)))
    html = nurse.get(f"/nurse/patients/{actors.profile_a}").get_data(as_text=True)
    assert "Supported self-management" in html and f"Mammogram, 3 February {today.year + 1}" in html


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
    html = nurse.post_form(test_url(actors), surveillance_data(**{"test-interval_months": typed})).get_data(as_text=True)
    assert message in html and f'value="{typed}"' in html
    with app.app_context():
        assert db.session.scalar(select(SurveillanceTest)) is None


# ---------------------------------------------------------------- the same add or stop sent twice


def test_adding_the_same_test_twice_stores_it_once(app, nurse, actors):
    token = add_token(nurse.get(test_url(actors)).get_data(as_text=True))
    data = surveillance_data(**{"test-add_token": token})
    first = nurse.post_form(test_url(actors), data)
    retry = nurse.post_form(test_url(actors), data, follow_redirects=True)  # a double click, or the browser retrying
    assert first.status_code == 303 and retry.status_code == 200
    assert "Mammogram added to the schedule." in retry.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(SurveillanceTest.id))) == 1
    assert len(audits(app, "followup.test_add")) == 1
    # A fresh form adds a second test when the nurse means to.
    fresh = add_token(nurse.get(test_url(actors)).get_data(as_text=True))
    assert fresh != token
    assert nurse.post_form(test_url(actors), surveillance_data(**{"test-add_token": fresh, "test-name": "Ultrasound"})).status_code == 303
    with app.app_context():
        assert sorted(db.session.scalars(select(SurveillanceTest.name))) == ["Mammogram", "Ultrasound"]


def test_a_used_form_sent_with_a_different_test_is_not_added_silently(app, nurse, actors):
    data = surveillance_data()
    assert nurse.post_form(test_url(actors), data).status_code == 303
    # Back a page, change the test, send again: a clear message, what was typed kept, a new form.
    again = nurse.post_form(test_url(actors), {**data, "test-name": "Chest X-ray"})
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and "This form was already used to add a test" in html
    assert 'value="Chest X-ray"' in html and add_token(html) != data["test-add_token"]
    with app.app_context():
        assert list(db.session.scalars(select(SurveillanceTest.name))) == ["Mammogram"]
    assert nurse.post_form(test_url(actors), {**data, "test-name": "Chest X-ray", "test-add_token": add_token(html)}).status_code == 303


def test_an_add_without_its_form_token_is_shown_again_not_stored(app, nurse, actors):
    response = nurse.post_form(test_url(actors), surveillance_data(**{"test-add_token": ""}))
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "This page was out of date" in html and 'value="Mammogram"' in html
    with app.app_context():
        assert db.session.scalar(select(SurveillanceTest)) is None


def test_a_change_sent_twice_is_saved_not_a_conflict(app, nurse, actors):
    nurse.post_form(test_url(actors), surveillance_data())
    with app.app_context():
        test = db.session.scalar(select(SurveillanceTest))
        test_id, version = test.id, test.version
    change = surveillance_data(**{"test-test_id": str(test_id), "test-test_version": str(version), "test-interval_months": "24"})
    assert nurse.post_form(test_url(actors), change).status_code == 303
    retry = nurse.post_form(test_url(actors), change, follow_redirects=True)
    assert retry.status_code == 200 and "Mammogram updated in the schedule." in retry.get_data(as_text=True)
    assert len(audits(app, "followup.test_update")) == 1


def test_stop_clicked_twice_stops_once_without_blaming_a_colleague(app, nurse, actors):
    nurse.post_form(test_url(actors), surveillance_data())
    with app.app_context():
        test_id = db.session.scalar(select(SurveillanceTest.id))
    stop = {"action": "stop_test", "test_id": str(test_id), "test_version": "1"}
    assert nurse.post_form(url(actors), stop).status_code == 303
    twice = nurse.post_form(url(actors), stop, follow_redirects=True).get_data(as_text=True)
    assert "Mammogram stopped." in twice and "Someone else" not in twice
    assert len(audits(app, "followup.test_stop")) == 1
    with app.app_context():
        assert not db.session.get(SurveillanceTest, test_id).active



@pytest.mark.hazard("HAZ-005")
def test_a_colleague_stopping_the_test_meanwhile_is_said_not_passed_off_as_her_click(app, nurse, actors, new_client):
    from app.models import Role, User

    nurse.post_form(test_url(actors), surveillance_data())
    with app.app_context():
        test_id = db.session.scalar(select(SurveillanceTest.id))
        colleague = User(role=Role.NURSE, display_name="Nurse C", email="nurse.c@example.test", team_id=actors.team_a)
        db.session.add(colleague)
        db.session.commit()
        colleague_id = colleague.id
    other = new_client()
    sign_in_as(other, colleague_id)
    stop = {"action": "stop_test", "test_id": str(test_id), "test_version": "1"}
    assert other.post_form(url(actors), stop).status_code == 303
    hers = nurse.post_form(url(actors), stop, follow_redirects=True).get_data(as_text=True)
    assert "Someone else changed the Mammogram test a moment ago, so nothing was changed" in hers
    assert "Mammogram stopped." not in hers
    assert [e.actor_id for e in audits(app, "followup.test_stop")] == [colleague_id]


# ---------------------------------------------------------------- no free text in the audit log


def test_adding_and_changing_a_test_audits_field_names_not_what_was_typed(app, nurse, actors):
    nurse.post_form(test_url(actors), surveillance_data(**{"test-name": "Scan at St Elsewhere", "test-notes": "Bring your letter"}))
    with app.app_context():
        test = db.session.scalar(select(SurveillanceTest))
        test_id, version = test.id, test.version
    nurse.post_form(test_url(actors), surveillance_data(**{
        "test-test_id": str(test_id), "test-test_version": str(version), "test-name": "Scan at Riverside",
        "test-notes": "Bring your letter", "test-interval_months": "6",
    }))
    [added] = audits(app, "followup.test_add")
    [updated] = audits(app, "followup.test_update")
    assert added.subject == updated.subject == f"surveillance_test:{test_id}"
    assert added.detail == {"fields": ["arranged_by", "interval_months", "name", "next_due", "notes"]}
    assert updated.detail == {"changed": ["interval_months", "name"]}


# ---------------------------------------------------------------- London dates, not the server's


def test_dates_are_london_dates(app, nurse, actors, monkeypatch):
    monkeypatch.setattr("app.timeutil.utcnow", lambda: LATE_EVENING)
    # A Treatment Review today in London is not "in the future".
    review = {"plan-treatment_review_date-day": str(LONDON_DAY.day), "plan-treatment_review_date-month": str(LONDON_DAY.month),
              "plan-treatment_review_date-year": str(LONDON_DAY.year), "plan-open_access_until-year": str(LONDON_DAY.year + 4)}
    assert nurse.post_form(url(actors), plan_data(**review)).status_code == 303
    # A suggested test is first due one interval after the review (today in London).
    prefilled = nurse.get(test_url(actors) + "?suggest=0").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="test-next_due-year"[^>]*value="2031"', prefilled)
    assert re.search(r'<input[^>]*name="test-next_due-day"[^>]*value="16"', prefilled)


def test_the_patient_is_told_a_test_is_overdue_by_the_london_date(app, client, actors, monkeypatch):
    monkeypatch.setattr("app.timeutil.utcnow", lambda: LATE_EVENING)
    with app.app_context():
        db.session.add(SurveillanceTest(patient_id=actors.profile_a, name="Mammogram", interval_months=12, next_due=date(2030, 6, 15)))
        db.session.commit()
    sign_in_as(client, actors.patient_a)
    html = client.get("/my-care/follow-up").get_data(as_text=True)
    assert "15 June 2030 (overdue: contact your team" in html


def test_when_the_plan_was_changed_is_shown_as_a_london_date(app, nurse, actors):
    with app.app_context():
        db.session.add(FollowUpPlan(patient_id=actors.profile_a, follow_up_type=FollowUpType.CLINICIAN_LED,
                                    updated_by_id=actors.nurse_a, updated_at=datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)))
        db.session.commit()
    assert "Last changed by Nurse A on 1 July 2026." in nurse.get(url(actors)).get_data(as_text=True)


# ---------------------------------------------------------------- a next due date in the past


def test_a_next_due_date_in_the_past_is_refused_unless_the_nurse_confirms_it(app, nurse, actors):
    past = date(2020, 9, 15)
    data = surveillance_data(next_due=past, **{"test-notes": "Bring your <letter>"})
    response = nurse.post_form(test_url(actors), data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "Next due date must be today or in the future" in html
    assert '<a href="#test-next_due-day"' in html
    # Everything typed stays, and the confirmation is offered, not ticked for them.
    assert 'value="15"' in html and 'value="9"' in html and 'value="2020"' in html
    assert 'value="Mammogram"' in html and 'value="The breast unit"' in html and "Bring your &lt;letter&gt;" in html
    assert "This test is overdue and I have told the patient" in html
    assert not re.search(r'name="test-overdue_confirmed"[^>]*checked', html)
    with app.app_context():
        assert db.session.scalar(select(SurveillanceTest)) is None

    confirmed = nurse.post_form(test_url(actors), {**data, "test-overdue_confirmed": "y"})
    assert confirmed.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(SurveillanceTest)).next_due == past
    assert "Overdue</strong>" in nurse.get(url(actors)).get_data(as_text=True)  # marked in the nurse's schedule
    [added] = audits(app, "followup.test_add")
    assert added.detail["overdue_confirmed"] is True


def test_yesterday_in_london_is_in_the_past_and_today_is_not(app, nurse, actors, monkeypatch):
    monkeypatch.setattr("app.timeutil.utcnow", lambda: LATE_EVENING)  # already 16 June in London
    refused = nurse.post_form(test_url(actors), surveillance_data(next_due=date(2030, 6, 15))).get_data(as_text=True)
    assert "Next due date must be today or in the future" in refused
    assert nurse.post_form(test_url(actors), surveillance_data(next_due=LONDON_DAY)).status_code == 303
    [added] = audits(app, "followup.test_add")
    assert "overdue_confirmed" not in added.detail


def test_changing_an_overdue_test_asks_again(app, nurse, actors, today):
    with app.app_context():
        test = SurveillanceTest(patient_id=actors.profile_a, name="CT scan", interval_months=12, next_due=today - timedelta(days=3))
        db.session.add(test)
        db.session.commit()
        test_id, version = test.id, test.version
    page = nurse.get(test_url(actors) + f"?test={test_id}").get_data(as_text=True)
    assert "This date is in the past" in page  # the question is there before saving
    due = today - timedelta(days=3)
    change = surveillance_data(next_due=due, **{"test-test_id": str(test_id), "test-test_version": str(version), "test-name": "CT scan",
                                               "test-notes": "Please phone us"})
    assert "Next due date must be today or in the future" in nurse.post_form(test_url(actors), change).get_data(as_text=True)
    assert nurse.post_form(test_url(actors), {**change, "test-overdue_confirmed": "y"}).status_code == 303
    [updated] = audits(app, "followup.test_update")
    assert updated.detail == {"changed": ["arranged_by", "notes"], "overdue_confirmed": True}


def test_plan_date_messages_name_the_date(nurse, actors):
    html = nurse.post_form(url(actors), plan_data(**{
        "plan-treatment_review_date-day": "31", "plan-treatment_review_date-month": "2",
        "plan-open_access_until-month": "",
    })).get_data(as_text=True)
    assert "Treatment Review date must be a real date" in html
    assert "Open access end date must include a month" in html
    assert "Date must" not in html
    due = nurse.post_form(test_url(actors), surveillance_data(**{"test-next_due-year": "26"})).get_data(as_text=True)
    assert "Next due date must include a year with 4 numbers" in due


# ---------------------------------------------------------------- suggestions keep what was typed


def test_a_suggestion_fills_the_test_and_keeps_what_was_typed(app, nurse, actors, today):
    page = nurse.get(test_url(actors)).get_data(as_text=True)
    # A button in the test's own form (it sends what was typed), not a link that reloads the page.
    assert re.search(r'<button[^>]*name="use_suggestion" value="0"[^>]*>\s*Use Mammogram, every year', page)
    token = add_token(page)
    response = nurse.post_form(test_url(actors), {
        "use_suggestion": "0", "test-add_token": token, "test-name": "Mammo", "test-interval_months": "",
        "test-next_due-day": "", "test-next_due-month": "", "test-next_due-year": "",
        "test-arranged_by": "", "test-notes": "Bring your <letter>",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" not in html
    assert re.search(r'<input[^>]*name="test-name"[^>]*value="Mammogram"', html)
    assert re.search(r'<input[^>]*name="test-interval_months"[^>]*value="12"', html)
    due = add_months(today, 12)
    assert re.search(rf'<input[^>]*name="test-next_due-year"[^>]*value="{due.year}"', html)
    assert "Bring your &lt;letter&gt;" in html and add_token(html) == token
    with app.app_context():
        assert db.session.scalar(select(SurveillanceTest)) is None


def test_the_plan_and_the_tests_are_on_separate_pages(nurse, actors):
    """Using a suggestion, or any other test form action, never reloads the plan form."""
    plan_page = nurse.get(url(actors)).get_data(as_text=True)
    assert 'name="plan-follow_up_type"' in plan_page and 'name="test-name"' not in plan_page
    assert f'href="{test_url(actors)}"' in plan_page
    test_page = nurse.get(test_url(actors)).get_data(as_text=True)
    assert 'name="test-name"' in test_page and 'name="plan-follow_up_type"' not in test_page
    # Old addresses still work.
    assert nurse.get(url(actors) + "?suggest=0").location.endswith(test_url(actors) + "?suggest=0")


def test_a_test_posted_to_the_follow_up_page_is_still_saved(app, nurse, actors):
    response = nurse.post_form(url(actors), surveillance_data())
    assert response.status_code == 303 and response.location.endswith(url(actors) + "#schedule")
    with app.app_context():
        assert db.session.scalar(select(SurveillanceTest.name)) == "Mammogram"


@pytest.mark.parametrize("with_plan, tests", [
    (False, []),
    (True, []),
    (False, [("CT scan", 40, True)]),
    # Soonest due first; a stopped test is not listed.
    (True, [("PSA blood test", 90, True), ("CT scan", 40, True), ("Bone scan", 10, False)]),
])
def test_the_patients_page_reads_the_plan_and_tests_in_one_statement(app, actors, with_plan, tests):
    from app.followup.service import plan_and_tests_of, plan_of, tests_of
    from tests.test_query_counts import counting_statements

    with app.app_context():
        # The other person has a plan and a test too: never on this person's page.
        db.session.add(FollowUpPlan(patient_id=actors.profile_a2, follow_up_type=FollowUpType.CLINICIAN_LED,
                                    updated_by_id=actors.nurse_a))
        db.session.add(SurveillanceTest(patient_id=actors.profile_a2, name="Their scan", interval_months=6, next_due=london_today()))
        if with_plan:
            db.session.add(FollowUpPlan(patient_id=actors.profile_a, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                                        updated_by_id=actors.nurse_a))
        db.session.add_all([SurveillanceTest(patient_id=actors.profile_a, name=name, interval_months=6, active=active,
                                             next_due=london_today() + timedelta(days=days)) for name, days, active in tests])
        db.session.commit()
        profile = db.session.get(PatientProfile, actors.profile_a)
        with counting_statements() as statements:
            found = plan_and_tests_of(profile)
        assert len(statements) == 1
        plan = plan_of(profile)
        assert found[0] == ((plan.id, plan.follow_up_type, plan.open_access_until) if plan else None)
        assert found[1] == [(t.id, t.name, t.interval_months, t.next_due, t.arranged_by, t.notes)
                            for t in tests_of(profile)]
        assert (found[0] is not None) == with_plan


@pytest.mark.parametrize("name, arranged_by, notes", [
    ("Mammogram", "The breast unit", None),
    ("<b>CT</b> & \"chest\"", "  Your GP\u2003", "First line\n  second <line> & more\n\nthird"),
    (" PSA ", "", "  Fasting\tfirst  "),
])
def test_the_persons_test_lists_from_the_memo_are_the_summary_lists_own(app, name, arranged_by, notes):
    """The person's follow-up page renders each test's list once per shape (memoised_component),
    their values put in: the same page as the component given the values, whatever is typed."""
    from flask import render_template_string

    from app.html_whitespace import without_indentation

    rows = """[
      {"key": {"text": "Test"}, "value": {"text": mark(name)}},
      {"key": {"text": "How often"}, "value": {"text": "Every year"}},
      {"key": {"text": "Next due"}, "value": {"text": mark("9 January 2031")}},
      {"key": {"text": "Who arranges it"}, "value": {"text": mark(arranged_by or "Your cancer team will tell you")}}
    ] + ([{"key": {"text": "Notes"}, "value": {"text": mark(notes)}}] if notes else [])"""
    with app.test_request_context("/my-care/follow-up"):
        values = {"name": name, "arranged_by": arranged_by, "notes": notes}
        memo = render_template_string('{{ memoised_component("summary-list", {"rows": ' + rows + '}) }}',
                                      mark=app.jinja_env.globals["personal"], **values)
        own = render_template_string('{{ summaryList({"rows": ' + rows + '}) }}', mark=lambda value: value, **values)
    assert without_indentation(memo) == without_indentation(own)
