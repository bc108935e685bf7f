"""A nurse records a surveillance test's result, sets the person's safe range and clears the
"needs review" flag; a result outside the range raises a red flag for the team."""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.followup.models import FollowUpPlan, FollowUpType, SurveillanceTest
from app.models import AuditEvent, PatientProfile
from app.results import service
from app.results.models import ResultRule, TestResult
from app.timeutil import london_today
from app.triage.models import ItemStatus, QueueItem
from app.triage.queue import ItemKind
from tests.helpers import page
from tests.results.helpers import make_psa


@pytest.fixture
def psa(app, actors):
    """Patient A's PSA test, self-managed, with a safe range: above 4, or a rise of 0.75 in 6 months."""
    with app.app_context():
        db.session.add(FollowUpPlan(patient_id=actors.profile_a, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                                    open_access_until=london_today() + timedelta(days=900), updated_by_id=actors.nurse_a))
        return make_psa(actors.profile_a, actors.nurse_a).id


def result_data(test_id, value="2.1", unit="ng/mL", taken=None, resulted=None, comment="Your PSA is steady.", token=None):
    taken = taken or london_today() - timedelta(days=5)
    resulted = resulted or london_today() - timedelta(days=2)
    return {
        "result-test": str(test_id), "result-value": value, "result-unit": unit,
        "result-taken_on-day": str(taken.day), "result-taken_on-month": str(taken.month), "result-taken_on-year": str(taken.year),
        "result-resulted_on-day": str(resulted.day), "result-resulted_on-month": str(resulted.month),
        "result-resulted_on-year": str(resulted.year), "result-comment": comment,
        "result-add_token": token or secrets.token_urlsafe(16),
    }


def record(client, actors, test_id, **changes):
    return client.post_form(f"/nurse/patients/{actors.profile_a}/results/record", result_data(test_id, **changes))


def results(app):
    with app.app_context():
        return db.session.scalars(select(TestResult).order_by(TestResult.id)).all()


def open_red_flags(app):
    with app.app_context():
        return db.session.scalars(select(QueueItem).where(QueueItem.kind == ItemKind.RED_FLAG,
                                                          QueueItem.status == ItemStatus.OPEN)).all()


def test_a_result_within_the_range_is_recorded_with_no_flag(app, nurse, actors, psa):
    response = record(nurse, actors, psa)
    assert response.status_code == 303
    (result,) = results(app)
    assert (str(result.value), result.unit, result.abnormal, result.needs_review) == ("2.100", "ng/mL", False, False)
    assert result.comment == "Your PSA is steady."
    assert not open_red_flags(app)
    assert "PSA blood test result recorded: within Ann's safe range." in page(nurse.get(response.location))
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "results.record"))
        assert event.patient_id == actors.profile_a and event.detail["abnormal"] is False


@pytest.mark.hazard("HAZ-017")
def test_a_result_outside_the_range_raises_a_red_flag_and_flags_the_person(app, nurse, actors, psa, today):
    record(nurse, actors, psa, value="4.2")
    (result,) = results(app)
    assert result.abnormal and result.needs_review and result.review_reason == "Above 4 ng/mL"
    (item,) = open_red_flags(app)
    assert item.patient_id == actors.profile_a and item.rank == 0
    assert "PSA blood test result outside the person's safe range: 4.2 ng/mL" in item.reason
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        assert service.needs_review(profile)
        # A flag, not a change of follow-up: open access (re-entry) stays theirs.
        plan = db.session.scalar(select(FollowUpPlan).where(FollowUpPlan.patient_id == actors.profile_a))
        assert plan.follow_up_type is FollowUpType.SUPPORTED_SELF_MANAGEMENT and plan.open_access_until > today
    html = page(nurse.get(f"/nurse/patients/{actors.profile_a}/results"))
    assert "Needs review" in html and "Outside safe range" in html


@pytest.mark.hazard("HAZ-017")
def test_a_rise_within_the_window_is_abnormal_and_later_ones_join_the_open_item(app, nurse, actors, psa, today):
    record(nurse, actors, psa, value="2.0", taken=today - timedelta(days=120), resulted=today - timedelta(days=118))
    record(nurse, actors, psa, value="2.75", taken=today - timedelta(days=10), resulted=today - timedelta(days=8))
    record(nurse, actors, psa, value="4.5", taken=today - timedelta(days=3), resulted=today - timedelta(days=1))
    first, second, third = results(app)
    assert not first.needs_review
    assert second.abnormal and second.review_reason.startswith("Rose by 0.75 ng/mL since")
    assert third.abnormal
    (item,) = open_red_flags(app)  # one item to act on, not a stack
    assert item.source_key == f"result:{second.id}"


@pytest.mark.hazard("HAZ-017")
def test_a_result_with_no_safe_range_waits_for_review(app, nurse, actors, psa, today):
    with app.app_context():
        test = SurveillanceTest(patient_id=actors.profile_a, name="CT scan", interval_months=12, next_due=today)
        db.session.add(test)
        db.session.commit()
        ct = test.id
    record(nurse, actors, ct, value="1", unit="score")
    (result,) = results(app)
    assert result.needs_review and not result.abnormal and result.review_reason == "No safe range set for this test"
    assert "No safe range set" in page(nurse.get(f"/nurse/patients/{actors.profile_a}/results"))


@pytest.mark.hazard("HAZ-018")
def test_a_result_moves_its_tests_due_date_on_and_an_old_one_entered_late_does_not(app, nurse, actors, psa, today):
    from app.followup.schedule import add_months

    taken = today - timedelta(days=5)
    assert record(nurse, actors, psa, taken=taken).status_code == 303
    with app.app_context():
        test = db.session.get(SurveillanceTest, psa)
        assert test.next_due == add_months(taken, 6)
        moved = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "followup.test_due_moved"))
        assert moved.subject == f"surveillance_test:{psa}" and moved.actor_id == actors.nurse_a
        assert moved.detail["next_due"] == add_months(taken, 6).isoformat()

    old = today - timedelta(days=400)
    assert record(nurse, actors, psa, value="1.9", taken=old, resulted=old).status_code == 303
    with app.app_context():
        assert db.session.get(SurveillanceTest, psa).next_due == add_months(taken, 6)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "followup.test_due_moved")) == 1


@pytest.mark.hazard("HAZ-017")
def test_the_patient_page_shows_results_waiting_for_review_and_clears_them(app, nurse, actors, psa):
    record(nurse, actors, psa, value="4.2")
    html = page(nurse.get(f"/nurse/patients/{actors.profile_a}"))
    assert "Needs review" in html and "PSA blood test: 4.2 ng/mL" in html and "Above 4 ng/mL" in html
    shown = re.findall(r'name="result_id" value="(\d+)"', nurse.get(f"/nurse/patients/{actors.profile_a}").get_data(as_text=True))
    assert len(shown) == 1

    cleared = nurse.post_form(f"/nurse/patients/{actors.profile_a}/results", {"result_id": shown,
                                                                            "back_to": "patient"})
    assert cleared.status_code == 303 and cleared.location.endswith(f"/nurse/patients/{actors.profile_a}")
    assert "Needs review" not in page(nurse.get(f"/nurse/patients/{actors.profile_a}"))
    (result,) = results(app)
    assert not result.needs_review and result.cleared_by_id == actors.nurse_a


def test_the_patient_list_marks_who_has_a_result_waiting_for_review(app, nurse, actors, psa):
    assert "Result needs review" not in page(nurse.get("/nurse/patients"))
    record(nurse, actors, psa, value="4.2")
    listed = page(nurse.get("/nurse/patients"))
    assert listed.count("Result needs review") == 1


@pytest.mark.hazard("HAZ-017")
def test_clearing_the_flag_clears_only_the_results_the_nurse_saw(app, nurse, actors, psa):
    record(nurse, actors, psa, value="4.2")
    html = nurse.get(f"/nurse/patients/{actors.profile_a}/results").get_data(as_text=True)
    shown = re.findall(r'name="result_id" value="(\d+)"', html)
    record(nurse, actors, psa, value="5.0")  # arrives while her page is open
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/results", {"result_id": shown})
    assert response.status_code == 303
    first, second = results(app)
    assert not first.needs_review and first.cleared_by_id == actors.nurse_a
    assert second.needs_review
    with app.app_context():
        assert service.needs_review(db.session.get(PatientProfile, actors.profile_a))


def test_another_patients_result_cannot_be_cleared_through_this_one(app, nurse, actors, psa, today):
    with app.app_context():
        test = SurveillanceTest(patient_id=actors.profile_a2, name="PSA blood test", interval_months=6, next_due=today)
        db.session.add(test)
        db.session.flush()
        other = TestResult(surveillance_test_id=test.id, patient_id=actors.profile_a2, value=9, unit="ng/mL",
                           taken_on=today, resulted_on=today, abnormal=True, needs_review=True, recorded_by_id=actors.nurse_a)
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/results", {"result_id": [str(other_id)]})
    assert response.status_code == 404
    assert results(app)[0].needs_review


def test_the_same_form_sent_twice_records_one_result(app, nurse, actors, psa):
    token = secrets.token_urlsafe(16)
    assert record(nurse, actors, psa, value="4.2", token=token).status_code == 303
    assert record(nurse, actors, psa, value="4.2", token=token).status_code == 303
    assert len(results(app)) == 1 and len(open_red_flags(app)) == 1
    again = record(nurse, actors, psa, value="3.3", token=token)
    assert again.status_code == 409
    html = page(again)
    assert "already used to record a result" in html and 'value="3.3"' in again.get_data(as_text=True)
    assert len(results(app)) == 1


@pytest.mark.parametrize("changes, message", [
    ({"unit": "ug/L"}, "Unit must be ng/mL, the unit of Ann's safe range for PSA blood test"),
    ({"value": "4,2"}, "Result must be a number, like 4.1"),
    ({"value": ""}, "Enter the result, as a number like 4.1"),
    # Dates as days from today, which the test takes when it runs.
    ({"taken": timedelta(days=1), "resulted": timedelta(days=1)}, "Date taken must be today or in the past"),
    ({"taken": timedelta(days=-1), "resulted": timedelta(days=-2)},
     "Date of the result must be the same as or after the date taken"),
    ({"comment": "x" * 2001}, "Comment must be 2,000 characters or fewer"),
])
def test_bad_input_is_refused_with_what_was_typed_kept(app, nurse, actors, psa, changes, message, today):
    changes = {name: today + value if isinstance(value, timedelta) else value for name, value in changes.items()}
    response = record(nurse, actors, psa, **{"comment": "Kept comment", **changes})
    assert response.status_code == 200
    html = page(response)
    assert message in html
    assert changes.get("comment", "Kept comment")[:50] in html
    assert not results(app)


def test_a_test_that_is_not_this_persons_is_refused(app, nurse, actors, psa, today):
    with app.app_context():
        test = SurveillanceTest(patient_id=actors.profile_b, name="PSA blood test", interval_months=6, next_due=today)
        db.session.add(test)
        db.session.commit()
        foreign = test.id
    assert record(nurse, actors, foreign).status_code == 404
    assert not results(app)


def rule_data(version, unit="ng/mL", upper="3.5", rise="0.5", months="12"):
    return {"rule-rule_version": str(version), "rule-unit": unit, "rule-upper_limit": upper,
            "rule-rise_amount": rise, "rule-rise_months": months}


def rule_url(actors, test_id):
    return f"/nurse/patients/{actors.profile_a}/results/tests/{test_id}/safe-range"


def test_the_safe_range_is_per_person_versioned_and_audited(app, nurse, actors, psa):
    assert nurse.post_form(rule_url(actors, psa), rule_data(1)).status_code == 303
    with app.app_context():
        rule = db.session.scalar(select(ResultRule))
        assert (str(rule.upper_limit), str(rule.rise_amount), rule.rise_months, rule.version) == ("3.500", "0.500", 12, 2)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "results.rule_save"))
        assert event.detail["version"] == 2 and event.detail["upper_limit"] == "3.5"
    # The same save again (a double click) is saved, not a conflict.
    assert nurse.post_form(rule_url(actors, psa), rule_data(1)).status_code == 303


@pytest.mark.hazard("HAZ-017")
def test_a_colleagues_change_to_the_safe_range_is_never_overwritten(app, client, nurse, actors, psa):
    nurse.post_form(rule_url(actors, psa), rule_data(1, upper="3.5"))
    response = nurse.post_form(rule_url(actors, psa), rule_data(1, upper="10"))
    assert response.status_code == 409
    html = page(response)
    assert "Nurse A changed the safe range for PSA blood test while you were editing it" in html
    assert 'value="10"' in response.get_data(as_text=True)
    with app.app_context():
        assert str(db.session.scalar(select(ResultRule)).upper_limit) == "3.500"


@pytest.mark.parametrize("changes, message", [
    ({"upper": "", "rise": "", "months": ""}, "Enter a level, a rise, or both"),
    ({"rise": "0.5", "months": ""}, "Enter within how many months the rise counts, like 6"),
    ({"rise": "", "months": "6"}, "Enter the rise that is abnormal, like 0.75"),
    ({"months": "0"}, "Months must be a whole number from 1 to 120"),
    ({"rise": "0"}, "Rise must be more than 0"),
    ({"unit": ""}, "Enter the unit results are in, like ng/mL"),
])
def test_a_safe_range_must_be_complete(app, nurse, actors, psa, changes, message):
    response = nurse.post_form(rule_url(actors, psa), rule_data(1, **changes))
    assert response.status_code == 200
    assert message in page(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "results.rule_save")) == 0


def test_a_page_without_its_one_time_token_records_nothing_and_keeps_what_was_typed(app, nurse, actors, psa):
    data = result_data(psa, value="3.3")
    data["result-add_token"] = ""
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/results/record", data)
    assert response.status_code == 409
    assert "This page was out of date" in page(response) and 'value="3.3"' in response.get_data(as_text=True)
    assert not results(app)


@pytest.mark.hazard("HAZ-018")
def test_a_sample_noted_waits_for_its_result_and_the_result_settles_it(app, nurse, actors, psa, today):
    from app.results.models import SampleTaken

    taken = today - timedelta(days=25)
    html = nurse.get(f"/nurse/patients/{actors.profile_a}/results").get_data(as_text=True)
    token = re.search(r'name="sample-token" value="([^"]+)"', html).group(1)
    data = {"sample-test": str(psa), "sample-token": token, "sample-taken_on-day": str(taken.day),
            "sample-taken_on-month": str(taken.month), "sample-taken_on-year": str(taken.year)}
    url = f"/nurse/patients/{actors.profile_a}/results/sample"
    assert nurse.post_form(url, data).status_code == 303
    assert nurse.post_form(url, data).status_code == 303  # the same form twice: noted once
    assert "No result 3 weeks after a sample" in page(nurse.get("/nurse/monitoring"))
    record(nurse, actors, psa, taken=taken, resulted=today)
    with app.app_context():
        (sample,) = db.session.scalars(select(SampleTaken)).all()
        assert sample.result_id == results(app)[0].id
    assert "No result 3 weeks after a sample" not in page(nurse.get("/nurse/monitoring"))


def test_a_sample_date_in_the_future_is_refused_with_what_was_typed_kept(app, nurse, actors, psa, today):
    future = today + timedelta(days=2)
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/results/sample", {
        "sample-test": str(psa), "sample-token": secrets.token_urlsafe(16), "sample-taken_on-day": str(future.day),
        "sample-taken_on-month": str(future.month), "sample-taken_on-year": str(future.year)})
    assert response.status_code == 200
    assert "Date the sample was taken must be today or in the past" in page(response)
    assert f'value="{future.day}"' in response.get_data(as_text=True)
