"""The one concurrent-edit kit: the version a page showed, and a person's own retry told apart
from a conflict on author AND content."""
from __future__ import annotations

import pytest

from app.versioning import conflict_message, is_own_retry, shown_version

ME, COLLEAGUE = 7, 8


@pytest.mark.hazard("HAZ-005")
@pytest.mark.parametrize(("stored", "shown", "changed_by", "same_content", "retry"), [
    (2, 1, ME, True, True),           # her save, sent twice: already stored
    (2, 1, ME, False, False),         # her stale second save with different content: a conflict
    (2, 1, COLLEAGUE, True, False),   # a colleague saved exactly this: still a conflict (she should know)
    (2, 1, COLLEAGUE, False, False),  # a colleague's change
    (3, 1, ME, True, False),          # more than one change since her page: not one save sent twice
    (1, 1, ME, True, False),          # nothing changed since her page: not a retry at all
    (2, None, ME, True, False),       # her page did not say what it showed
    (None, 1, ME, True, False),       # nothing stored
    (2, 1, None, True, False),        # nobody known to have made the change
])
def test_an_own_retry_is_her_change_of_exactly_this_content_one_version_on(stored, shown, changed_by, same_content, retry):
    assert is_own_retry(stored_version=stored, shown_version=shown, changed_by_id=changed_by, by_id=ME,
                        same_content=lambda: same_content) is retry


class Field:
    def __init__(self, data):
        self.data = data


@pytest.mark.parametrize(("data", "version"), [
    ("3", 3), (" 3 ", 3), ("0", 0), (3, 3), (0, 0),
    ("", None), (None, None), ("-1", None), (-1, None), ("3.0", None), ("٣", None),  # Arabic-Indic three
    ("1" * 10, None), (10 ** 12, None), (True, None), ("abc", None),
])
def test_the_shown_version_is_a_small_whole_number_or_none(data, version):
    assert shown_version(Field(data)) == version


def test_the_shown_version_is_read_from_a_posted_field_by_name(app):
    with app.test_request_context(method="POST", data={"version": "4", "test_version": "x"}):
        assert (shown_version(), shown_version("test_version"), shown_version("missing")) == (4, None, None)


@pytest.mark.parametrize(("who", "named"), [
    ("Sam Taylor", "Sam Taylor changed the plan"),
    (None, "Someone else changed the plan"),
    ("", "Someone else changed the plan"),
])
def test_a_conflict_names_who_changed_what(who, named):
    message = conflict_message(who, "the plan", "Check it, then save again.")
    assert message == f"{named} while you were editing it, so your changes have not been saved. Check it, then save again."


# ---------------------------------------------------------------- a unique key taken a moment ago


def teams() -> list[str]:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Team

    return list(db.session.scalars(select(Team.name).order_by(Team.name)))


@pytest.mark.parametrize(("names", "added", "stored"), [
    (["Lung"], True, ["Lung", "Team A", "Team B"]),
    (["Lung", "Skin"], True, ["Lung", "Skin", "Team A", "Team B"]),
    (["Team A"], False, ["Team A", "Team B"]),           # taken: not added
    (["Lung", "Team B"], False, ["Team A", "Team B"]),   # one taken: none of them added
])
def test_records_are_added_unless_a_unique_key_is_taken_and_the_transaction_goes_on(app, actors, names, added, stored):
    from app.extensions import db
    from app.models import Team
    from app.versioning import added_unless_taken

    with app.app_context():
        earlier = db.session.get(Team, actors.team_a)
        earlier.out_of_hours_phone = "020 7946 0999"  # written before, in the same transaction
        assert added_unless_taken(*(Team(name=name) for name in names)) is added
        db.session.commit()
        assert teams() == stored
        assert db.session.get(Team, actors.team_a).out_of_hours_phone == "020 7946 0999"


def test_a_record_whose_key_was_taken_is_the_one_found_and_a_clash_with_nothing_found_is_raised(app, actors):
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from app.extensions import db
    from app.models import Team
    from app.versioning import added_or_found

    with app.app_context():
        new = Team(name="Lung")
        assert added_or_found(new, lambda: None) == (new, True)
        found = db.session.scalar(select(Team).where(Team.name == "Team A"))
        assert added_or_found(Team(name="Team A"), lambda: found) == (found, False)
        with pytest.raises(IntegrityError):
            added_or_found(Team(name="Team B"), lambda: None)
        db.session.rollback()


@pytest.mark.parametrize("add", ["added_unless_taken", "added_or_found"])
def test_a_record_added_in_a_savepoint_goes_when_the_request_rolls_back(app, actors, add):
    """Python's sqlite3 driver opens a transaction only before INSERT, UPDATE or DELETE: a savepoint
    sent first opened one of its own and its release committed, so the record stayed for good
    (found in review). It must go with the request's transaction, on SQLite as on PostgreSQL."""
    from app import versioning
    from app.extensions import db
    from app.models import Team

    with app.app_context():
        assert db.session.get(Team, actors.team_a) is not None  # read only, nothing written yet
        if add == "added_unless_taken":
            assert versioning.added_unless_taken(Team(name="Lung"))
        else:
            versioning.added_or_found(Team(name="Lung"), lambda: None)
        db.session.rollback()
        assert teams() == ["Team A", "Team B"]


def test_savepoints_are_made_one_way():
    """`db.session.begin_nested()` only through app.extensions.savepoint, which keeps a savepoint
    inside the request's transaction on SQLite too."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "app"
    users = sorted(str(path.relative_to(root)) for path in root.rglob("*.py") if "begin_nested(" in path.read_text())
    assert users == ["extensions.py"]


def test_a_write_after_a_read_in_a_savepoint_waits_for_no_snapshot(app, actors):
    """A savepoint's read, another connection's write committed meanwhile, then the savepoint's
    own write: on SQLite the savepoint's deferred BEGIN took its snapshot at the read, and the
    write then failed at once with "database is locked" (SQLITE_BUSY_SNAPSHOT, which no busy
    timeout waits out). Every form acted on once (idempotency.add_once reads, then writes in a
    savepoint) was refused that way under concurrent sends: bench/pages.py's symptom sent with its
    form token answered 409 busy to most of them. A savepoint's transaction is a writer's from its
    start on SQLite; PostgreSQL's rows never clashed."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from app.extensions import db, savepoint
    from app.models import Team

    def another_connection_writes():
        with db.engine.connect() as other:
            sqlite = other.dialect.name == "sqlite"
            if sqlite:  # it may wait a moment for the lock, not the app's 15 s
                other.exec_driver_sql("PRAGMA busy_timeout = 200")
            try:
                other.execute(text("UPDATE teams SET name = name WHERE id = :id"), {"id": actors.team_b})
                other.commit()
            except OperationalError:
                other.rollback()  # the savepoint holds the write lock: this writer waits its turn
            finally:
                if sqlite:
                    from app.extensions import SQLITE_BUSY_TIMEOUT_MS
                    other.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")

    with app.app_context():
        with savepoint():
            assert db.session.get(Team, actors.team_a) is not None
            another_connection_writes()
            db.session.add(Team(name="Lung"))
            db.session.flush()
        db.session.commit()
        assert "Lung" in teams()
