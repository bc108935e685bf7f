"""Command-line tasks: bootstrapping the first admin, and seeding demo data."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import Invitation, PatientProfile, Role, Team, User
from tests.auth import Invite, enrol_with_passkey, is_signed_in
from tests.webauthn_fake import FakeAuthenticator

LINK = re.compile(r"https?://\S+(/enrol/[\w-]+)")
CODE = re.compile(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b")


def create_admin(runner, *extra):
    return runner.invoke(args=["create-admin", "--name", "Jo Bloggs", "--email", "Jo.Bloggs@Example.test", *extra])


def admin(app) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.role == Role.ADMIN))
        db.session.expunge(user)
        return user


def test_create_admin_makes_an_admin_and_prints_a_link_and_a_code(app, runner):
    result = create_admin(runner)

    assert result.exit_code == 0, result.output
    assert "Admin Jo Bloggs <jo.bloggs@example.test> created." in result.output
    assert LINK.search(result.output) and CODE.search(result.output)
    user = admin(app)
    assert (user.display_name, user.email, user.active) == ("Jo Bloggs", "jo.bloggs@example.test", True)


def test_the_printed_link_lets_the_admin_set_up_a_passkey_and_sign_in(app, runner, client):
    link = LINK.search(create_admin(runner).output).group(1)

    response = enrol_with_passkey(client, FakeAuthenticator(), Invite.from_link(link), dob=None)

    assert response.status_code == 200
    assert client.get("/").headers["Location"].startswith("/admin")
    assert client.get("/admin/").status_code == 200


def test_the_printed_code_works_too(runner, client):
    code = CODE.search(create_admin(runner).output).group(1)

    response = client.post_form("/enrol", {"code": code})

    assert response.headers["Location"] == "/enrol/passkey"  # staff: no date of birth


def test_create_admin_can_create_or_join_a_team(app, runner):
    create_admin(runner, "--team", "Oncology")
    runner.invoke(args=["create-admin", "--name", "Sam", "--email", "sam@example.test", "--team", "Oncology"])

    with app.app_context():
        assert db.session.scalar(select(func.count(Team.id))) == 1
        team = db.session.scalar(select(Team))
        assert sorted(u.display_name for u in team.members) == ["Jo Bloggs", "Sam"]


def test_create_admin_refuses_an_email_address_already_in_use(app, runner):
    create_admin(runner)

    result = runner.invoke(args=["create-admin", "--name", "Someone", "--email", "jo.bloggs@example.test"])

    assert result.exit_code != 0
    assert "An account for jo.bloggs@example.test already exists." in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_create_admin_needs_a_name_and_an_email(runner):
    assert runner.invoke(args=["create-admin", "--name", "Jo"]).exit_code != 0


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Team.id))),
            db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(PatientProfile.id))),
        )


def test_seed_demo_can_be_run_again_without_making_duplicates(app, runner):
    first = runner.invoke(args=["seed-demo"])
    seeded = counts(app)
    second = runner.invoke(args=["seed-demo"])

    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert counts(app) == seeded == (2, 6, 3)


def test_seed_demo_prints_fresh_invitations_that_replace_the_last_ones(app, runner, client):
    first_codes = CODE.findall(runner.invoke(args=["seed-demo"]).output)
    second_codes = CODE.findall(runner.invoke(args=["seed-demo"]).output)

    assert len(first_codes) == len(second_codes) == 2  # Priya (patient) and Jo Admin
    assert not set(first_codes) & set(second_codes)
    with app.app_context():
        usable = [i for i in db.session.scalars(select(Invitation)) if i.usable()]
    assert len(usable) == 2
    assert "replaced by a newer one" in client.post_form("/enrol", {"code": first_codes[0]}).get_data(as_text=True)
    assert client.post_form("/enrol", {"code": second_codes[0]}).status_code == 303


def test_seed_demo_does_not_invite_someone_who_has_already_enrolled(app, runner, client):
    output = runner.invoke(args=["seed-demo"]).output
    jo_admins_link = LINK.search(output, output.index("Jo Admin")).group(1)
    enrol_with_passkey(client, FakeAuthenticator(), Invite.from_link(jo_admins_link), dob=None)
    assert is_signed_in(client)

    again = runner.invoke(args=["seed-demo"]).output

    assert "Jo Admin" not in again
    assert "Priya Sharma" in again
