"""`sessions.tracked` makes a signed-in person's records as the ORM makes a loaded row, through
SQLAlchemy's private API (`Session._autobegin_t`, `IdentityMap._add_unpresent`,
`Mapper._identity_class`: issue 12, 8fb5524). A SQLAlchemy upgrade may change those internals;
these tests compare what it makes with the ORM's public way (`make_transient_to_detached` and
`Session.add`, what `tracked` did before) and with a real load of the same row, for each kind of
record it is used for, so that such a change fails here rather than in a person's request:
identity key, which attributes are loaded or expired, the persistent state, a change flushed as
the same UPDATE, and what a rollback and a commit leave."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app import sessions
from app.extensions import db
from app.models import PatientProfile, Team, User

# The columns the session's statement reads of each record (app/sessions.py `_record_keys`): the
# person, their team, the patient's record, its team and its key worker.
PERSON_KEYS, TEAM_KEYS, PATIENT_KEYS, _, KEY_WORKER_KEYS = sessions._record_keys()

# Each use of `tracked` (app/authz.py current_patient, app/sessions.py _tracked_staff): the record,
# the columns it is made from, its related records (name: (model, keys, which actor's id) or
# None) and a column a page may change.
USES = {
    "patient's record": (PatientProfile, PATIENT_KEYS, "profile_a",
                         {"team": (Team, TEAM_KEYS, "team_a"), "key_worker": (User, KEY_WORKER_KEYS, "nurse_a")},
                         "gp_practice_name"),
    "patient's team": (Team, TEAM_KEYS, "team_a", {}, "hours"),
    "patient's key worker": (User, KEY_WORKER_KEYS, "nurse_a", {}, "display_name"),
    "member of staff": (User, PERSON_KEYS, "nurse_a", {"team": (Team, TEAM_KEYS, "team_a"), "patient_profile": None},
                        "display_name"),
    # A column not read with the session, changed without being read first.
    "member of staff, an unread column": (User, PERSON_KEYS, "nurse_a", {"team": (Team, TEAM_KEYS, "team_a"),
                                                                          "patient_profile": None}, "email"),
}


def column_values_of(model, keys, record_id) -> dict:
    """The row's columns as the session's statement reads them, in a transaction of their own."""
    row = db.session.execute(select(*(getattr(model, key) for key in keys)).where(model.id == record_id)).one()
    db.session.remove()
    return dict(zip(keys, row, strict=True))


def made_by_tracked(model, values, related) -> object:
    return sessions.tracked(model, values, **{
        name: None if spec is None else sessions.tracked(spec[0], spec[1]) for name, spec in related.items()})


def made_the_public_way(model, values, related) -> object:
    """As `tracked` made records before 8fb5524, with the ORM's public API only."""
    def one(record_model, record_values):
        record = record_model.__mapper__.class_manager.new_instance()
        record.__dict__.update(record_values)
        make_transient_to_detached(record)
        db.session.add(record)
        return record

    record = one(model, values)
    for name, spec in related.items():
        set_committed_value(record, name, None if spec is None else one(*spec))
    return record


def state_of(record) -> dict:
    """What the ORM knows of a record and of its session, comparable between two sessions."""
    state, session = inspect(record), db.session()
    return {
        "identity key": state.key, "identity token": state.identity_token,
        "persistent": state.persistent, "transient": state.transient, "pending": state.pending,
        "detached": state.detached, "deleted": state.deleted,
        "its session": state.session is session, "in the identity map": session.identity_map.get(state.key) is record,
        "loaded": sorted(set(state.dict) - {"_sa_instance_state"}),
        "expired": sorted(state.expired_attributes), "unloaded": sorted(state.unloaded),
        "modified": state.modified, "committed state": dict(state.committed_state),
        "in a transaction": session.in_transaction(),
        "new, dirty, deleted": (len(session.new), len(session.dirty), len(session.deleted)),
    }


class StatementsSent:
    """The SQL statements sent while active, with times (which differ between runs) masked."""

    def __init__(self):
        self.sent: list = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self.sent

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if isinstance(parameters, dict):
            masked = {name: _time_masked(value) for name, value in parameters.items()}
        else:
            masked = tuple(_time_masked(value) for value in parameters)
        self.sent.append((" ".join(statement.split()), masked))


def _time_masked(value):
    """A moment (`updated_at` on an UPDATE; as text on SQLite) as a mark: it differs between runs."""
    if isinstance(value, str) and len(value) > len("2026-12-07"):
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return "<time>"
    return "<time>" if isinstance(value, dt.datetime) else value


def transcript(make: Callable, model, values, related, changed: str) -> list:
    """What a record made by `make` is and does, step by step, in a new session: as made; its
    related records and the columns it was made from read (no statement); every column read (the
    unread ones in one statement); a change flushed; rolled back; made again and the transaction
    committed."""
    db.session.remove()
    record = make(model, values, related)
    steps: list = [("made", state_of(record))]
    with StatementsSent() as sent:
        read_values = {key: getattr(record, key) for key in values}
        read_related = {name: getattr(record, name) for name in related}
    steps.append(("read what it was made from", sent, read_values, state_of(record)))
    steps.append(("its related records", {name: None if value is None else state_of(value)
                                           for name, value in read_related.items()}))
    with StatementsSent() as sent:
        whole = {attribute.key: getattr(record, attribute.key) for attribute in inspect(model).column_attrs}
    steps.append(("read whole", sent, whole, state_of(record)))
    db.session.remove()

    record = make(model, values, related)
    with StatementsSent() as sent:
        setattr(record, changed, "Changed by the test")
        changed_state = state_of(record)
        db.session.flush()
    steps.append(("changed and flushed", sent, changed_state, state_of(record)))
    db.session.rollback()
    steps.append(("rolled back", state_of(record)))
    with StatementsSent() as sent:
        after_rollback = getattr(record, changed)
    steps.append(("read after the rollback", sent, after_rollback, state_of(record)))
    db.session.remove()

    record = make(model, values, related)
    db.session.commit()
    steps.append(("committed", state_of(record)))
    db.session.remove()
    return steps


@pytest.fixture
def tracked_uses(app, actors):
    with app.app_context():
        def values_of(use):
            model, keys, actor, related, changed = USES[use]
            related_values = {name: None if spec is None else (spec[0], column_values_of(spec[0], spec[1], getattr(actors, spec[2])))
                              for name, spec in related.items()}
            return model, column_values_of(model, keys, getattr(actors, actor)), related_values, changed
        yield values_of


@pytest.mark.parametrize("use", USES)
def test_a_tracked_record_is_and_does_what_one_made_the_public_way_is_and_does(tracked_uses, use):
    model, values, related, changed = tracked_uses(use)
    ours = transcript(made_by_tracked, model, values, related, changed)
    public = transcript(made_the_public_way, model, values, related, changed)
    for ours_step, public_step in zip(ours, public, strict=True):
        assert ours_step == public_step, ours_step[0]


@pytest.mark.parametrize("use", USES)
def test_a_tracked_record_is_what_a_real_load_of_its_row_is(tracked_uses, use):
    model, values, related, changed = tracked_uses(use)
    db.session.remove()
    loaded = db.session.get(model, values["id"])
    loaded_state = state_of(loaded)
    loaded_whole = {attribute.key: getattr(loaded, attribute.key) for attribute in inspect(model).column_attrs}
    with StatementsSent() as loaded_update:
        setattr(loaded, changed, "Changed by the test")
        db.session.flush()
    db.session.remove()

    record = made_by_tracked(model, values, related)
    state = state_of(record)
    assert state["identity key"] == loaded_state["identity key"] == inspect(model).identity_key_from_primary_key((values["id"],))
    assert state["identity key"][0] is inspect(model)._identity_class
    for same in ("identity token", "persistent", "transient", "pending", "detached", "deleted", "its session",
                 "in the identity map", "modified", "committed state", "in a transaction", "new, dirty, deleted"):
        assert state[same] == loaded_state[same], same
    # What was read is loaded, the related records as given; the other columns are expired, to
    # be read together when first asked for.
    columns = {attribute.key for attribute in inspect(model).column_attrs}
    assert set(state["loaded"]) == set(values) | set(related)
    assert set(state["expired"]) == columns - set(values)
    assert {key: getattr(record, key) for key in columns} == loaded_whole
    db.session.remove()

    record = made_by_tracked(model, values, related)
    with StatementsSent() as tracked_update:
        setattr(record, changed, "Changed by the test")
        db.session.flush()
    assert [sent for sent in tracked_update if sent[0].startswith("UPDATE")] == \
           [sent for sent in loaded_update if sent[0].startswith("UPDATE")] != []
    db.session.rollback()


def test_a_record_already_in_the_session_is_the_one_given_and_keeps_what_it_has_loaded(app, actors):
    with app.app_context():
        values = column_values_of(PatientProfile, PATIENT_KEYS, actors.profile_a)
        team_values = column_values_of(Team, TEAM_KEYS, actors.team_a)
        loaded = db.session.get(PatientProfile, actors.profile_a)
        own_team = loaded.team
        stand_in = Team(id=actors.team_a, name="Not the team")
        with StatementsSent() as sent:
            record = sessions.tracked(PatientProfile, values, team=stand_in, key_worker=None)
        assert record is loaded and sent == []
        # Loaded already: kept; not loaded yet: given.
        assert record.team is own_team and inspect(record).attrs.key_worker.loaded_value is None
        assert sessions.tracked(Team, team_values) is own_team
        db.session.rollback()
