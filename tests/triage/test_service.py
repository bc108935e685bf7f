"""The queue in the database: order, targets, keyset pages, filters, overdue reviews, locking."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import PatientProfile, Team, User
from app.triage import service
from app.triage.models import ItemStatus, Outcome, QueueItem
from app.triage.queue import ItemKind
from app.triage.service import Conflict, QueueError, QueueFilters, queue_page
from app.triage.working_days import response_deadline
from tests.helpers import make_patient
from tests.triage.helpers import T0, care_plan, item, nurse, team

LONDON = ZoneInfo("Europe/London")


def ids(page) -> list[int]:
    return [i.id for i in page.items]


def all_pages(team_id: int, filters: QueueFilters, limit: int) -> list[int]:
    seen, after = [], None
    for _ in range(100):
        page = queue_page(team_id, filters, after=after, limit=limit)
        assert len(page.items) <= limit
        seen += ids(page)
        if page.next_after is None:
            return seen
        after = page.next_after
    raise AssertionError("pagination never ended")


# ---------------------------------------------------------------- the queue page's summary and nurses


def test_the_summary_and_nurses_in_one_statement_are_what_each_alone_reads(app, actors):
    with app.app_context():
        a = actors.profile_a
        item(a, ItemKind.RED_FLAG, T0 - timedelta(days=3))
        item(a, ItemKind.HNA_NEW, T0 - timedelta(days=30))
        item(a, ItemKind.HNA_NEW, T0)
        closed = item(a, ItemKind.EMERGENCY, T0 - timedelta(days=30))
        service.resolve(closed, Outcome.PHONED, None, db.session.get(User, actors.nurse_a), closed.revision)
        item(actors.profile_b, ItemKind.RED_FLAG, T0 - timedelta(days=30))  # another team's
        db.session.commit()
        nurse(actors.team_a, "Aaron Early")
        nurse(actors.team_a, "Zoe Away", active=False)
        now = T0 + timedelta(days=2)
        summary, nurses = service.queue_summary_and_nurses(actors.team_a, now)
        # The counts, worked out here from the team's items one by one.
        open_items = [i for i in db.session.scalars(select(QueueItem).where(QueueItem.team_id == actors.team_a))
                      if i.status is ItemStatus.OPEN]
        assert summary == {"open": len(open_items), "urgent": sum(i.rank == 0 for i in open_items),
                           "overdue": sum(i.due_at < now for i in open_items)}
        assert summary == {"open": 3, "urgent": 1, "overdue": 2}
        assert nurses == service.team_nurses(actors.team_a)
        assert [n.display_name for n in nurses][0] == "Aaron Early" and len(nurses) == 2


def test_a_team_without_nurses_still_has_its_summary(app, actors):
    with app.app_context():
        lonely = Team(name="Nobody on shift")
        db.session.add(lonely)
        db.session.commit()
        assert service.queue_summary_and_nurses(lonely.id, T0) == (
            {"open": 0, "urgent": 0, "overdue": 0}, [])


# ---------------------------------------------------------------- order and targets


def test_queue_orders_kinds_clinically_whatever_arrived_first(app, actors):
    with app.app_context():
        a = actors.profile_a
        review = item(a, ItemKind.PLAN_REVIEW_OVERDUE, T0 - timedelta(days=30))
        new = item(a, ItemKind.HNA_NEW, T0 - timedelta(days=3))
        distress = item(a, ItemKind.HNA_HIGH_DISTRESS, T0 - timedelta(days=2))
        reentry = item(a, ItemKind.REENTRY, T0 - timedelta(days=1))
        red_flag_late = item(a, ItemKind.RED_FLAG, T0 + timedelta(hours=7))  # after the cut-off: tomorrow
        emergency = item(a, ItemKind.EMERGENCY, T0)
        page = queue_page(actors.team_a, QueueFilters())
        assert ids(page) == [emergency.id, red_flag_late.id, reentry.id, distress.id, new.id, review.id]


def test_within_a_kind_the_nearest_deadline_then_the_oldest_comes_first(app, actors):
    with app.app_context():
        later = item(actors.profile_a, ItemKind.REENTRY, T0 + timedelta(days=1))
        same_due_newer = item(actors.profile_a, ItemKind.REENTRY, T0 + timedelta(hours=1))
        same_due_older = item(actors.profile_a, ItemKind.REENTRY, T0)
        assert same_due_older.due_at == same_due_newer.due_at < later.due_at
        assert ids(queue_page(actors.team_a, QueueFilters())) == [same_due_older.id, same_due_newer.id, later.id]


@pytest.mark.hazard("HAZ-001")
@pytest.mark.parametrize(
    ("kind", "received_local", "due_local"),
    [
        (ItemKind.RED_FLAG, datetime(2026, 11, 24, 10), datetime(2026, 11, 24, 17)),  # same working day
        (ItemKind.RED_FLAG, datetime(2026, 11, 27, 16), datetime(2026, 11, 30, 17)),  # Friday after 3pm: Monday
        (ItemKind.REENTRY, datetime(2026, 12, 24, 10), datetime(2026, 12, 30, 17)),   # 2 working days over Christmas
        (ItemKind.HNA_NEW, datetime(2027, 3, 24, 10), datetime(2027, 4, 2, 17)),      # 5 working days over Easter
    ],
)
def test_items_are_due_by_the_default_working_day_targets(app, actors, kind, received_local, due_local):
    with app.app_context():
        made = item(actors.profile_a, kind, received_local.replace(tzinfo=LONDON).astimezone(timezone.utc))
        assert made.due_at == due_local.replace(tzinfo=LONDON).astimezone(timezone.utc)


def test_a_team_can_set_its_own_targets(app, actors):
    with app.app_context():
        team(actors.team_a).response_targets = {"reentry": 1, "hna_new": 0}
        db.session.commit()
        assert service.target_working_days(team(actors.team_a), ItemKind.REENTRY) == 1
        assert service.target_working_days(team(actors.team_a), ItemKind.HNA_HIGH_DISTRESS) == 2
        reentry = item(actors.profile_a, ItemKind.REENTRY, T0)
        new = item(actors.profile_a, ItemKind.HNA_NEW, T0)
        other_team = item(actors.profile_b, ItemKind.REENTRY, T0)
        assert reentry.due_at == response_deadline(T0, 1) == datetime(2026, 11, 25, 17, tzinfo=timezone.utc)
        assert new.due_at == response_deadline(T0, 0)
        assert other_team.due_at == response_deadline(T0, 2)


def test_raising_the_same_source_twice_gives_the_same_item(app, actors):
    with app.app_context():
        patient = db.session.get(PatientProfile, actors.profile_a)
        first = service.raise_item(patient, ItemKind.REENTRY, "Worried about a lump", "reentry:1")
        again = service.raise_item(patient, ItemKind.REENTRY, "Worried about a lump", "reentry:1")
        db.session.commit()
        assert first.id == again.id
        assert db.session.scalar(select(func.count()).select_from(QueueItem)) == 1


@pytest.mark.hazard("HAZ-020")
def test_an_item_raised_by_another_request_after_the_lookup_is_the_one_given_never_a_second(app, actors):
    """Two requests raising the same source at once: the second's INSERT meets the first's
    committed item (its lookup came too early to see it) and gives that item, the rest of its
    transaction kept."""
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
        patient = db.session.get(PatientProfile, actors.profile_a)
        raced = []

        def the_other_request_first(_connection, _cursor, statement, *_):
            # Just before this request's INSERT; on SQLite just before its savepoint's BEGIN
            # IMMEDIATE (extensions.savepoint): from then on this request holds the write lock and
            # the other would wait for its commit.
            if raced or not statement.startswith(("INSERT INTO queue_items", "BEGIN IMMEDIATE")):
                return
            raced.append(True)
            with engine.connect() as other:
                other.execute(text(
                    "INSERT INTO queue_items (team_id, patient_id, kind, rank, reason, source_key, received_at, "
                    "due_at, status, revision) VALUES (:team, :patient, 'reentry', 2, 'Raised first', 'reentry:7', "
                    ":at, :at, 'open', 1)"), {"team": actors.team_a, "patient": actors.profile_a, "at": T0.replace(tzinfo=None)})
                other.commit()

        event.listen(engine, "before_cursor_execute", the_other_request_first)
        try:
            raised = service.raise_item(patient, ItemKind.REENTRY, "Raised second", "reentry:7", received_at=T0)
        finally:
            event.remove(engine, "before_cursor_execute", the_other_request_first)
        db.session.commit()
        assert raced and raised.reason == "Raised first"
        assert db.session.scalars(select(QueueItem.reason)).all() == ["Raised first"]



def test_a_reason_longer_than_an_item_holds_ends_with_an_ellipsis_rather_than_mid_word(app, actors):
    with app.app_context():
        patient = db.session.get(PatientProfile, actors.profile_a)
        item = service.raise_item(patient, ItemKind.RED_FLAG, "Needs assessment: " + "pain; " * 80, "test:long")
        db.session.commit()
        db.session.refresh(item)
        assert len(item.reason) == 300 and item.reason.endswith("…")


# ---------------------------------------------------------------- keyset pagination


def test_keyset_pages_have_no_duplicates_or_gaps_even_with_ties(app, actors):
    with app.app_context():
        kinds = list(ItemKind)
        for n in range(37):
            # Many items share a kind, a deadline and a received time: only the id breaks ties.
            item(actors.profile_a if n % 2 else actors.profile_a2, kinds[n % len(kinds)],
                 T0 + timedelta(hours=(n % 3) * 24))
        everything = ids(queue_page(actors.team_a, QueueFilters(), limit=1000))
        assert len(everything) == 37
        for limit in (1, 5, 10, 36, 37):
            assert all_pages(actors.team_a, QueueFilters(), limit) == everything


def test_resolved_items_page_newest_first(app, actors):
    with app.app_context():
        by = db.session.get(User, actors.nurse_a)
        made = [item(actors.profile_a, ItemKind.HNA_NEW, T0 + timedelta(minutes=n)) for n in range(7)]
        for n, it in enumerate(made):
            service.resolve(it, Outcome.PHONED, None, by, it.revision)
            it.resolved_at = T0 + timedelta(hours=n // 2)  # pairs share a time
        db.session.commit()
        expected = [it.id for it in sorted(made, key=lambda i: (i.resolved_at, i.id), reverse=True)]
        assert all_pages(actors.team_a, QueueFilters(status="resolved"), 3) == expected
        assert ids(queue_page(actors.team_a, QueueFilters())) == []


def test_an_item_resolved_between_pages_neither_repeats_nor_hides_another(app, actors):
    with app.app_context():
        made = [item(actors.profile_a, ItemKind.REENTRY, T0 + timedelta(minutes=n)) for n in range(6)]
        first = queue_page(actors.team_a, QueueFilters(), limit=3)
        service.resolve(made[0], Outcome.PHONED, None, db.session.get(User, actors.nurse_a), made[0].revision)
        db.session.commit()
        second = queue_page(actors.team_a, QueueFilters(), after=first.next_after, limit=3)
        assert ids(first) + ids(second) == [m.id for m in made]


def test_a_cursor_that_is_not_ours_gives_the_first_page(app, actors):
    with app.app_context():
        made = item(actors.profile_a)
        for after in ("nonsense", "o.1.2", "r.1.2", "o.a.b.c.d", ""):
            assert ids(queue_page(actors.team_a, QueueFilters(), after=after)) == [made.id]


# ---------------------------------------------------------------- filters and search


def test_filters(app, actors):
    with app.app_context():
        other_nurse = nurse(actors.team_a, "Nurse Two")
        lung = make_patient(team(actors.team_a), "Lena", "Lund", other_nurse, tumour_pathway="lung",
                            nhs_number="9434765919")
        db.session.commit()
        ann = item(actors.profile_a, ItemKind.REENTRY)        # breast, key worker nurse A
        arthur = item(actors.profile_a2, ItemKind.HNA_NEW)    # breast, key worker nurse A
        lena = item(lung.id, ItemKind.RED_FLAG)               # lung, key worker Nurse Two
        done = item(actors.profile_a, ItemKind.HNA_NEW)
        item(actors.profile_b, ItemKind.RED_FLAG)             # the other team's: never shown
        service.claim(ann, db.session.get(User, actors.nurse_a), ann.revision)
        service.resolve(done, Outcome.REFERRED, None, db.session.get(User, actors.nurse_a), done.revision)
        db.session.commit()

        def shown(**filters):
            return ids(queue_page(actors.team_a, QueueFilters(user_id=actors.nurse_a, **filters)))

        assert shown() == [lena.id, ann.id, arthur.id]
        assert shown(status="mine") == [ann.id]
        assert shown(status="unassigned") == [lena.id, arthur.id]
        assert shown(status="resolved") == [done.id]
        assert shown(pathway="lung") == [lena.id]
        assert shown(key_worker_id=other_nurse.id) == [lena.id]
        assert shown(key_worker_id=actors.nurse_a, status="unassigned") == [arthur.id]
        assert shown(search="ann able") == [ann.id]
        assert shown(search="LUND") == [lena.id]
        assert shown(search="943 476") == [lena.id]
        assert shown(search="Baker") == []
        assert shown(search="100%") == []


# ---------------------------------------------------------------- overdue care plan reviews


def test_a_passed_review_date_raises_one_item_per_current_plan(app, actors):
    with app.app_context():
        today = date(2026, 3, 10)
        overdue = care_plan(actors.profile_a, date(2026, 3, 3))
        care_plan(actors.profile_a2, today)                              # due today: not yet passed
        care_plan(actors.profile_a2, date(2026, 1, 1), is_current=False, version=2)  # replaced
        care_plan(actors.profile_b, date(2026, 1, 1))                    # the other team's
        assert service.raise_due_reviews(actors.team_a, today) == 1
        db.session.commit()
        assert service.raise_due_reviews(actors.team_a, today) == 0
        assert service.raise_due_reviews(actors.team_a, today + timedelta(days=5)) == 1  # profile_a2's
        db.session.commit()
        raised = db.session.scalar(select(QueueItem).where(QueueItem.care_plan_id == overdue.id))
        assert raised.kind is ItemKind.PLAN_REVIEW_OVERDUE
        assert raised.source_key == f"plan-review:{overdue.id}"
        assert raised.reason == "Care plan review was due on 3 March 2026"
        assert raised.patient_id == actors.profile_a and raised.team_id == actors.team_a
        # It became overdue at the end of the review day, UK time.
        assert raised.received_at == datetime(2026, 3, 4, 0, tzinfo=timezone.utc)
        assert db.session.scalar(select(func.count()).select_from(QueueItem)
                                 .where(QueueItem.team_id == actors.team_b)) == 0


# ---------------------------------------------------------------- claim, assign, release, resolve


def test_claim_assign_release_resolve(app, actors):
    with app.app_context():
        me = db.session.get(User, actors.nurse_a)
        colleague = nurse(actors.team_a, "Nurse Two")
        it = item(actors.profile_a, ItemKind.REENTRY)
        assert it.revision == 1
        service.claim(it, me, 1)
        assert (it.assignee_id, it.revision) == (me.id, 2) and it.assigned_at is not None
        service.assign(it, colleague, me, 2)
        assert (it.assignee_id, it.revision) == (colleague.id, 3)
        service.release(it, me, 3)
        assert (it.assignee_id, it.assigned_at, it.revision) == (None, None, 4)
        service.resolve(it, Outcome.ADVICE_GIVEN, "  Told to rest  ", me, 4)
        db.session.commit()
        it = db.session.get(QueueItem, it.id, populate_existing=True)
        assert it.status is ItemStatus.RESOLVED and it.outcome is Outcome.ADVICE_GIVEN
        assert it.outcome_note == "Told to rest"
        assert (it.resolved_by_id, it.assignee_id) == (me.id, me.id)
        with pytest.raises(QueueError, match="resolved"):
            service.claim(it, me, it.revision)


@pytest.mark.parametrize("who", ["other team", "inactive", "patient", "nobody"])
def test_items_go_only_to_active_nurses_of_the_team(app, actors, who):
    with app.app_context():
        me = db.session.get(User, actors.nurse_a)
        it = item(actors.profile_a)
        to_user = {
            "other team": lambda: db.session.get(User, actors.nurse_b),
            "inactive": lambda: nurse(actors.team_a, "Gone Nurse", active=False),
            "patient": lambda: db.session.get(User, actors.patient_a),
            "nobody": lambda: None,
        }[who]()
        with pytest.raises(QueueError, match="Choose a nurse in your team"):
            service.assign(it, to_user, me, it.revision)
        db.session.rollback()
        assert db.session.get(QueueItem, it.id).assignee_id is None


def test_a_stale_revision_is_a_conflict_and_overwrites_nothing(app, actors):
    with app.app_context():
        me = db.session.get(User, actors.nurse_a)
        colleague = nurse(actors.team_a, "Nurse Two")
        it = item(actors.profile_a, ItemKind.RED_FLAG)
        seen = it.revision
        service.claim(it, colleague, seen)
        from app.audit import audit
        audit("queue.claim", patient=it.patient_id, subject=f"queue-item:{it.id}", actor=colleague)
        db.session.commit()
        with pytest.raises(Conflict) as caught:
            service.resolve(it, Outcome.NO_ACTION_NEEDED, "Not needed", me, seen)
        assert caught.value.changed_by.id == colleague.id
        assert "Nurse Two changed this item" in caught.value.message
        assert "Nurse Two has it now." in caught.value.message
        db.session.commit()
        it = db.session.get(QueueItem, it.id, populate_existing=True)
        assert (it.status, it.assignee_id, it.outcome, it.revision) == (ItemStatus.OPEN, colleague.id, None, 2)


def test_a_change_made_between_reading_and_saving_is_caught_at_flush(app, actors):
    with app.app_context():
        me = db.session.get(User, actors.nurse_a)
        colleague = nurse(actors.team_a, "Nurse Two")
        it = item(actors.profile_a, ItemKind.RED_FLAG)
        assert it.revision == 1
        # Another request saves after this one loaded the item (the row moves on; this copy does not).
        with db.engine.begin() as other_request:
            other_request.execute(
                text("UPDATE queue_items SET revision = 2, assignee_id = :who WHERE id = :id"),
                {"who": colleague.id, "id": it.id},
            )
        with pytest.raises(Conflict) as caught:
            service.claim(it, me, 1)
        assert (caught.value.item.revision, caught.value.item.assignee_id) == (2, colleague.id)
        db.session.commit()
        assert db.session.get(QueueItem, it.id).assignee_id == colleague.id


def test_a_conflict_says_where_the_item_stands_now(app, actors):
    with app.app_context():
        me = db.session.get(User, actors.nurse_a)
        it = item(actors.profile_a)
        assert service.state_in_words(it) == "Nobody has it now."
        service.resolve(it, Outcome.TEST_ARRANGED, None, me, 1)
        db.session.commit()
        assert service.state_in_words(it) == "It has been resolved by Nurse A: test arranged."
        with pytest.raises(Conflict, match="It has been resolved by Nurse A: test arranged."):
            service.release(it, me, 1)


def test_keyset_pages_in_summer_time_visit_every_item_once(app, actors):
    # July: London is an hour ahead of UTC. The cursor's times must be compared as stored
    # (naive UTC) even when the database server itself runs on London time.
    with app.app_context():
        by = db.session.get(User, actors.nurse_a)
        july = datetime(2026, 7, 14, 8, 30, tzinfo=timezone.utc)
        made = [item(actors.profile_a, ItemKind.REENTRY if n % 2 else ItemKind.HNA_NEW,
                     july + timedelta(minutes=20 * n)) for n in range(9)]
        everything = ids(queue_page(actors.team_a, QueueFilters(), limit=1000))
        assert sorted(everything) == sorted(m.id for m in made)
        for limit in (1, 2, 4):
            assert all_pages(actors.team_a, QueueFilters(), limit) == everything
        for n, it in enumerate(made):
            service.resolve(it, Outcome.PHONED, None, by, it.revision)
            it.resolved_at = july + timedelta(days=1, minutes=30 * (n // 2))  # pairs share a time
        db.session.commit()
        expected = [it.id for it in sorted(made, key=lambda i: (i.resolved_at, i.id), reverse=True)]
        for limit in (1, 2, 4):
            assert all_pages(actors.team_a, QueueFilters(status="resolved"), limit) == expected


# ---------------------------------------------------------------- resolved by its source


def test_resolving_by_source_is_audited_and_named_in_a_later_conflict(app, actors):
    from app.audit import audit
    from app.models import AuditEvent

    with app.app_context():
        me = db.session.get(User, actors.nurse_a)
        colleague = nurse(actors.team_a, "Nurse Two")
        it = item(actors.profile_a, ItemKind.PLAN_REVIEW_OVERDUE)
        service.claim(it, colleague, 1)
        audit("queue.claim", patient=it.patient_id, subject=f"queue-item:{it.id}", actor=colleague)
        db.session.commit()
        assert service.resolve_by_source(it.source_key, Outcome.CARE_PLAN_AGREED, "Plan agreed with Ann", me) is it
        db.session.commit()
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "queue.resolve")).all()
        assert (event.actor_id, event.patient_id, event.subject, event.outcome) == (
            me.id, actors.profile_a, f"queue-item:{it.id}", "success")
        assert event.detail == {"resolution": "care_plan_agreed", "via": it.source_key, "note": True}
        # Resolving again does nothing, and writes nothing.
        assert service.resolve_by_source(it.source_key, Outcome.CARE_PLAN_AGREED, None, me) is None
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "queue.resolve")) == 1
        # The colleague, still looking at the item as she claimed it, is told who changed it.
        with pytest.raises(Conflict) as caught:
            service.release(it, colleague, 2)
        assert "Nurse A changed this item" in caught.value.message


def test_raising_an_item_that_fails_for_another_reason_is_an_error_not_nothing(app, actors):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        # Not a second raise of the same source: a row the database refuses (no team: the item's
        # team is read by the INSERT, and there is no such patient).
        patient = SimpleNamespace(id=actors.profile_b + 1000, team_id=actors.team_a, team=team(actors.team_a))
        with pytest.raises(IntegrityError):
            service.raise_item(patient, ItemKind.RED_FLAG, "Possible urgent symptom", "test:broken")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(QueueItem)) == 0


def test_a_red_flag_from_an_hna_names_the_symptom_and_the_distress(app, actors):
    from tests.careplan.helpers import submit_hna

    with app.app_context():
        patient = db.session.get(PatientProfile, actors.profile_a)
        hna = submit_hna(patient, distress=8, scores={"breathing": 6, "pain": 8}, top=["breathing"])
        raised = db.session.scalar(select(QueueItem).where(QueueItem.hna_id == hna.id))
        assert raised.kind is ItemKind.RED_FLAG
        assert raised.reason == (
            "Needs assessment: possible urgent symptom (Breathing difficulties); "
            "distress 8 out of 10; 1 concern scored 7 or more"
        )


@pytest.mark.hazard("HAZ-009")
def test_a_fever_in_an_hna_raises_an_emergency_as_a_symptom_report_would(app, actors):
    from tests.careplan.helpers import submit_hna

    with app.app_context():
        patient = db.session.get(PatientProfile, actors.profile_a)
        hna = submit_hna(patient, distress=8, scores={"fever": 8, "breathing": 6}, top=["fever"])
        raised = db.session.scalar(select(QueueItem).where(QueueItem.hna_id == hna.id))
        assert raised.kind is ItemKind.EMERGENCY
        assert raised.reason == (
            "Needs assessment: possible emergency (High temperature or fever); the patient was told "
            "to call 999 or the 24-hour line now; distress 8 out of 10; 1 concern scored 7 or more"
        )


