"""The records a patient's phone keeps for reading offline: contacts, care plan, treatment summary
(app/main/offline_record.py, GET /my-care/offline-record). The phone's side is in
tests/e2e/test_offline_record.py."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.followup.models import EndOfTreatmentSummary
from app.models import AuditEvent, PatientProfile, Team, User
from tests.careplan.helpers import make_plan
from tests.helpers import shown_escaped, sign_in_as
from tests.test_patient_home import give_contacts

JSON = {"Accept": "application/json"}


def records(client, **kept):
    response = client.get("/my-care/offline-record", query_string=kept, headers=JSON)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    return response.get_json()["records"]


def give_plan_and_summary(app, actors, plan_summary="Walk every day", **summary):
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        make_plan(profile, db.session.get(User, actors.nurse_a), summary=plan_summary)
        db.session.add(EndOfTreatmentSummary(
            patient_id=profile.id, team_id=profile.team_id, version=1, is_current=True, created_by_id=actors.nurse_a,
            diagnosis=summary.pop("diagnosis", "Breast cancer"), treatments=[],
            red_flags_emergency="Fever of 38C", contacts="Breast care nurses 020 7946 0123", **summary))
        db.session.commit()


@pytest.mark.hazard("HAZ-002")
def test_a_patient_gets_their_contacts_plan_and_summary_with_the_24_hour_line_as_a_link(app, patient, actors):
    give_contacts(app, actors)
    give_plan_and_summary(app, actors)

    kept = records(patient)

    assert list(kept) == ["contacts", "plan", "summary"]
    assert kept["contacts"]["title"] == "Your contacts" and kept["contacts"]["path"] == "/my-care/contacts"
    assert '<a href="tel:02079460999" class="app-tel">020 7946 0999</a>' in kept["contacts"]["html"]
    assert '<a href="tel:02079460123" class="app-tel">020 7946 0123</a>' in kept["contacts"]["html"]
    assert kept["plan"]["path"] == "/my-care/plan" and "Walk every day" in kept["plan"]["html"]
    assert kept["summary"]["path"] == "/my-care/treatment-summary" and "Fever of 38C" in kept["summary"]["html"]
    # The copy holds what the person reads, not who they are: no NHS number or date of birth.
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        assert profile.nhs_number_display not in kept["summary"]["html"]
        assert "17 May 1960" not in kept["summary"]["html"]


@pytest.mark.parametrize("kept_kinds, sent_again", [
    ((), {"contacts", "plan", "summary"}),
    (("contacts",), {"plan", "summary"}),
    (("contacts", "plan", "summary"), set()),
])
def test_only_records_whose_version_changed_are_sent_again(app, patient, actors, kept_kinds, sent_again):
    give_contacts(app, actors)
    give_plan_and_summary(app, actors)
    first = records(patient)

    again = records(patient, **{kind: first[kind]["version"] for kind in kept_kinds})

    assert {kind for kind, entry in again.items() if "html" in entry} == sent_again
    assert {kind: entry["version"] for kind, entry in again.items()} == {kind: e["version"] for kind, e in first.items()}


@pytest.mark.parametrize("change, changed_kinds", [
    # The summary's emergency box gives the team's 24-hour line too.
    (lambda team, profile, actors: setattr(team, "out_of_hours_phone", "020 7946 0888"), {"contacts", "summary"}),
    (lambda team, profile, actors: setattr(team, "hours", "Weekdays 8am to 6pm"), {"contacts"}),
    (lambda team, profile, actors: setattr(profile, "gp_practice_phone", "020 7946 0777"), {"contacts"}),
    (lambda team, profile, actors: make_plan(profile, db.session.get(User, actors.nurse_a), summary="Swim"), {"plan"}),
    (lambda team, profile, actors: setattr(db.session.query(EndOfTreatmentSummary).one(), "contacts", "Ring 0800 123 4567"), {"summary"}),
])
def test_a_change_that_reaches_the_page_changes_only_the_versions_of_the_records_showing_it(app, patient, actors, change, changed_kinds):
    give_contacts(app, actors)
    give_plan_and_summary(app, actors)
    first = records(patient)
    versions = {kind: entry["version"] for kind, entry in first.items()}
    with app.app_context():
        change(db.session.get(Team, actors.team_a), db.session.get(PatientProfile, actors.profile_a), actors)
        db.session.commit()

    again = records(patient, **versions)

    assert {kind for kind, entry in again.items() if "html" in entry} == changed_kinds


def test_a_person_with_no_plan_or_summary_is_told_so_and_their_phone_forgets_any_copy(app, patient, actors):
    kept = records(patient, plan="a" * 24, summary="b" * 24)
    assert kept["plan"] is None and kept["summary"] is None
    assert "html" in kept["contacts"]


@pytest.mark.parametrize("value", ["", "x" * 24, "A" * 24, "a" * 23, "a" * 2000, "<script>"])
def test_a_malformed_kept_version_means_nothing_kept(app, patient, actors, value):
    kept = records(patient, contacts=value)
    assert "html" in kept["contacts"]


def test_free_text_in_a_kept_record_is_escaped(app, patient, actors):
    give_contacts(app, actors, hours="<script>alert(1)</script>")
    give_plan_and_summary(app, actors, plan_summary='<img src=x onerror="alert(2)">', diagnosis="<svg onload=alert(3)>")
    kept = records(patient)
    assert shown_escaped(kept["contacts"]["html"], "<script>alert(1)</script>")
    assert shown_escaped(kept["plan"]["html"], '<img src=x onerror="alert(2)">')
    assert shown_escaped(kept["summary"]["html"], "<svg onload=alert(3)>")


def test_copying_a_plan_or_summary_to_the_phone_is_audited_and_an_unchanged_check_is_not(app, patient, actors):
    give_plan_and_summary(app, actors)
    first = records(patient)
    records(patient, **{kind: entry["version"] for kind, entry in first.items()})
    with app.app_context():
        events = db.session.query(AuditEvent).filter_by(action="offline_record.kept").all()
        assert len(events) == 1
        assert events[0].patient_id == actors.profile_a
        assert events[0].detail == {"kinds": ["contacts", "plan", "summary"]}


@pytest.mark.hazard("HAZ-022")
def test_each_person_has_their_own_opaque_token_on_their_pages(app, client, actors):
    tokens = {}
    for user in (actors.patient_a, actors.patient_b):
        sign_in_as(client, user)
        raw = client.get("/my-care").get_data(as_text=True)
        token = raw.split('data-outbox-owner="', 1)[1].split('"', 1)[0]
        assert len(token) == 32 and str(user) != token
        assert 'data-offline-record-url="/my-care/offline-record"' in raw
        tokens[user] = token
    assert tokens[actors.patient_a] != tokens[actors.patient_b]
    sign_in_as(client, actors.patient_a)
    assert f'data-outbox-owner="{tokens[actors.patient_a]}"' in client.get("/my-care/contacts").get_data(as_text=True)


@pytest.mark.hazard("HAZ-022")
def test_only_patients_have_offline_records(client, actors):
    assert client.get("/my-care/offline-record", headers=JSON).status_code == 401
    sign_in_as(client, actors.nurse_a)
    assert client.get("/my-care/offline-record", headers=JSON).status_code == 404
