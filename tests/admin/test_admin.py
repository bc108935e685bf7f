"""An admin creates teams and staff accounts, invites staff, ends sessions and closes accounts."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.auth import invitations
from app.extensions import db
from app.models import AuditEvent, Invitation, Role, Team, User, UserSession
from tests.helpers import page, sign_in_as

NEW_NURSE = {"display_name": "Nadia Nurse", "email": "Nadia.Nurse@NHS.net", "role": "nurse"}


def shown_in_summary_and_beside_the_field(body: str, anchor: str, message: str) -> bool:
    """The design system's error summary links to the field, and the field repeats the message."""
    in_summary = re.search(rf'<a href="#{anchor}"\s*>\s*{re.escape(message)}\s*</a>', body)
    beside_field = re.search(rf'<span class="nhsuk-u-visually-hidden">Error: </span>\s*{re.escape(message)}', body)
    return bool(in_summary and beside_field)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def add_staff(admin, actors, **changes):
    data = {**NEW_NURSE, "team_id": str(actors.team_a), **changes}
    return admin.post_form("/admin/staff", {k: v for k, v in data.items() if v is not None},
                           follow_redirects=True)


def invitation_link(body: str) -> str:
    return re.search(r'data-testid="invitation-link">([^<]+)<', body).group(1)


# ---------------------------------------------------------------- teams


def test_an_admin_adds_a_team(app, admin, actors):
    response = admin.post_form("/admin/teams", {"name": "  Lung Cancer CNS Team "}, follow_redirects=True)
    assert "Team ‘Lung Cancer CNS Team’ created." in page(response)
    assert "Lung Cancer CNS Team (0 people)" in page(response)
    with app.app_context():
        team_id = db.session.scalar(select(Team.id).where(Team.name == "Lung Cancer CNS Team"))
        assert [(e.actor_id, e.subject) for e in events("team.create")] == [(actors.admin, f"team:{team_id}")]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a team name"),
        ("T" * 121, "Team name must be 120 characters or fewer"),
        ("team a", "A team with this name already exists"),  # "Team A" exists, in another case
    ],
)
def test_a_team_name_must_be_given_short_and_new(app, admin, actors, name, message):
    body = page(admin.post_form("/admin/teams", {"name": name}))
    assert shown_in_summary_and_beside_the_field(body, "name", message)
    with app.app_context():
        assert count(Team) == 2


# ---------------------------------------------------------------- staff


def test_an_admin_adds_a_nurse_and_gets_an_invitation_to_send(app, admin, actors):
    body = page(add_staff(admin, actors))
    assert "Invitation ready" in body and "for Nadia Nurse" in body
    assert re.search(r'data-testid="invitation-code">[A-Z0-9]{4}-[A-Z0-9]{4}<', body)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nadia.nurse@nhs.net"))
        assert (user.role, user.team_id, user.display_name) == (Role.NURSE, actors.team_a, "Nadia Nurse")
        assert [(e.actor_id, e.subject) for e in events("staff.create")] == [(actors.admin, f"user:{user.id}")]
        assert count(Invitation, Invitation.user_id == user.id) == 1


def test_a_staff_invitation_goes_straight_to_making_a_passkey(admin, actors, new_client):
    link = invitation_link(page(add_staff(admin, actors)))
    response = new_client().get(link)
    assert response.status_code == 302 and response.location == "/enrol/passkey"


def test_a_staff_invitation_says_until_when_it_works_in_london_time(app, admin, actors, monkeypatch):
    # Issued at 11:30pm UTC on 16 June: 14 days on is 11:30pm UTC on 30 June, 1 July in London.
    monkeypatch.setattr(invitations, "utcnow", lambda: datetime(2027, 6, 16, 23, 30, tzinfo=timezone.utc))
    assert app.config["INVITATION_DAYS"] == 14

    assert "It works once, until 1 July 2027," in page(add_staff(admin, actors))


STAFF_MISTAKES = [
    ({"display_name": ""}, "display_name", "Enter their full name"),
    ({"email": ""}, "email", "Enter their work email address"),
    ({"email": "nadia.nhs.net"}, "email", "Enter an email address in the correct format, like name@nhs.net"),
    ({"role": None}, "role", "Choose a role"),
    ({"team_id": "0"}, "team_id", "Choose a team"),
]


@pytest.mark.parametrize(("changes", "field", "message"), STAFF_MISTAKES, ids=[m[2] for m in STAFF_MISTAKES])
def test_each_mistake_adding_staff_is_explained(app, admin, actors, changes, field, message):
    body = page(add_staff(admin, actors, **changes))
    assert "There is a problem" in body
    assert shown_in_summary_and_beside_the_field(body, field, message)
    with app.app_context():
        assert count(User, User.display_name == "Nadia Nurse") == 0


def test_an_email_address_can_have_only_one_account_whatever_its_case(app, admin, actors):
    add_staff(admin, actors)
    body = page(add_staff(admin, actors, display_name="Someone Else", email="NADIA.nurse@nhs.NET"))
    assert shown_in_summary_and_beside_the_field(
        body, "email", "Someone with this email address already has an account"
    )
    with app.app_context():
        assert count(User, User.email == "nadia.nurse@nhs.net") == 1


def test_what_was_typed_is_kept_after_a_mistake(admin, actors):
    body = page(add_staff(admin, actors, team_id="0"))
    assert 'value="Nadia Nurse"' in body and 'value="Nadia.Nurse@NHS.net"' in body
    assert re.search(r'value="nurse"\s+checked', body)


def test_a_new_staff_invitation_stops_the_older_one_working(app, admin, actors, new_client):
    first = invitation_link(page(add_staff(admin, actors)))
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "nadia.nurse@nhs.net"))
    second = invitation_link(page(admin.post_form(f"/admin/users/{user_id}/invitation", follow_redirects=True)))
    assert new_client().get(first).status_code == 404
    assert new_client().get(second).status_code == 302
    with app.app_context():
        assert len(events("invitation.issue")) == 1


def test_patients_are_not_invited_by_an_admin(app, admin, actors):
    response = admin.post_form(f"/admin/users/{actors.patient_a}/invitation", follow_redirects=True)
    assert "Patients get new invitations from their nurse" in page(response)
    with app.app_context():
        assert count(Invitation) == 0


# ---------------------------------------------------------------- sessions and closing accounts


@pytest.fixture
def nurse_browser(new_client, actors):
    browser = new_client()
    sign_in_as(browser, actors.nurse_a)
    assert browser.get("/nurse/patients").status_code == 200
    return browser


def test_ending_someones_sessions_signs_them_out_everywhere(app, admin, actors, nurse_browser):
    response = admin.post_form(f"/admin/users/{actors.nurse_a}/end-sessions", follow_redirects=True)
    assert "Signed Nurse A out of 1 session(s)." in page(response)
    assert nurse_browser.get("/nurse/patients").status_code == 302
    with app.app_context():
        (event,) = events("sessions.end")
        assert (event.actor_id, event.subject, event.detail) == (actors.admin, f"user:{actors.nurse_a}", {"sessions": 1})


def test_closing_an_account_signs_them_out_and_stops_their_invitations(app, admin, actors, nurse_browser):
    admin.post_form(f"/admin/users/{actors.nurse_a}/invitation")
    response = admin.post_form(f"/admin/users/{actors.nurse_a}/active", {"active": "0"}, follow_redirects=True)
    assert "Account closed and signed out everywhere." in page(response)
    assert nurse_browser.get("/nurse/patients").status_code == 302
    with app.app_context():
        assert db.session.get(User, actors.nurse_a).active is False
        assert count(UserSession, UserSession.user_id == actors.nurse_a, UserSession.revoked_at.is_(None)) == 0
        assert count(Invitation, Invitation.user_id == actors.nurse_a, Invitation.revoked_at.is_(None)) == 0
        assert [e.subject for e in events("user.closed")] == [f"user:{actors.nurse_a}"]


def test_a_closed_account_can_be_reopened(app, admin, actors):
    admin.post_form(f"/admin/users/{actors.nurse_a}/active", {"active": "0"})
    response = admin.post_form(f"/admin/users/{actors.nurse_a}/active", {"active": "1"}, follow_redirects=True)
    assert "Account reopened." in page(response)
    with app.app_context():
        assert db.session.get(User, actors.nurse_a).active is True
        assert [e.subject for e in events("user.active")] == [f"user:{actors.nurse_a}"]


def test_a_closed_staff_account_gets_no_invitation(app, admin, actors):
    admin.post_form(f"/admin/users/{actors.nurse_a}/active", {"active": "0"})
    response = admin.post_form(f"/admin/users/{actors.nurse_a}/invitation", follow_redirects=True)
    assert "This account is closed" in page(response)
    with app.app_context():
        assert count(Invitation) == 0


def test_an_admin_cannot_close_their_own_account(app, admin, actors):
    response = admin.post_form(f"/admin/users/{actors.admin}/active", {"active": "0"}, follow_redirects=True)
    assert "You cannot close your own account." in page(response)
    assert admin.get("/admin/").status_code == 200
    with app.app_context():
        assert db.session.get(User, actors.admin).active is True
        assert events("user.closed") == []


def test_an_unclear_request_changes_nothing(app, admin, actors):
    response = admin.post_form(f"/admin/users/{actors.nurse_a}/active", {}, follow_redirects=True)
    assert "Choose whether to close or reopen the account." in page(response)
    with app.app_context():
        assert db.session.get(User, actors.nurse_a).active is True


def test_the_account_page_shows_the_account_and_is_audited(app, admin, actors, nurse_browser):
    body = page(admin.get(f"/admin/users/{actors.nurse_a}"))
    assert "Nurse A" in body and "nurse.a@example.test" in body and "1 device(s)" in body
    assert "Close account" in body
    with app.app_context():
        assert [e.subject for e in events("user.view")] == [f"user:{actors.nurse_a}"]


def test_an_admin_sees_no_close_button_on_their_own_account(admin, actors):
    assert "Close account" not in page(admin.get(f"/admin/users/{actors.admin}"))


def test_refreshing_a_staff_invitation_does_not_show_it_again(admin, actors):
    first = add_staff(admin, actors)
    assert "Invitation ready" in page(first)
    again = admin.get(first.request.path, follow_redirects=True)
    assert "already been shown" in page(again)
