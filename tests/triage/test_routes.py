"""The team queue pages: what a nurse sees, claiming, giving, resolving, 409s, access and audit."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.hna import service as hna_service
from app.hna.models import HNAStatus
from app.models import AuditEvent, PatientProfile, User
from app.triage import service
from app.triage.models import ItemStatus, Outcome, QueueItem
from app.triage.queue import ItemKind
from app.timeutil import london_today, utcnow
from tests.helpers import sign_in_as
from tests.triage.helpers import care_plan, item, nurse

ITEM_ROUTES = ["/nurse/queue/{id}", "/nurse/queue/{id}/claim", "/nurse/queue/{id}/assign",
               "/nurse/queue/{id}/release", "/nurse/queue/{id}/resolve"]


@pytest.fixture
def nurse_a(client, actors):
    sign_in_as(client, actors.nurse_a)
    return client


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def get_item(app, item_id: int) -> QueueItem:
    with app.app_context():
        found = db.session.get(QueueItem, item_id)
        db.session.expunge(found)
        return found


def make(app, profile_id, kind=ItemKind.HNA_NEW, **kwargs) -> int:
    with app.app_context():
        return item(profile_id, kind, received_at=kwargs.pop("received_at", utcnow()), **kwargs).id


def names_in_order(html: str) -> list[str]:
    return re.findall(r'href="/nurse/queue/\d+">([^<]+)</a>', html)


# ---------------------------------------------------------------- the list


def test_the_queue_shows_the_most_urgent_first_and_only_this_team(app, actors, nurse_a):
    make(app, actors.profile_a2, ItemKind.HNA_NEW, reason="Needs assessment: sent")
    make(app, actors.profile_a, ItemKind.RED_FLAG, reason="Possible urgent symptom: temperature 38°C")
    make(app, actors.profile_b, ItemKind.EMERGENCY, reason="Emergency for team B")
    html = nurse_a.get("/nurse/queue").get_data(as_text=True)
    assert names_in_order(html) == ["Ann Able", "Arthur Ames"]
    assert "Red flag" in html and "Possible urgent symptom: temperature 38°C" in html
    assert "2 open items: <strong>1 red flag or emergency</strong>" in html
    assert "Baker" not in html and "team B" not in html
    assert "Due by 5pm" in html or "Overdue" in html
    assert "Nobody yet" in html


def test_an_overdue_item_says_so(app, actors, nurse_a):
    make(app, actors.profile_a, ItemKind.REENTRY, received_at=utcnow() - timedelta(days=10))
    html = re.sub(r"\s+", " ", nurse_a.get("/nurse/queue").get_data(as_text=True))
    assert re.search(r'<strong class="nhsuk-tag nhsuk-tag--red"\s*>\s*Overdue\s*</strong>', html)
    assert re.search(r"<strong>Overdue by \d+ working days</strong>", html)
    assert "1 open item: <strong>1 overdue</strong>" in html


def test_the_list_is_audited_with_filters_and_a_count_but_no_names(app, actors, nurse_a):
    make(app, actors.profile_a)
    nurse_a.get("/nurse/queue?q=Able&pathway=breast&status=unassigned")
    [event] = events(app, "queue.list")
    assert event.actor_id == actors.nurse_a
    assert event.detail == {"status": "unassigned", "pathway": "breast", "key_worker": None,
                            "searched": True, "page": 1, "results": 1}
    assert "Able" not in str(event.detail) and event.patient_id is None


def test_filters_and_search_from_the_address(app, actors, nurse_a):
    make(app, actors.profile_a, ItemKind.REENTRY)
    make(app, actors.profile_a2, ItemKind.HNA_NEW)
    assert names_in_order(nurse_a.get("/nurse/queue?q=ames").get_data(as_text=True)) == ["Arthur Ames"]
    with app.app_context():
        patient_a2_nhs = db.session.get(PatientProfile, actors.profile_a2).nhs_number
    assert names_in_order(nurse_a.get(f"/nurse/queue?q={patient_a2_nhs[:6]}").get_data(as_text=True)) == ["Arthur Ames"]
    assert names_in_order(nurse_a.get("/nurse/queue?status=resolved").get_data(as_text=True)) == []
    assert names_in_order(nurse_a.get("/nurse/queue?pathway=lung").get_data(as_text=True)) == []
    assert names_in_order(nurse_a.get(f"/nurse/queue?key_worker={actors.nurse_a}").get_data(as_text=True)) == ["Ann Able", "Arthur Ames"]
    # Nonsense filters are ignored, not errors.
    response = nurse_a.get("/nurse/queue?status=everything&pathway=moon&key_worker=abc&after=%27")
    assert response.status_code == 200 and names_in_order(response.get_data(as_text=True)) == ["Ann Able", "Arthur Ames"]


def test_next_page_link_continues_where_the_page_ended(app, actors, nurse_a):
    for n in range(53):
        make(app, actors.profile_a if n % 2 else actors.profile_a2, received_at=utcnow() - timedelta(minutes=n))
    first = nurse_a.get("/nurse/queue?status=unassigned").get_data(as_text=True)
    first_ids = re.findall(r'href="/nurse/queue/(\d+)"', first)
    next_link = re.search(r'href="(/nurse/queue\?[^"]*after=[^"]+)"', first).group(1).replace("&amp;", "&")
    assert "status=unassigned" in next_link
    second = nurse_a.get(next_link).get_data(as_text=True)
    second_ids = re.findall(r'href="/nurse/queue/(\d+)"', second)
    assert len(first_ids) == 50 and len(second_ids) == 3
    assert len(set(first_ids + second_ids)) == 53
    assert "Less urgent items" not in second and "First page" in second


def test_viewing_the_queue_writes_only_its_audit_and_shows_reviews_the_task_raised(app, actors, nurse_a):
    """Overdue care plan reviews are raised by the task queue every quarter hour
    (tests/triage/test_tasks.py), not by a nurse opening the page: the page only reads."""
    from app.triage.tasks import raise_due_care_plan_reviews

    with app.app_context():
        care_plan(actors.profile_a, london_today() - timedelta(days=3))
    html = nurse_a.get("/nurse/queue").get_data(as_text=True)
    assert "Care plan review was due on" not in html
    with app.app_context():
        assert db.session.scalars(select(QueueItem)).all() == []
    raise_due_care_plan_reviews.call_local()
    html = nurse_a.get("/nurse/queue").get_data(as_text=True)
    assert "Care plan review" in html and "Care plan review was due on" in html


def test_an_admin_without_a_team_has_no_queue(app, actors, client):
    make(app, actors.profile_a)
    sign_in_as(client, actors.admin)
    html = client.get("/nurse/queue").get_data(as_text=True)
    assert "You are not in a team" in html and "Ann Able" not in html


# ---------------------------------------------------------------- one item


def test_an_item_page_shows_the_patient_and_links_and_is_audited(app, actors, nurse_a):
    with app.app_context():
        hna = hna_service.start_or_resume(db.session.get(PatientProfile, actors.profile_a))
        hna.status, hna.submitted_at = HNAStatus.SUBMITTED, utcnow()
        db.session.commit()
        hna_id = hna.id
    item_id = make(app, actors.profile_a, ItemKind.HNA_HIGH_DISTRESS, reason="Needs assessment: distress 8 out of 10", hna_id=hna_id)
    response = nurse_a.get(f"/nurse/queue/{item_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ann Able" in html and "distress 8 out of 10" in html
    assert f'href="/nurse/hnas/{hna_id}"' in html and f'href="/nurse/patients/{actors.profile_a}"' in html
    assert "Take this item" in html and "Resolve item" in html
    [event] = events(app, "queue.view")
    assert (event.patient_id, event.subject) == (actors.profile_a, f"queue-item:{item_id}")


def test_claim_then_resolve(app, actors, nurse_a):
    item_id = make(app, actors.profile_a, ItemKind.REENTRY)
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/claim", {"revision": "1"})
    assert response.status_code == 303 and response.location == f"/nurse/queue/{item_id}"
    page = nurse_a.get(response.location).get_data(as_text=True)
    assert "You have this item: Ann Able" in page and "Give it back to the team" in page
    assert get_item(app, item_id).assignee_id == actors.nurse_a

    response = nurse_a.post_form(f"/nurse/queue/{item_id}/resolve",
                                 {"revision": "2", "outcome": "appointment_booked", "note": "Clinic on Friday"})
    assert response.status_code == 303 and response.location == "/nurse/queue"
    assert "Resolved: Ann Able – appointment booked" in nurse_a.get("/nurse/queue").get_data(as_text=True)
    done = get_item(app, item_id)
    assert (done.status, done.outcome, done.outcome_note, done.resolved_by_id) == (
        ItemStatus.RESOLVED, Outcome.APPOINTMENT_BOOKED, "Clinic on Friday", actors.nurse_a)
    [claim] = events(app, "queue.claim")
    [resolve] = events(app, "queue.resolve")
    assert claim.subject == resolve.subject == f"queue-item:{item_id}"
    assert resolve.outcome == "success"
    assert resolve.detail == {"resolution": "appointment_booked", "note": True, "revision": 3}
    assert "Clinic" not in str(resolve.detail)
    # A resolved item shows what was done and offers no actions.
    html = nurse_a.get(f"/nurse/queue/{item_id}").get_data(as_text=True)
    assert "Appointment booked" in html and "Clinic on Friday" in html and "Resolve item" not in html


def test_no_action_needed_needs_a_reason(app, actors, nurse_a):
    item_id = make(app, actors.profile_a)
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/resolve", {"revision": "1", "outcome": "no_action_needed"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and 'href="#note"' in html and "Say why no action is needed" in html
    assert get_item(app, item_id).status is ItemStatus.OPEN
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/resolve", {"revision": "1"})
    assert "Choose what you did" in response.get_data(as_text=True)


def test_assign_to_a_colleague_and_release(app, actors, nurse_a):
    with app.app_context():
        colleague = nurse(actors.team_a, "Nurse Two").id
    item_id = make(app, actors.profile_a)
    page = nurse_a.get(f"/nurse/queue/{item_id}").get_data(as_text=True)
    assert re.search(rf'<option value="{colleague}"\s*>Nurse Two</option>', page) and "Nurse B" not in page
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/assign", {"revision": "1", "assignee": str(colleague)})
    assert response.status_code == 303 and get_item(app, item_id).assignee_id == colleague
    assert events(app, "queue.assign")[0].detail["to"] == colleague
    assert "Nurse Two has the item for Ann Able" in nurse_a.get("/nurse/queue").get_data(as_text=True)

    response = nurse_a.post_form(f"/nurse/queue/{item_id}/release", {"revision": "2"})
    assert response.status_code == 303 and get_item(app, item_id).assignee_id is None
    assert len(events(app, "queue.release")) == 1


def test_an_item_cannot_go_to_another_teams_nurse(app, actors, nurse_a):
    item_id = make(app, actors.profile_a)
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/assign", {"revision": "1", "assignee": str(actors.nurse_b)})
    assert response.status_code == 200 and "There is a problem" in response.get_data(as_text=True)
    assert get_item(app, item_id).assignee_id is None
    assert events(app, "queue.assign") == []


def test_a_form_without_its_revision_asks_to_reload(app, actors, nurse_a):
    item_id = make(app, actors.profile_a)
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/claim", {})
    assert response.status_code == 303
    assert "This page is out of date" in nurse_a.get(response.location).get_data(as_text=True)
    assert get_item(app, item_id).assignee_id is None


# ---------------------------------------------------------------- two nurses at once


def test_the_second_nurse_gets_409_and_nothing_is_overwritten(app, actors, nurse_a, new_client):
    with app.app_context():
        colleague = nurse(actors.team_a, "Nurse Two").id
    item_id = make(app, actors.profile_a, ItemKind.RED_FLAG)
    other = new_client()
    sign_in_as(other, colleague)
    # Both open the item at revision 1; the colleague claims it first.
    assert other.post_form(f"/nurse/queue/{item_id}/claim", {"revision": "1"}).status_code == 303
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/resolve",
                                 {"revision": "1", "outcome": "phoned", "note": "Rang, no answer <b>twice</b>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Nurse Two changed this item while you were looking at it, so your change was not saved" in html
    assert "Nurse Two has it now." in html
    assert "Rang, no answer &lt;b&gt;twice&lt;/b&gt;" in html  # what she typed, kept (and escaped)
    assert 'name="revision" value="2"' in html
    now = get_item(app, item_id)
    assert (now.status, now.assignee_id, now.outcome, now.outcome_note) == (ItemStatus.OPEN, colleague, None, None)
    [conflict] = [e for e in events(app, "queue.resolve") if e.outcome == "conflict"]
    assert conflict.actor_id == actors.nurse_a and conflict.detail == {"revision_seen": 1, "revision_now": 2}
    # Trying again from the conflict page, on purpose, works.
    again = nurse_a.post_form(f"/nurse/queue/{item_id}/resolve", {"revision": "2", "outcome": "phoned", "note": "Rang"})
    assert again.status_code == 303 and get_item(app, item_id).status is ItemStatus.RESOLVED


@pytest.mark.parametrize("action", ["claim", "release", "assign"])
def test_every_change_checks_the_revision(app, actors, nurse_a, action):
    item_id = make(app, actors.profile_a)
    with app.app_context():
        it = db.session.get(QueueItem, item_id)
        service.claim(it, db.session.get(User, actors.nurse_a), 1)
        db.session.commit()
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/{action}", {"revision": "1", "assignee": str(actors.nurse_a)})
    assert response.status_code == 409
    assert get_item(app, item_id).revision == 2


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("route", ITEM_ROUTES)
def test_another_teams_item_is_not_found_and_the_refusal_is_audited(app, actors, nurse_a, route):
    theirs = make(app, actors.profile_b, ItemKind.RED_FLAG, reason="Ben's red flag")
    address = route.format(id=theirs)
    response = (nurse_a.get(address) if route.count("/") == 3
                else nurse_a.post_form(address, {"revision": "1", "outcome": "phoned", "assignee": str(actors.nurse_a)}))
    assert response.status_code == 404 and "Ben" not in response.get_data(as_text=True)
    [event] = [e for e in events(app, "queue.access_refused")]
    assert (event.actor_id, event.subject, event.outcome) == (actors.nurse_a, f"queue-item:{theirs}", "refused")
    it = get_item(app, theirs)
    assert (it.status, it.assignee_id, it.revision) == (ItemStatus.OPEN, None, 1)


def test_patients_cannot_reach_the_queue(app, actors, client):
    item_id = make(app, actors.profile_a)
    sign_in_as(client, actors.patient_a)
    assert client.get("/nurse/queue").status_code == 404
    assert client.get(f"/nurse/queue/{item_id}").status_code == 404


# ---------------------------------------------------------------- free text and the patient page


def test_free_text_is_escaped_everywhere(app, actors, nurse_a):
    item_id = make(app, actors.profile_a, reason='<script>alert("x")</script>')
    for page in ("/nurse/queue", f"/nurse/queue/{item_id}", f"/nurse/patients/{actors.profile_a}"):
        html = nurse_a.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "&lt;script&gt;alert" in html, page
    nurse_a.post_form(f"/nurse/queue/{item_id}/resolve", {"revision": "1", "outcome": "phoned", "note": "<img src=x onerror=alert(1)>"})
    html = nurse_a.get(f"/nurse/queue/{item_id}").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_the_patient_page_lists_their_open_items(app, actors, nurse_a):
    open_id = make(app, actors.profile_a, ItemKind.REENTRY, reason="Worried about a new lump")
    done_id = make(app, actors.profile_a, reason="An old assessment")
    make(app, actors.profile_a2, reason="Arthur's assessment")
    with app.app_context():
        done = db.session.get(QueueItem, done_id)
        service.resolve(done, Outcome.PHONED, None, db.session.get(User, actors.nurse_a), 1)
        db.session.commit()
    html = nurse_a.get(f"/nurse/patients/{actors.profile_a}").get_data(as_text=True)
    assert f'href="/nurse/queue/{open_id}"' in html and "Worried about a new lump" in html
    assert "An old assessment" not in html and "Arthur" not in html
    html = nurse_a.get(f"/nurse/patients/{actors.profile_a2}").get_data(as_text=True)
    assert "Arthur&#39;s assessment" in html


# ---------------------------------------------------------------- a patient moving team


def move(app, profile_id: int, team_id: int) -> None:
    with app.app_context():
        db.session.get(PatientProfile, profile_id).team_id = team_id
        db.session.commit()


def test_a_patient_who_moves_team_takes_their_open_items_with_them(app, actors, nurse_a, new_client):
    open_id = make(app, actors.profile_a, ItemKind.RED_FLAG, reason="Possible urgent symptom")
    done_id = make(app, actors.profile_a, reason="An old assessment")
    with app.app_context():
        done = db.session.get(QueueItem, done_id)
        service.resolve(done, Outcome.PHONED, None, db.session.get(User, actors.nurse_a), 1)
        hna = hna_service.start_or_resume(db.session.get(PatientProfile, actors.profile_a))
        plan = care_plan(actors.profile_a, date(2027, 1, 1))
        old_plan = care_plan(actors.profile_a, date(2026, 1, 1), is_current=False, version=2)
        hna_id, plan_id, old_plan_id, hna_revision = hna.id, plan.id, old_plan.id, hna.revision
    move(app, actors.profile_a, actors.team_b)

    with app.app_context():
        moved = db.session.get(QueueItem, open_id)
        assert (moved.team_id, moved.revision) == (actors.team_b, 1)   # moved, not edited
        assert db.session.get(QueueItem, done_id).team_id == actors.team_a  # the work done stays
        from app.careplan.models import CarePlan
        from app.hna.models import HNA
        draft = db.session.get(HNA, hna_id)
        assert (draft.team_id, draft.revision) == (actors.team_b, hna_revision)
        assert db.session.get(CarePlan, plan_id).team_id == actors.team_b
        assert db.session.get(CarePlan, old_plan_id).team_id == actors.team_a

    nurse_b = new_client()
    sign_in_as(nurse_b, actors.nurse_b)
    assert "Possible urgent symptom" in nurse_b.get("/nurse/queue").get_data(as_text=True)
    assert nurse_b.get(f"/nurse/queue/{open_id}").status_code == 200
    assert nurse_b.post_form(f"/nurse/queue/{open_id}/claim", {"revision": "1"}).status_code == 303

    assert nurse_a.get(f"/nurse/queue/{open_id}").status_code == 404
    assert nurse_a.get(f"/nurse/queue/{done_id}").status_code == 404
    for status in ("open", "resolved"):
        html = nurse_a.get(f"/nurse/queue?status={status}").get_data(as_text=True)
        assert "Ann Able" not in html, status


def test_an_item_left_with_the_old_team_is_not_theirs_any_more(app, actors, nurse_a):
    # Even a copy of the team that did not move (written around the ORM) does not let the old
    # team reach a patient who is no longer theirs.
    item_id = make(app, actors.profile_a, ItemKind.RED_FLAG)
    with app.app_context():
        db.session.execute(text("UPDATE patient_profiles SET team_id = :team WHERE id = :id"),
                           {"team": actors.team_b, "id": actors.profile_a})
        db.session.commit()
        assert db.session.get(QueueItem, item_id).team_id == actors.team_a
    for route in ITEM_ROUTES:
        address = route.format(id=item_id)
        response = (nurse_a.get(address) if route.count("/") == 3
                    else nurse_a.post_form(address, {"revision": "1", "outcome": "phoned", "assignee": str(actors.nurse_a)}))
        assert response.status_code == 404, route
    assert "Ann Able" not in nurse_a.get("/nurse/queue").get_data(as_text=True)
    it = get_item(app, item_id)
    assert (it.status, it.assignee_id, it.revision) == (ItemStatus.OPEN, None, 1)


# ---------------------------------------------------------------- her own change, sent twice


@pytest.mark.parametrize(
    ("action", "posted", "message"),
    [
        ("claim", {}, "You have this item: Ann Able"),
        ("assign", {"assignee": "colleague"}, "Nurse Two has the item for Ann Able"),
        ("resolve", {"outcome": "phoned", "note": "Rang her"}, "Resolved: Ann Able – phoned the patient"),
    ],
)
def test_a_nurses_own_change_sent_twice_is_simply_done(app, actors, nurse_a, action, posted, message):
    with app.app_context():
        colleague = nurse(actors.team_a, "Nurse Two").id
    posted = {key: str(colleague) if value == "colleague" else value for key, value in posted.items()}
    item_id = make(app, actors.profile_a, ItemKind.RED_FLAG)
    first = nurse_a.post_form(f"/nurse/queue/{item_id}/{action}", {"revision": "1", **posted})
    again = nurse_a.post_form(f"/nurse/queue/{item_id}/{action}", {"revision": "1", **posted})
    assert first.status_code == again.status_code == 303
    assert again.location == first.location
    html = nurse_a.get(again.location).get_data(as_text=True)
    assert message in html and "changed this item" not in html
    [event] = events(app, f"queue.{action}")  # one change, audited once
    assert event.outcome == "success"
    assert get_item(app, item_id).revision == 2


def test_a_nurses_own_release_sent_twice_is_simply_done(app, actors, nurse_a):
    item_id = make(app, actors.profile_a)
    nurse_a.post_form(f"/nurse/queue/{item_id}/claim", {"revision": "1"})
    assert nurse_a.post_form(f"/nurse/queue/{item_id}/release", {"revision": "2"}).status_code == 303
    again = nurse_a.post_form(f"/nurse/queue/{item_id}/release", {"revision": "2"})
    assert again.status_code == 303 and again.location == "/nurse/queue"
    assert "Item for Ann Able given back to the team" in nurse_a.get("/nurse/queue").get_data(as_text=True)
    assert len(events(app, "queue.release")) == 1
    assert get_item(app, item_id).revision == 3


def test_her_own_earlier_change_that_differs_is_still_a_conflict(app, actors, nurse_a):
    item_id = make(app, actors.profile_a)
    nurse_a.post_form(f"/nurse/queue/{item_id}/resolve", {"revision": "1", "outcome": "phoned"})
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/resolve", {"revision": "1", "outcome": "referred"})
    assert response.status_code == 409
    assert get_item(app, item_id).outcome is Outcome.PHONED


@pytest.mark.hazard("HAZ-005")
def test_her_stale_second_resolve_with_a_different_note_is_a_conflict_not_a_retry(app, actors, nurse_a):
    item_id = make(app, actors.profile_a)
    first = {"revision": "1", "outcome": "phoned", "note": "Spoke to her, pain settled"}
    assert nurse_a.post_form(f"/nurse/queue/{item_id}/resolve", first).status_code == 303
    # The same outcome from the same old page, but a different note: not the save that was stored.
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/resolve", {**first, "note": "Booked a GP visit for Friday"})
    assert response.status_code == 409 and "Booked a GP visit for Friday" in response.get_data(as_text=True)
    assert get_item(app, item_id).outcome_note == "Spoke to her, pain settled"
    # Sent again exactly as stored: a retry, answered as saved.
    assert nurse_a.post_form(f"/nurse/queue/{item_id}/resolve", first).status_code == 303


def test_a_colleagues_change_to_the_same_state_is_still_a_conflict(app, actors, nurse_a, new_client):
    with app.app_context():
        colleague = nurse(actors.team_a, "Nurse Two").id
    item_id = make(app, actors.profile_a)
    nurse_a.post_form(f"/nurse/queue/{item_id}/claim", {"revision": "1"})
    other = new_client()
    sign_in_as(other, colleague)
    assert other.post_form(f"/nurse/queue/{item_id}/release", {"revision": "2"}).status_code == 303
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/release", {"revision": "2"})
    assert response.status_code == 409
    assert "Nurse Two changed this item" in response.get_data(as_text=True)
    assert [e.outcome for e in events(app, "queue.release")] == ["success", "conflict"]


# ---------------------------------------------------------------- a resolve form from an old page


def test_a_resolve_form_without_its_revision_keeps_what_she_typed(app, actors, nurse_a):
    item_id = make(app, actors.profile_a)
    response = nurse_a.post_form(f"/nurse/queue/{item_id}/resolve",
                                 {"outcome": "advice_given", "note": "Told to rest <b>today</b>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and "This page was out of date, so the item was not resolved" in html
    assert 'href="#resolve-item"' in html and 'id="resolve-item"' in html
    assert "Told to rest &lt;b&gt;today&lt;/b&gt;</textarea>" in html
    assert re.search(r'value="advice_given"[^>]*checked', html)
    assert 'name="revision" value="1"' in html
    assert get_item(app, item_id).status is ItemStatus.OPEN
    assert events(app, "queue.resolve") == []
    # Sent again from that page, it is saved.
    again = nurse_a.post_form(f"/nurse/queue/{item_id}/resolve",
                              {"revision": "1", "outcome": "advice_given", "note": "Told to rest"})
    assert again.status_code == 303 and get_item(app, item_id).outcome_note == "Told to rest"


def test_a_resolve_form_without_its_revision_or_a_reason_says_both(app, actors, nurse_a):
    item_id = make(app, actors.profile_a)
    html = nurse_a.post_form(f"/nurse/queue/{item_id}/resolve", {"outcome": "no_action_needed"}).get_data(as_text=True)
    assert 'href="#resolve-item"' in html and 'href="#note"' in html and "Say why no action is needed" in html
    assert 'href="#revision"' not in html
