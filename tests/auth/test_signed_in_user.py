"""Who is asking: the signed-in person as values read with the session (`sessions.SignedInUser`),
and the tracked records made from them without a query for the code that needs records."""
from __future__ import annotations

import copy
import pickle
from contextlib import contextmanager

import pytest
from flask_login import current_user, login_required
from sqlalchemy import event

from app.authz import current_patient
from app.extensions import db
from app.models import Role, Team, User
from app.sessions import SignedInUser, current_user_record
from tests.conftest import base_test_config
from tests.helpers import sign_in_as



@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    # A setting of its own, so that this module gets an app of its own (it adds a view), not the
    # app the other tests share.
    return {**base_test_config(database_url, tmp_path), "TEST_VIEW": "who is asking"}


@pytest.fixture
def app(app):
    """The app with a view that calls the test's `check` (`CHECKS[0]`) and keeps what it returns."""

    def view():
        CHECKS.append(CHECKS.pop(0)())
        return ""

    app.add_url_rule("/test-who-is-asking", "test_who_is_asking", login_required(view))
    return app


CHECKS: list = []


def inside_a_signed_in_request(client, user_id: int, check):
    """What `check()` returns when called by a view, in a request signed in as `user_id`."""
    CHECKS[:] = [check]
    sign_in_as(client, user_id)
    assert client.get("/test-who-is-asking").status_code == 200
    return CHECKS.pop()


@contextmanager
def no_statements():
    """Fails if the database is sent anything inside the block."""
    sent = []

    def executed(_connection, _cursor, statement, *_):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", executed)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
    assert sent == []


def test_the_signed_in_person_is_values_read_with_the_session_and_equal_to_their_user(app, client, actors):
    def check():
        person = current_user._get_current_object()
        return (type(person), person.id, person.role, person.display_name, person.team_id, person.is_authenticated,
                person.is_patient, person.is_staff, person.is_admin, person.get_id(), person.patient_profile.id,
                person.patient_profile.team["name"], person == db.session.get(User, actors.patient_a))

    assert inside_a_signed_in_request(client, actors.patient_a, check) == (
        SignedInUser, actors.patient_a, Role.PATIENT, "Ann Able", actors.team_a, True,
        True, False, False, str(actors.patient_a), actors.profile_a,
        "Team A", True)


def test_the_patients_own_record_is_tracked_with_its_team_and_key_worker_without_a_query(app, client, actors):
    def check():
        with no_statements():
            profile = current_patient()
            return (profile is current_patient(), profile in db.session, bool(db.session.dirty), profile.id,
                    profile.given_name, profile.team.name, profile.key_worker.display_name)

    assert inside_a_signed_in_request(client, actors.patient_a, check) == (
        True, True, False, actors.profile_a, "Ann", "Team A", "Nurse A")


def test_a_member_of_staffs_own_user_and_team_are_found_without_a_query(app, client, actors):
    def check():
        with no_statements():
            nurse = current_user_record()
            return (nurse.id, nurse.team.name, nurse.patient_profile, db.session.get(Team, actors.team_a) is nurse.team)

    assert inside_a_signed_in_request(client, actors.nurse_a, check) == (actors.nurse_a, "Team A", None, True)


def test_the_record_of_the_signed_in_person_is_their_tracked_user(app, client, actors):
    def check():
        record = current_user_record()
        return type(record), record.id, record in db.session

    assert inside_a_signed_in_request(client, actors.patient_a, check) == (User, actors.patient_a, True)


@pytest.mark.parametrize("who", ["patient_a", "nurse_a"])
def test_records_are_read_anew_when_the_sessions_activity_was_committed_first(app, client, actors, who,
                                                                             monkeypatch):
    """When the session's activity is due, its commit ends the transaction the session's values
    were read in: another's change may land between the two (here, right after that commit), so
    the records the request works with (a version an edit is checked against, the team a red flag
    goes to) are read again, never made from the earlier values."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from app.models import PatientProfile
    from tests.helpers import make_session_activity_due

    sign_in_as(client, getattr(actors, who))
    make_session_activity_due(app, getattr(actors, who), monkeypatch)
    with app.app_context():
        new_team = db.session.get(Team, actors.team_b).name

    done = []

    def someone_else_renames_the_team_and_moves_ann(_session):
        if done:
            return
        done.append(True)
        with db.engine.begin() as other:
            other.execute(text("UPDATE teams SET name = 'Team A renamed', version = version + 1 WHERE id = :id"),
                          {"id": actors.team_a})
            other.execute(text("UPDATE patient_profiles SET team_id = :team, version = version + 1 WHERE id = :id"),
                          {"team": actors.team_b, "id": actors.profile_a})

    def check():
        if who == "patient_a":
            profile = current_patient()
            return profile.team_id, profile.team.name
        return current_user_record().team.name, db.session.get(PatientProfile, actors.profile_a).team_id

    event.listen(Session, "after_commit", someone_else_renames_the_team_and_moves_ann)
    CHECKS[:] = [check]
    try:
        assert client.get("/test-who-is-asking").status_code == 200
    finally:
        event.remove(Session, "after_commit", someone_else_renames_the_team_and_moves_ann)
    assert done, "the session's activity was committed before the view"
    expected = (actors.team_b, new_team) if who == "patient_a" else ("Team A renamed", actors.team_b)
    assert CHECKS.pop() == expected


def _session_statement_sent(client, user_id: int) -> str:
    """The SQL of the statement that read the session, on a request signed in as `user_id`."""
    sent = []

    def executed(_connection, _cursor, statement, *_):
        sent.append(statement)

    sign_in_as(client, user_id)
    with client.application.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", executed)
    try:
        assert client.get("/test-who-is-asking").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    (statement,) = [sql for sql in sent if "user_sessions.token_hash" in sql]
    return statement


@pytest.mark.parametrize("who", ["patient_a", "nurse_a"])
def test_the_session_is_read_without_the_persons_secrets_or_the_key_workers(app, client, actors, who):
    """Every request reads the session with its person, and a patient's with their key worker: the
    columns the request uses, never a password hash, an email address or the key worker's passkey
    handle (which only the pages that need them read)."""
    CHECKS[:] = [lambda: None]
    statement = _session_statement_sent(client, getattr(actors, who))
    for column in ("users.password_hash", "users.email", "users.created_at", "key_worker.password_hash",
                   "key_worker.email", "key_worker.webauthn_user_handle", "key_worker.created_at"):
        assert column not in statement


def test_what_a_member_of_staff_was_not_read_with_the_session_is_read_when_asked(app, client, actors):
    def check():
        nurse = current_user_record()
        return nurse.email, nurse.password_hash is None, nurse.created_at is not None

    with app.app_context():
        email = db.session.get(User, actors.nurse_a).email
    assert inside_a_signed_in_request(client, actors.nurse_a, check) == (email, True, True)


def test_a_patient_read_for_staff_is_the_record_the_orm_would_load(app, client, actors):
    """authz.patient_for_staff reads the record by one plain statement and makes it tracked
    (sessions.read_tracked): the same values as the ORM's load, in the session, the same record
    when read again, its relationships loaded when asked, and a change to it written with its
    version checked, as a record the ORM loaded."""
    from sqlalchemy import inspect

    from app.authz import patient_for_staff
    from app.models import PatientProfile

    columns = [attribute.key for attribute in inspect(PatientProfile).column_attrs]
    with app.app_context():
        loaded = db.session.get(PatientProfile, actors.profile_a)
        expected = {key: getattr(loaded, key) for key in columns}
        user_id = loaded.user.id

    def check():
        profile = patient_for_staff(actors.profile_a)
        values = {key: getattr(profile, key) for key in columns}
        with no_statements():
            again = patient_for_staff(actors.profile_a)
        state = inspect(profile)
        read = (values, again is profile, state.persistent, bool(db.session.dirty), profile.team.name,
                profile.user.id)
        profile.given_name = "Annie"
        db.session.commit()
        return (*read, profile.version)

    assert inside_a_signed_in_request(client, actors.nurse_a, check) == (
        expected, True, True, False, "Team A", user_id, expected["version"] + 1)
    with app.app_context():
        assert db.session.get(PatientProfile, actors.profile_a).given_name == "Annie"


@pytest.mark.parametrize("read, expected", [
    (lambda team: team.name, "Team A"),
    (lambda team: team["name"], "Team A"),
    (lambda team: team.out_of_hours_phone, None),
    (lambda team: dict(team), {"name": "Team A", "out_of_hours_phone": None}),
    (lambda team: vars_of(**team), {"name": "Team A", "out_of_hours_phone": None}),
    (lambda team: team.get("missing", "no such column"), "no such column"),
    (lambda team: "name" in team and len(team), 2),
    (lambda team: getattr(team, "missing", "no such column"), "no such column"),
])
def test_a_records_values_read_with_the_session_answer_by_attribute_and_by_key(read, expected):
    """sessions.RecordValues: the one object holding a record's columns read with the session
    (a patient's team, record and key worker), read as a record is or as a mapping."""
    from app.sessions import RecordValues

    assert read(RecordValues({"name": "Team A", "out_of_hours_phone": None})) == expected


def vars_of(**columns):
    return columns


def test_a_records_values_read_with_the_session_are_read_only():
    from app.sessions import RecordValues

    team = RecordValues({"name": "Team A"})
    with pytest.raises(AttributeError):
        team.name = "Team B"
    with pytest.raises(TypeError):
        team["name"] = "Team B"
    with pytest.raises(KeyError):
        team["missing"]
    assert team.name == "Team A"


# Ways to get a second RecordValues from one: each gives equal values, still a RecordValues.
_COPIES = {
    "copy.copy": copy.copy,
    "copy.deepcopy": copy.deepcopy,
    "pickle round trip": lambda values: pickle.loads(pickle.dumps(values)),
    "pickle round trip, protocol 0": lambda values: pickle.loads(pickle.dumps(values, protocol=0)),
}


@pytest.mark.parametrize("how", list(_COPIES))
def test_a_copy_of_a_records_values_is_equal_and_still_read_only(how):
    from app.sessions import RecordValues

    team = RecordValues({"name": "Team A", "out_of_hours_phone": "020 7946 0999"})
    copied = _COPIES[how](team)
    assert type(copied) is RecordValues and copied == team and copied.out_of_hours_phone == "020 7946 0999"
    with pytest.raises(TypeError):
        copied["name"] = "Team B"
    with pytest.raises(TypeError):
        copied.__init__({"name": "Team B"})
    assert copied == team


# Every way to change a dict in place, each refused: the values stay as read.
_CHANGES = {
    "__setitem__": lambda values: values.__setitem__("name", "Team B"),
    "__delitem__": lambda values: values.__delitem__("name"),
    "|=": lambda values: values.__ior__({"name": "Team B"}),
    "clear": lambda values: values.clear(),
    "pop": lambda values: values.pop("name"),
    "popitem": lambda values: values.popitem(),
    "setdefault": lambda values: values.setdefault("phone", "0"),
    "update": lambda values: values.update(name="Team B"),
    "__init__ again": lambda values: values.__init__({"name": "Team B"}),
    "__init__ again, by keyword": lambda values: values.__init__(name="Team B"),
    "dict.__init__ again": lambda values: values.__init__(),
}


@pytest.mark.parametrize("change", list(_CHANGES))
def test_every_way_to_change_a_records_values_in_place_is_refused(change):
    from app.sessions import RecordValues

    team = RecordValues({"name": "Team A"})
    with pytest.raises(TypeError):
        _CHANGES[change](team)
    assert team == {"name": "Team A"} and team.name == "Team A"


def test_records_values_made_empty_are_still_filled_only_once():
    """An empty RecordValues is made once too: a later __init__ cannot fill it."""
    from app.sessions import RecordValues

    nothing = RecordValues()
    with pytest.raises(TypeError):
        nothing.__init__({"name": "Team B"})
    assert nothing == {}


@pytest.mark.parametrize("who", ["patient_a", "nurse_a", "admin"])
def test_the_signed_in_person_is_current_user_in_one_look_up(app, client, actors, who):
    # sessions.signed_in_person reads the person where Flask-Login keeps them for the request: the
    # same object as current_user, and what templates are given as `current_user`, signed in,
    # signed out or signed in anew during the request.
    from flask_login import AnonymousUserMixin, login_user, logout_user
    from flask_login.utils import _user_context_processor

    from app.sessions import _signed_in_person_for_templates, signed_in_person

    def check():
        seen = [(signed_in_person(), current_user._get_current_object(),
                 _signed_in_person_for_templates()["current_user"], _user_context_processor()["current_user"])]
        logout_user()
        seen.append((signed_in_person(), current_user._get_current_object(),
                     _signed_in_person_for_templates()["current_user"], _user_context_processor()["current_user"]))
        login_user(db.session.get(User, getattr(actors, who)))
        seen.append((signed_in_person(), current_user._get_current_object(),
                     _signed_in_person_for_templates()["current_user"], _user_context_processor()["current_user"]))
        return seen

    signed_in, signed_out, signed_in_anew = inside_a_signed_in_request(client, getattr(actors, who), check)
    for ours, flask_logins, for_templates, flask_logins_for_templates in (signed_in, signed_out, signed_in_anew):
        assert ours is flask_logins is for_templates is flask_logins_for_templates
    assert signed_in[0].id == signed_in_anew[0].id == getattr(actors, who)
    assert isinstance(signed_out[0], AnonymousUserMixin)


def test_the_person_is_loaded_when_asked_for_before_flask_login_has(app, client, actors):
    from flask import g

    from app.sessions import signed_in_person

    sign_in_as(client, actors.nurse_a)
    cookie = client.get_cookie("session").value
    with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}):  # no hook run yet
        assert "_login_user" not in g
        person = signed_in_person()
        assert person.id == actors.nurse_a and person is current_user._get_current_object()


def test_templates_are_given_the_person_by_signed_in_person_only(app):
    from flask_login.utils import _user_context_processor

    from app.sessions import _signed_in_person_for_templates

    processors = app.template_context_processors[None]
    assert _signed_in_person_for_templates in processors and _user_context_processor not in processors
