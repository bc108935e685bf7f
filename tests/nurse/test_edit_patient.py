"""A nurse changes a patient's details; two nurses saving at once never overwrite each other."""
from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, PatientProfile, Role, User
from tests.helpers import InDays, date_fields, page, sign_in_as


def form_on(body: str) -> dict:
    """Every value the edit form would send, as a browser would: inputs (hidden ones too) and
    the chosen key worker and tumour pathway."""
    data = {name: html.unescape(value) for name, value in
            re.findall(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"', body)}
    data.pop("csrf_token", None)
    for name in ("key_worker_id", "tumour_pathway"):
        select = re.search(rf'<select[^>]*name="{name}".*?</select>', body, re.S).group(0)
        chosen = re.search(r'<option value="([^"]*)"\s+selected', select)
        data[name] = chosen.group(1) if chosen else ""
    return data


def form_for(client, patient_id: int, **changes) -> dict:
    """What the edit page shows, as the browser would send it back, with `changes`."""
    body = client.get(f"/nurse/patients/{patient_id}/edit").get_data(as_text=True)
    return {**form_on(body), **changes}


def profile(app, patient_id: int) -> PatientProfile:
    with app.app_context():
        p = db.session.get(PatientProfile, patient_id)
        db.session.expunge(p)
        return p


def updates(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.update").order_by(AuditEvent.id)))


def test_the_edit_page_shows_the_details_and_explains_the_nhs_number(app, nurse, actors):
    response = nurse.get(f"/nurse/patients/{actors.profile_a}/edit")
    body = page(response)
    assert response.status_code == 200
    assert 'value="Ann"' in body and 'value="Able"' in body
    assert "cannot be changed here because it identifies the patient's record" in body
    assert 'name="nhs_number"' not in body
    with app.app_context():
        viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.view")).all()
        assert [(e.patient_id, e.detail) for e in viewed] == [(actors.profile_a, {"page": "edit"})]


def test_a_nurse_saves_new_details_and_the_audit_names_the_fields_not_the_values(app, nurse, actors):
    with app.app_context():
        colleague = User(role=Role.NURSE, display_name="Nurse Ada", email="ada@example.test", team_id=actors.team_a)
        db.session.add(colleague)
        db.session.commit()
        colleague_id = colleague.id
    data = form_for(nurse, actors.profile_a, given_name="Anne", phone="07700 900 123",
                    key_worker_id=str(colleague_id), gp_practice_name="Parkview Surgery",
                    gp_practice_phone="020 7946 0456", gp_practice_address="3 Park Road, London")
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", data, follow_redirects=True)
    body = page(response)
    assert "Anne Able's details are saved." in body
    assert "Nurse Ada" in body and "Parkview Surgery" in body and "07700 900 123" in body
    saved = profile(app, actors.profile_a)
    assert (saved.given_name, saved.phone, saved.key_worker_id, saved.gp_practice_address) == (
        "Anne", "07700 900 123", colleague_id, "3 Park Road, London")
    assert saved.version == 2
    [event] = updates(app)
    assert event.actor_id == actors.nurse_a and event.patient_id == actors.profile_a
    assert event.detail == {"fields": ["given_name", "phone", "key_worker_id", "gp_practice_name",
                                       "gp_practice_phone", "gp_practice_address"], "version": 2}
    assert "Anne" not in str(event.detail) and "0456" not in str(event.detail)
    with app.app_context():
        assert db.session.get(User, actors.patient_a).display_name == "Anne Able"


def test_no_key_worker_can_be_chosen_and_other_teams_nurses_cannot(app, nurse, actors):
    page_html = nurse.get(f"/nurse/patients/{actors.profile_a}/edit").get_data(as_text=True)
    assert "Nurse A" in page_html and "Nurse B" not in page_html
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit",
                               form_for(nurse, actors.profile_a, key_worker_id=str(actors.nurse_b)))
    assert "Choose a key worker from the list, or no key worker" in page(response)
    assert profile(app, actors.profile_a).key_worker_id == actors.nurse_a
    nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", form_for(nurse, actors.profile_a, key_worker_id=""))
    assert profile(app, actors.profile_a).key_worker_id is None


@pytest.mark.parametrize(("changes", "message"), [
    ({"given_name": ""}, "Enter the patient's first name"),
    ({"family_name": "x" * 101}, "Last name must be 100 characters or fewer"),
    ({"date_of_birth-day": "31", "date_of_birth-month": "2"}, "Date must be a real date"),
    ({"date_of_birth": InDays(1)}, "Date of birth must be in the past"),
    ({"phone": "call me"}, "Enter a phone number, like 07700 900 982"),
    ({"gp_practice_phone": "12"}, "Enter the GP practice phone number, like 020 7946 0000"),
    ({"gp_practice_address": "x" * 301}, "Address must be 300 characters or fewer"),
])
def test_bad_input_gets_a_clear_message_and_keeps_what_was_typed(app, nurse, actors, changes, message, today):
    data = form_for(nurse, actors.profile_a, gp_practice_name="Typed <b>Practice</b>", **date_fields(changes, today))
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", data)
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page(response)
    assert "There is a problem" in raw
    assert 'value="Typed &lt;b&gt;Practice&lt;/b&gt;"' in raw  # kept, and escaped
    assert profile(app, actors.profile_a).version == 1
    assert updates(app) == []


def test_saving_nothing_new_changes_nothing(app, nurse, actors):
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", form_for(nurse, actors.profile_a),
                               follow_redirects=True)
    assert "Nothing was changed." in page(response)
    assert profile(app, actors.profile_a).version == 1 and updates(app) == []


def add_colleague(app, actors) -> int:
    with app.app_context():
        colleague = User(role=Role.NURSE, display_name="Nurse Ada", email="ada@example.test", team_id=actors.team_a)
        db.session.add(colleague)
        db.session.commit()
        return colleague.id


@pytest.mark.hazard("HAZ-005")
def test_a_colleagues_save_in_the_meantime_is_shown_and_nothing_is_overwritten(app, nurse, new_client, actors):
    colleague_id = add_colleague(app, actors)
    # Nurse A opens the page; Nurse Ada opens it too and saves a new GP phone number first.
    mine = form_for(nurse, actors.profile_a, phone="07700 900 555", gp_practice_name="My typed practice")
    ada = new_client()
    sign_in_as(ada, colleague_id)
    ada.post_form(f"/nurse/patients/{actors.profile_a}/edit",
                  form_for(ada, actors.profile_a, gp_practice_phone="020 7946 0777"))
    assert profile(app, actors.profile_a).version == 2

    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", mine)
    raw = response.get_data(as_text=True)
    body = page(response)
    assert response.status_code == 409  # a conflict, not "OK": nothing was saved
    assert "Someone else saved changes while you were editing" in body
    assert "Nurse Ada changed GP practice phone number on " in body
    assert "Their changes are now in the form: GP practice phone number." in body
    again = form_on(raw)
    assert (again["phone"], again["gp_practice_name"]) == ("07700 900 555", "My typed practice")  # nothing lost
    assert again["gp_practice_phone"] == "020 7946 0777"  # Ada's change, taken into the form
    assert again["version"] == "2"
    saved = profile(app, actors.profile_a)
    assert (saved.gp_practice_phone, saved.phone, saved.version) == ("020 7946 0777", None, 2)
    with app.app_context():
        conflict = db.session.scalar(select(AuditEvent).where(AuditEvent.outcome == "conflict"))
        assert conflict.actor_id == actors.nurse_a and conflict.detail == {"seen_version": 1}

    # Having seen it, she saves again: her changes go in and Ada's phone number stays.
    nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", again)
    saved = profile(app, actors.profile_a)
    assert (saved.gp_practice_phone, saved.phone, saved.gp_practice_name, saved.version) == (
        "020 7946 0777", "07700 900 555", "My typed practice", 3)


def test_when_both_nurses_change_the_same_detail_hers_is_kept_for_her_to_decide(app, nurse, new_client, actors):
    colleague_id = add_colleague(app, actors)
    mine = form_for(nurse, actors.profile_a, gp_practice_name="Parkview Surgery")
    ada = new_client()
    sign_in_as(ada, colleague_id)
    ada.post_form(f"/nurse/patients/{actors.profile_a}/edit",
                  form_for(ada, actors.profile_a, gp_practice_name="Riverside Practice"))
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", mine)
    body = page(response)
    assert "You both changed GP practice. The form shows what you typed" in body
    assert form_on(response.get_data(as_text=True))["gp_practice_name"] == "Parkview Surgery"
    assert "Riverside Practice" in body  # what is saved now, beside it
    assert profile(app, actors.profile_a).gp_practice_name == "Riverside Practice"


def test_a_save_racing_past_the_version_check_is_caught_by_the_database(app, nurse, actors, monkeypatch):
    """Two saves in the same instant both pass the explicit check; the version column stops
    the second one."""
    from app.nurse import routes

    data = form_for(nurse, actors.profile_a, phone="07700 900 555")
    real = routes._typed_values

    def colleague_saves_first(form):
        with db.engine.begin() as other_connection:  # another request, committed in between
            other_connection.execute(
                PatientProfile.__table__.update().where(PatientProfile.id == actors.profile_a)
                .values(version=2, gp_practice_phone="020 7946 0777")
            )
        return real(form)

    monkeypatch.setattr(routes, "_typed_values", colleague_saves_first)
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", data)
    assert response.status_code == 409
    assert "Someone else saved changes while you were editing" in page(response)
    assert 'value="07700 900 555"' in page(response)
    saved = profile(app, actors.profile_a)
    assert (saved.phone, saved.gp_practice_phone, saved.version) == (None, "020 7946 0777", 2)
    assert form_on(response.get_data(as_text=True))["version"] == "2"


def test_the_patient_page_is_a_hub_with_change_links_and_contacts(app, nurse, actors):
    with app.app_context():
        from app.models import Team
        team = db.session.get(Team, actors.team_a)
        team.phone, team.hours = "020 7946 0123", "Monday to Friday, 9am to 5pm"
        team.out_of_hours_name, team.out_of_hours_phone = "Acute oncology 24-hour line", "020 7946 0999"
        db.session.commit()
    body = page(nurse.get(f"/nurse/patients/{actors.profile_a}"))
    assert f'/nurse/patients/{actors.profile_a}/edit#key_worker_id' in body
    assert "Change<span class=\"nhsuk-u-visually-hidden\"> key worker" in body
    assert "020 7946 0123" in body and "Monday to Friday, 9am to 5pm" in body
    assert "Acute oncology 24-hour line: 020 7946 0999" in body
    assert "Offer a needs assessment" in body
    assert "No passkey or password set up yet" in body and "Last signed in" in body
    assert "Signed up" not in body


def test_another_teams_patient_cannot_be_edited(app, nurse, actors):
    assert nurse.get(f"/nurse/patients/{actors.profile_b}/edit").status_code == 404
    response = nurse.post_form(f"/nurse/patients/{actors.profile_b}/edit", {"given_name": "Hacked"})
    assert response.status_code == 404
    assert profile(app, actors.profile_b).given_name == "Ben"


@pytest.mark.parametrize(("nhs_number_of", "told_it_is_in_the_team"), [("profile_a", True), ("profile_b", False)])
def test_a_duplicate_nhs_number_says_so_only_for_the_nurses_own_team(app, nurse, actors, nhs_number_of, told_it_is_in_the_team):
    with app.app_context():
        nhs_number = db.session.get(PatientProfile, getattr(actors, nhs_number_of)).nhs_number
    response = nurse.post_form("/nurse/patients/new", {
        "given_name": "Nia", "family_name": "Newton", "nhs_number": nhs_number,
        "date_of_birth-day": "4", "date_of_birth-month": "9", "date_of_birth-year": "1966",
        "tumour_pathway": "colorectal",
    })
    body = page(response)
    assert "A patient with this NHS number is already registered" in body
    assert ("Search your team's patients by NHS number to find them" in body) is told_it_is_in_the_team
    assert "Ben Baker" not in body and "Team B" not in body


def test_phone_numbers_are_checked_by_the_shared_validator():
    import app.nurse.forms as forms

    for field in (forms.EditPatientForm.phone, forms.EditPatientForm.gp_practice_phone):
        assert any(getattr(v, "__module__", "") == "app.forms" and v.__qualname__.startswith("phone_number.")
                   for v in field.kwargs["validators"])
    assert not hasattr(forms, "_phone_number")


def test_the_patient_pages_use_the_shared_date_filters_not_strftime():
    """strftime('%-d') works on Linux only; long_date and date_time work everywhere, in London time."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pages = [p for p in (root / "templates" / "nurse").glob("*.html")
             if not p.name.startswith(("queue", "_patient_queue"))]
    for path in [*pages, root / "app" / "nurse" / "routes.py"]:
        assert "strftime" not in path.read_text(encoding="utf-8"), path.name


def test_a_patients_details_page_shows_dates_in_words(app, nurse, actors):
    body = page(nurse.get(f"/nurse/patients/{actors.profile_a}"))
    assert "17 May 1960" in body and "Never" in body


# ---------------------------------------------------------------- the tumour pathway


def pathway_events(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.pathway_change")))


def test_the_tumour_pathway_is_changed_on_the_edit_page(app, nurse, actors):
    body = page(nurse.get(f"/nurse/patients/{actors.profile_a}/edit"))
    assert '<select class="nhsuk-select" id="tumour_pathway" name="tumour_pathway"' in body
    assert "Colorectal (bowel)" in body and "Choose a pathway" not in body
    before = profile(app, actors.profile_a).tumour_pathway
    data = form_for(nurse, actors.profile_a, tumour_pathway="colorectal")
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", data, follow_redirects=True)
    assert "Tumour pathway changed to Colorectal (bowel)." in page(response)
    assert profile(app, actors.profile_a).tumour_pathway == "colorectal"
    assert updates(app)[-1].detail["fields"] == ["tumour_pathway"]
    [event] = pathway_events(app)
    assert event.detail == {"old": before, "new": "colorectal"}
    # The patient page links to it.
    assert f'href="/nurse/patients/{actors.profile_a}/edit#tumour_pathway"' in page(nurse.get(f"/nurse/patients/{actors.profile_a}"))


@pytest.mark.parametrize("value", ["", "spleen"])
def test_a_pathway_not_in_the_list_is_refused_and_the_rest_kept(app, nurse, actors, value):
    data = form_for(nurse, actors.profile_a, tumour_pathway=value, gp_practice_name="Typed practice")
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", data)
    body = page(response)
    assert "Choose the patient's tumour pathway from the list" in body and "There is a problem" in body
    assert 'value="Typed practice"' in body
    assert profile(app, actors.profile_a).gp_practice_name is None and pathway_events(app) == []


def test_a_pathway_no_longer_listed_is_kept_when_other_details_are_saved(app, nurse, actors):
    with app.app_context():
        db.session.get(PatientProfile, actors.profile_a).tumour_pathway = "old_pathway"
        db.session.commit()
    data = form_for(nurse, actors.profile_a, phone="07700 900 777")
    assert data["tumour_pathway"] == "old_pathway"
    nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", data)
    saved = profile(app, actors.profile_a)
    assert (saved.phone, saved.tumour_pathway) == ("07700 900 777", "old_pathway")


def test_a_colleagues_pathway_change_in_the_meantime_is_merged_not_overwritten(app, nurse, new_client, actors):
    colleague_id = add_colleague(app, actors)
    mine = form_for(nurse, actors.profile_a, phone="07700 900 555")
    ada = new_client()
    sign_in_as(ada, colleague_id)
    ada.post_form(f"/nurse/patients/{actors.profile_a}/edit", form_for(ada, actors.profile_a, tumour_pathway="lung"))
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", mine)
    body = page(response)
    assert "Nurse Ada changed tumour pathway on " in body
    assert "Their changes are now in the form: tumour pathway." in body
    again = form_on(response.get_data(as_text=True))
    assert (again["tumour_pathway"], again["phone"]) == ("lung", "07700 900 555")
    nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", again)
    saved = profile(app, actors.profile_a)
    assert (saved.tumour_pathway, saved.phone, saved.version) == ("lung", "07700 900 555", 3)


def test_when_both_nurses_change_the_pathway_hers_is_kept_for_her_to_decide(app, nurse, new_client, actors):
    colleague_id = add_colleague(app, actors)
    mine = form_for(nurse, actors.profile_a, tumour_pathway="prostate")
    ada = new_client()
    sign_in_as(ada, colleague_id)
    ada.post_form(f"/nurse/patients/{actors.profile_a}/edit", form_for(ada, actors.profile_a, tumour_pathway="lung"))
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", mine)
    body = page(response)
    assert "You both changed tumour pathway. The form shows what you typed" in body
    assert form_on(response.get_data(as_text=True))["tumour_pathway"] == "prostate"
    assert profile(app, actors.profile_a).tumour_pathway == "lung"


def test_a_nurse_records_the_date_of_diagnosis_and_can_clear_it(app, nurse, actors):
    data = form_for(nurse, actors.profile_a, **{"diagnosed_on-day": "3", "diagnosed_on-month": "2", "diagnosed_on-year": "2026"})
    body = page(nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", data, follow_redirects=True))

    assert profile(app, actors.profile_a).diagnosed_on == date(2026, 2, 3)
    assert "Date of diagnosis" in body and "3 February 2026" in body
    [event] = updates(app)
    assert event.detail["fields"] == ["diagnosed_on"]

    data = form_for(nurse, actors.profile_a, **{"diagnosed_on-day": "", "diagnosed_on-month": "", "diagnosed_on-year": ""})
    nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", data)
    assert profile(app, actors.profile_a).diagnosed_on is None
