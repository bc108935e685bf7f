"""An admin sets a team's single points of contact and response targets; nurses see them."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Team
from app.triage.queue import DEFAULT_TARGET_WORKING_DAYS, ItemKind
from tests.helpers import sign_in_as

CONTACTS = {
    "phone": "020 7946 0123",
    "hours": "Monday to Friday, 9am to 5pm",
    "email": "lung.cns@nhs.net",
    "out_of_hours_name": "Acute oncology 24-hour line",
    "out_of_hours_phone": "020 7946 0999",
}


@pytest.fixture
def admin(client, actors):
    sign_in_as(client, actors.admin)
    return client


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def targets(**days) -> dict:
    """Every target field, at its default unless given."""
    return {f"target_{k.value}": str(days.get(k.value, DEFAULT_TARGET_WORKING_DAYS[k])) for k in ItemKind}


def team(app, team_id: int) -> Team:
    with app.app_context():
        record = db.session.get(Team, team_id)
        db.session.expunge(record)
        return record


def updates(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "team.update")))


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
    response = admin.post_form(f"/admin/teams/{actors.team_a}", {**CONTACTS, **targets(reentry=1, hna_new=3)},
                               follow_redirects=True)
    assert "Contacts for ‘Team A’ saved." in page(response)
    saved = team(app, actors.team_a)
    assert {k: getattr(saved, k) for k in CONTACTS} == CONTACTS
    assert saved.response_targets == {"reentry": 1, "hna_new": 3}  # only what differs from the default
    [event] = updates(app)
    assert (event.actor_id, event.subject) == (actors.admin, f"team:{actors.team_a}")
    assert event.detail == {"fields": [*CONTACTS, "response_targets"]}
    assert team(app, actors.team_b).phone is None

    # Shown again as saved; saving the same again changes nothing.
    body = page(admin.get(f"/admin/teams/{actors.team_a}"))
    assert 'value="020 7946 0999"' in body
    response = admin.post_form(f"/admin/teams/{actors.team_a}", {**CONTACTS, **targets(reentry=1, hna_new=3)},
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
    response = admin.post_form(f"/admin/teams/{actors.team_a}", data)
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page(response) and "There is a problem" in raw
    assert 'value="Line &lt;i&gt;24&lt;/i&gt;"' in raw
    assert team(app, actors.team_a).phone is None and updates(app) == []


def test_blank_targets_mean_the_default(app, admin, actors):
    data = {**CONTACTS, **targets(reentry=1)}
    admin.post_form(f"/admin/teams/{actors.team_a}", data)
    admin.post_form(f"/admin/teams/{actors.team_a}", {**data, "target_reentry": ""})
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
    admin.post_form(f"/admin/teams/{actors.team_a}", {**CONTACTS, **targets()})
    nurse = new_client()
    sign_in_as(nurse, actors.nurse_a)
    body = page(nurse.get(f"/nurse/patients/{actors.profile_a}"))
    assert "Monday to Friday, 9am to 5pm" in body and "lung.cns@nhs.net" in body
    assert "An admin changes these." in body
    assert "/admin/teams" not in body
