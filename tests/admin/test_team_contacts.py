"""An admin sets a team's single points of contact and response targets; nurses see them."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Role, Team, User
from app.triage.queue import DEFAULT_TARGET_WORKING_DAYS, ItemKind
from tests.helpers import page, sign_in_as

CONTACTS = {
    "phone": "020 7946 0123",
    "hours": "Monday to Friday, 9am to 5pm",
    "email": "lung.cns@nhs.net",
    "out_of_hours_name": "Acute oncology 24-hour line",
    "out_of_hours_phone": "020 7946 0999",
}
# A new 24-hour line is saved only when the admin says they rang it.
RANG_IT = {"out_of_hours_phone_checked": "y"}


def targets(**days) -> dict:
    """Every target field, at its default unless given."""
    return {f"target_{k.value}": str(days.get(k.value, DEFAULT_TARGET_WORKING_DAYS[k])) for k in ItemKind}


def shown_version(client, team_id: int) -> str:
    """The version the contacts page carries, as a browser would send it back."""
    body = client.get(f"/admin/teams/{team_id}").get_data(as_text=True)
    return re.search(r'<input type="hidden" name="version" value="([^"]*)"', body).group(1)


def save(client, team_id: int, data: dict, **kwargs):
    """Open the page, then save `data` on it."""
    return client.post_form(f"/admin/teams/{team_id}", {"version": shown_version(client, team_id), **data}, **kwargs)


def team(app, team_id: int) -> Team:
    with app.app_context():
        record = db.session.get(Team, team_id)
        db.session.expunge(record)
        return record


def updates(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "team.update", AuditEvent.outcome == "success")))


def test_the_teams_list_links_to_each_teams_contacts(admin, actors):
    body = page(admin.get("/admin/teams"))
    assert f'href="/admin/teams/{actors.team_a}"' in body


def test_the_page_shows_the_default_response_targets(admin, actors):
    body = page(admin.get(f"/admin/teams/{actors.team_a}"))
    assert "Contacts and response times" in body
    assert 'id="target_reentry" name="target_reentry" type="text" value="2"' in body
    assert 'id="target_hna_new" name="target_hna_new" type="text" value="5"' in body
    for label in ("Red-flag symptoms", "Other new needs assessments", "Overdue care plan reviews"):
        assert label in body


def test_an_admin_saves_contacts_and_targets_and_it_is_audited(app, admin, actors):
    response = save(admin, actors.team_a, {**CONTACTS, **RANG_IT, **targets(reentry=1, hna_new=3)},
                               follow_redirects=True)
    assert "Contacts for ‘Team A’ saved." in page(response)
    saved = team(app, actors.team_a)
    assert {k: getattr(saved, k) for k in CONTACTS} == CONTACTS
    assert saved.response_targets == {"reentry": 1, "hna_new": 3}  # only what differs from the default
    [event] = updates(app)
    assert (event.actor_id, event.subject) == (actors.admin, f"team:{actors.team_a}")
    assert event.detail == {"fields": [*CONTACTS, "response_targets"], "version": 2,
                            "confirmed": ["out_of_hours_phone_checked"]}
    assert team(app, actors.team_b).phone is None

    # Shown again as saved; saving the same again changes nothing.
    body = page(admin.get(f"/admin/teams/{actors.team_a}"))
    assert 'value="020 7946 0999"' in body
    response = save(admin, actors.team_a, {**CONTACTS, **targets(reentry=1, hna_new=3)},
                               follow_redirects=True)
    assert "Nothing was changed." in page(response)
    assert len(updates(app)) == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"target_reentry": "11"}, "Enter a whole number of working days from 0 to 10"),
    ({"target_hna_new": "-1"}, "Enter a whole number of working days from 0 to 10"),
    ({"target_red_flag": "1.5"}, "Enter a whole number of working days from 0 to 10"),
    ({"target_emergency": "two"}, "Enter a whole number of working days from 0 to 10"),
    ({"target_hna_high_distress": "２"}, "Enter a whole number of working days from 0 to 10"),
    ({"email": "not an email"}, "Enter an email address in the correct format, like team@nhs.net"),
    ({"phone": "ring us"}, "Enter the team phone number, like 020 7946 0123"),
    ({"out_of_hours_phone": "99"}, "Enter the out-of-hours phone number, like 020 7946 0999"),
    ({"hours": "x" * 201}, "Hours must be 200 characters or fewer"),
])
def test_bad_input_gets_a_clear_message_and_keeps_what_was_typed(app, admin, actors, changes, message):
    data = {**CONTACTS, **targets(), "out_of_hours_name": "Line <i>24</i>", **changes}
    response = save(admin, actors.team_a, data)
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page(response) and "There is a problem" in raw
    assert 'value="Line &lt;i&gt;24&lt;/i&gt;"' in raw
    assert team(app, actors.team_a).phone is None and updates(app) == []


def test_blank_targets_mean_the_default(app, admin, actors):
    data = {**CONTACTS, **targets(reentry=1)}
    save(admin, actors.team_a, data)
    save(admin, actors.team_a, {**data, "target_reentry": ""})
    assert team(app, actors.team_a).response_targets == {}


def test_only_admins_manage_team_contacts(app, client, actors):
    sign_in_as(client, actors.nurse_a)
    assert client.get(f"/admin/teams/{actors.team_a}").status_code == 404
    assert client.post_form(f"/admin/teams/{actors.team_a}", CONTACTS).status_code == 404
    assert team(app, actors.team_a).phone is None


def test_a_team_that_does_not_exist_answers_404_and_is_audited(app, admin):
    assert admin.get("/admin/teams/999999").status_code == 404
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.outcome == "refused"))
        assert (event.action, event.subject) == ("team.access_refused", "team:999999")


def test_a_nurse_sees_the_teams_contacts_read_only_on_the_patient_page(app, admin, client, new_client, actors):
    save(admin, actors.team_a, {**CONTACTS, **RANG_IT, **targets()})
    nurse = new_client()
    sign_in_as(nurse, actors.nurse_a)
    body = page(nurse.get(f"/nurse/patients/{actors.profile_a}"))
    assert "Monday to Friday, 9am to 5pm" in body and "lung.cns@nhs.net" in body
    assert "An admin changes these." in body
    assert "/admin/teams" not in body


def add_admin(app) -> int:
    with app.app_context():
        other = User(role=Role.ADMIN, display_name="Admin Bo", email="bo@example.test")
        db.session.add(other)
        db.session.commit()
        return other.id


def form_on(body: str) -> dict:
    """Every value the contacts form would send, as a browser would."""
    return {name: html.unescape(value) for tag, name, value in
            re.findall(r'(<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"[^>]*>)', body)
            if name != "csrf_token" and ('type="checkbox"' not in tag or re.search(r"\schecked\b", tag))}


def test_two_admins_saving_at_once_never_overwrite_each_other(app, admin, new_client, actors):
    # This admin opens the page; Admin Bo opens it too and saves a new phone number first.
    mine = {**CONTACTS, **RANG_IT, **targets(reentry=1), "version": shown_version(admin, actors.team_a), "phone": ""}
    bo = new_client()
    sign_in_as(bo, add_admin(app))
    save(bo, actors.team_a, {"phone": "020 7946 0777", **targets()})
    assert (team(app, actors.team_a).phone, team(app, actors.team_a).version) == ("020 7946 0777", 2)

    response = admin.post_form(f"/admin/teams/{actors.team_a}", mine)
    body = page(response)
    assert response.status_code == 409
    assert "Someone else saved these contacts while you were editing" in body
    assert "Admin Bo changed team phone number on" in body
    assert "nothing has been overwritten" in body
    assert "020 7946 0777" in body  # what is saved now, beside the form
    again = form_on(response.get_data(as_text=True))
    assert (again["hours"], again["target_reentry"], again["phone"]) == (CONTACTS["hours"], "1", "")  # kept as typed
    assert again["version"] == "2"
    saved = team(app, actors.team_a)
    assert (saved.phone, saved.hours, saved.response_targets, saved.version) == ("020 7946 0777", None, {}, 2)
    with app.app_context():
        conflict = db.session.scalar(select(AuditEvent).where(AuditEvent.outcome == "conflict"))
        assert (conflict.actor_id, conflict.action, conflict.detail) == (actors.admin, "team.update", {"seen_version": 1})

    # Having seen it, she puts Bo's number back in and saves again: now it is saved.
    admin.post_form(f"/admin/teams/{actors.team_a}", {**again, "phone": "020 7946 0777"})
    saved = team(app, actors.team_a)
    assert (saved.phone, saved.hours, saved.response_targets, saved.version) == (
        "020 7946 0777", CONTACTS["hours"], {"reentry": 1}, 3)


def test_a_save_without_the_version_it_was_based_on_is_not_saved_until_checked(app, admin, actors):
    response = admin.post_form(f"/admin/teams/{actors.team_a}", {**CONTACTS, **RANG_IT, **targets()})
    assert response.status_code == 200
    assert "Your changes have not been saved yet" in page(response)
    again = form_on(response.get_data(as_text=True))
    assert (again["phone"], again["version"]) == (CONTACTS["phone"], "1")
    assert team(app, actors.team_a).phone is None and updates(app) == []
    admin.post_form(f"/admin/teams/{actors.team_a}", again)
    assert team(app, actors.team_a).phone == CONTACTS["phone"]


def test_a_save_racing_past_the_version_check_is_caught_by_the_database(app, admin, actors, monkeypatch):
    """Two saves in the same instant both pass the explicit check; the version column stops
    the second one."""
    from app.admin import routes

    data = {**CONTACTS, **RANG_IT, **targets(), "version": shown_version(admin, actors.team_a)}
    real = routes.target_field_name
    raced = []

    def another_admin_saves_first(kind):
        if not raced:
            raced.append(kind)
            with db.engine.begin() as other_connection:  # another request, committed in between
                other_connection.execute(
                    Team.__table__.update().where(Team.id == actors.team_a).values(version=2, hours="Always")
                )
        return real(kind)

    monkeypatch.setattr(routes, "target_field_name", another_admin_saves_first)
    response = admin.post_form(f"/admin/teams/{actors.team_a}", data)
    assert raced and response.status_code == 409
    assert "Someone else saved these contacts while you were editing" in page(response)
    assert form_on(response.get_data(as_text=True))["phone"] == CONTACTS["phone"]
    assert form_on(response.get_data(as_text=True))["version"] == "2"
    saved = team(app, actors.team_a)
    assert (saved.phone, saved.hours, saved.version) == (None, "Always", 2)
    assert updates(app) == []


def test_adding_a_team_starts_it_at_version_1(app, admin):
    admin.post_form("/admin/teams", {"name": "Team C"})
    with app.app_context():
        assert db.session.scalar(select(Team.version).where(Team.name == "Team C")) == 1


def uses_the_shared_phone_validator(unbound_field) -> bool:
    return any(getattr(v, "__module__", "") == "app.forms" and v.__qualname__.startswith("phone_number.")
               for v in unbound_field.kwargs["validators"])


def test_the_contacts_form_lives_with_the_admin_forms_and_checks_phones_the_shared_way():
    import app.admin.routes as routes
    from app.admin.forms import TeamContactsForm

    assert uses_the_shared_phone_validator(TeamContactsForm.phone)
    assert uses_the_shared_phone_validator(TeamContactsForm.out_of_hours_phone)
    assert not hasattr(routes, "_phone_check")
    assert not [name for name, value in vars(routes).items()
                if isinstance(value, type) and value.__module__ == routes.__name__]  # no form classes left in routes


# ---------------------------------------------------------------- confirmations


LONGER_WAIT_ERROR = ("Tick ‘Red flags will wait more than the same working day’ to keep a target above 0 for "
                     "red-flag symptoms or emergency reports, or set them to 0")
RANG_IT_ERROR = "Call the new out-of-hours number to check it, then tick ‘I have checked this number by calling it’"


@pytest.mark.parametrize("kind", ["red_flag", "emergency"])
def test_a_same_day_target_above_0_needs_a_tick_and_says_so(app, admin, actors, kind):
    data = {**CONTACTS, **RANG_IT, **targets(**{kind: 1, "reentry": 3})}
    response = save(admin, actors.team_a, data)
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert LONGER_WAIT_ERROR in page(response) and "There is a problem" in raw
    assert 'href="#longer_red_flag_wait"' in raw
    typed = form_on(raw)  # everything typed is kept, the other tick too
    assert (typed[f"target_{kind}"], typed["target_reentry"], typed["phone"]) == ("1", "3", CONTACTS["phone"])
    assert typed["out_of_hours_phone_checked"] == "y" and "longer_red_flag_wait" not in typed
    assert team(app, actors.team_a).phone is None and updates(app) == []

    response = admin.post_form(f"/admin/teams/{actors.team_a}", {**typed, "longer_red_flag_wait": "y"},
                               follow_redirects=True)
    assert "Contacts for ‘Team A’ saved." in page(response)
    assert "Red flags wait more than the same working day" in page(response)  # said on the page from now on
    assert team(app, actors.team_a).response_targets == {kind: 1, "reentry": 3}
    [event] = updates(app)
    assert event.detail["confirmed"] == ["out_of_hours_phone_checked", "longer_red_flag_wait"]

    # Saved once, it is not asked again for other changes.
    response = save(admin, actors.team_a, {**CONTACTS, **targets(**{kind: 1, "reentry": 3}), "hours": "Always"},
                    follow_redirects=True)
    assert "Contacts for ‘Team A’ saved." in page(response)
    assert "confirmed" not in updates(app)[-1].detail


def test_same_day_targets_need_no_tick(app, admin, actors):
    response = save(admin, actors.team_a, {**CONTACTS, **RANG_IT, **targets(red_flag=0, emergency=0)},
                    follow_redirects=True)
    assert "Contacts for ‘Team A’ saved." in page(response)
    assert "Red flags wait more than the same working day" not in page(response)


def test_a_new_or_changed_24_hour_line_needs_a_tick_that_it_was_rung(app, admin, actors):
    response = save(admin, actors.team_a, {**CONTACTS, **targets()})
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert RANG_IT_ERROR in page(response) and 'href="#out_of_hours_phone_checked"' in raw
    assert form_on(raw)["out_of_hours_phone"] == CONTACTS["out_of_hours_phone"]
    assert team(app, actors.team_a).out_of_hours_phone is None

    save(admin, actors.team_a, {**CONTACTS, **RANG_IT, **targets()})
    assert team(app, actors.team_a).out_of_hours_phone == CONTACTS["out_of_hours_phone"]
    # The same number again: no tick needed. A different one: asked again.
    response = save(admin, actors.team_a, {**CONTACTS, **targets(), "hours": "Always"}, follow_redirects=True)
    assert "Contacts for ‘Team A’ saved." in page(response)
    response = save(admin, actors.team_a, {**CONTACTS, **targets(), "out_of_hours_phone": "020 7946 0998"})
    assert RANG_IT_ERROR in page(response)
    assert team(app, actors.team_a).out_of_hours_phone == CONTACTS["out_of_hours_phone"]
    # Removing it needs no call (patients are then told to call 111, or 999).
    save(admin, actors.team_a, {**CONTACTS, **targets(), "out_of_hours_phone": ""})
    assert team(app, actors.team_a).out_of_hours_phone is None
