"""Test helpers: people to act as, a client that knows CSRF, and signing in without ceremony."""
from __future__ import annotations

import html
import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from flask.testing import FlaskClient
from markupsafe import escape

from app.extensions import db
from app.models import PatientProfile, Role, Team, User, UserSession
from app.sessions import _hash
from app.demo import demo_nhs_number

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class TestClient(FlaskClient):
    """A browser: remembers its CSRF token like a page would."""

    __test__ = False

    def csrf_token(self) -> str:
        html = self.get("/sign-in", follow_redirects=True).get_data(as_text=True)
        match = _CSRF_META.search(html) or _CSRF_INPUT.search(html)
        assert match, "no CSRF token on /sign-in"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def post_json(self, url: str, payload=None, **kwargs):
        headers = {"X-CSRFToken": self.csrf_token(), "Accept": "application/json"}
        headers.update(kwargs.pop("headers", {}))
        return self.post(url, json=payload if payload is not None else {}, headers=headers, **kwargs)


@dataclass
class Actors:
    """Ids of seeded people. Team A is 'ours'; team B is the other team."""

    team_a: int
    team_b: int
    nurse_a: int
    nurse_b: int
    admin: int
    patient_a: int  # user id
    patient_a2: int
    patient_b: int
    profile_a: int  # patient profile id
    profile_a2: int
    profile_b: int


_serial = iter(range(1, 10**6))


def make_patient(team: Team, given: str, family: str, key_worker: User | None = None, **profile) -> PatientProfile:
    user = User(role=Role.PATIENT, display_name=f"{given} {family}", team=team)
    patient = PatientProfile(
        user=user,
        team=team,
        nhs_number=profile.pop("nhs_number", None) or demo_nhs_number((next(_serial) * 7919) % 1_000_000),
        given_name=given,
        family_name=family,
        date_of_birth=profile.pop("date_of_birth", date(1960, 5, 17)),
        tumour_pathway=profile.pop("tumour_pathway", "breast"),
        key_worker=key_worker,
        **profile,
    )
    db.session.add_all([user, patient])
    return patient


def make_actors() -> Actors:
    team_a, team_b = Team(name="Team A"), Team(name="Team B")
    nurse_a = User(role=Role.NURSE, display_name="Nurse A", email="nurse.a@example.test", team=team_a)
    nurse_b = User(role=Role.NURSE, display_name="Nurse B", email="nurse.b@example.test", team=team_b)
    admin = User(role=Role.ADMIN, display_name="Admin", email="admin@example.test")
    db.session.add_all([team_a, team_b, nurse_a, nurse_b, admin])
    pa = make_patient(team_a, "Ann", "Able", nurse_a)
    pa2 = make_patient(team_a, "Arthur", "Ames", nurse_a)
    pb = make_patient(team_b, "Ben", "Baker", nurse_b)
    db.session.commit()
    return Actors(
        team_a=team_a.id, team_b=team_b.id, nurse_a=nurse_a.id, nurse_b=nurse_b.id, admin=admin.id,
        patient_a=pa.user_id, patient_a2=pa2.user_id, patient_b=pb.user_id,
        profile_a=pa.id, profile_a2=pa2.id, profile_b=pb.id,
    )


def sign_in_as(client: FlaskClient, user_id: int, method: str = "test") -> None:
    """Give `client` a live server-side session for `user_id`, as a real sign-in would."""
    token = secrets.token_urlsafe(32)
    app = client.application
    with app.app_context():
        db.session.add(UserSession(user_id=user_id, token_hash=_hash(token), method=method))
        db.session.commit()
    with client.session_transaction() as sess:
        sess.clear()
        sess["sid"] = token
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True
        sess.permanent = True


def shown_escaped(html: str, text: str) -> bool:
    """`text` is on the page as the words typed, escaped, and nowhere as live markup. Checking
    only that the markup is absent passes as well when the text is not shown at all."""
    return str(escape(text)) in html and text not in html


def page(response) -> str:
    """A response's HTML with entities decoded, for checking the words a person reads."""
    return html.unescape(response.get_data(as_text=True))


@dataclass(frozen=True)
class InDays:
    """A date in a table of test cases, as days from today: the test makes it a date when it runs,
    from its `today` fixture. A date taken when tests are collected (at import, in parametrize
    arguments) is a day out once a run crosses midnight in London."""

    days: int

    def on(self, today: date) -> date:
        return today + timedelta(days=self.days)

    def __repr__(self) -> str:  # in test ids: the same every day
        return f"today{self.days:+d}d"


def date_fields(changes: dict, today: date) -> dict:
    """Form fields with each {"diagnosed_on": InDays(1)} made that date's three fields
    ("diagnosed_on-day", "-month", "-year"), as the design system's date input posts them."""
    fields = {}
    for name, value in changes.items():
        if isinstance(value, InDays):
            when = value.on(today)
            fields.update({f"{name}-day": str(when.day), f"{name}-month": str(when.month), f"{name}-year": str(when.year)})
        else:
            fields[name] = value
    return fields


def make_session_activity_due(app, user_id: int, monkeypatch):
    """The person's one session last recorded activity an hour ago, and the sessions' clock stood
    one second past the step after which activity is written again: their next request writes
    it. Returns the session's id and that clock time."""
    from sqlalchemy import select

    from app import sessions
    from app.timeutil import utcnow

    with app.app_context():
        record = db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).one()
        recorded = utcnow().replace(microsecond=0) - timedelta(hours=1)
        record.last_seen_at = recorded
        db.session.commit()
        session_id = record.id
    now = recorded + sessions.TOUCH_EVERY + timedelta(seconds=1)
    monkeypatch.setattr(sessions, "utcnow", lambda: now)
    return session_id, now


def commits_during(app, call):
    """What `call()` returns, and how many commits the database saw while it ran."""
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    committed = []

    def count(_connection):
        committed.append(1)

    event.listen(engine, "commit", count)
    try:
        result = call()
    finally:
        event.remove(engine, "commit", count)
    return result, len(committed)


@contextmanager
def moved_just_before_the_first_write(app, profile_id: int, team_id: int):
    """While the block runs, the person is moved to `team_id` by an admin's real move
    (`team_moves.move_patient`, on another thread and connection), committed just before the
    first statement that is not a SELECT: after the request read their record, before it wrote
    (HAZ-015). Yields a list that holds True once they were moved."""
    import threading

    from sqlalchemy import event

    from app import team_moves
    from app.models import PatientProfile, Team

    with app.app_context():
        engine = db.engine
    moved = []

    def move_on_another_connection():
        with app.app_context():
            team_moves.move_patient(db.session.get(PatientProfile, profile_id), db.session.get(Team, team_id))
            db.session.commit()

    def move(_connection, _cursor, statement, *_):
        if moved or statement.startswith("SELECT"):
            return
        moved.append(True)
        mover = threading.Thread(target=move_on_another_connection)
        mover.start()
        mover.join(30)
        assert not mover.is_alive(), "the move did not finish"

    event.listen(engine, "before_cursor_execute", move)
    try:
        yield moved
    finally:
        event.remove(engine, "before_cursor_execute", move)
