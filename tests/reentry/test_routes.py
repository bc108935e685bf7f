"""Asking to be seen: the patient's request reaches the queue once, shows its reply date and
each step the team takes; the nurse moves it on, told when a colleague got there first."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.followup.models import FollowUpType
from app.models import AuditEvent, PatientProfile, Role, Team, User
from app.reentry.models import ReentryRequest, RequestStatus
from app.timeutil import london_today, long_date
from app.triage.models import ItemStatus, Outcome, QueueItem
from app.triage.queue import ItemKind
from app.triage.working_days import response_deadline
from tests.helpers import moved_just_before_the_first_write, page, sign_in_as
from tests.reentry.helpers import ask_data, form_token, give_plan

ASK = "/my-care/ask-to-be-seen"
URGENT = "If you need help urgently"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def self_managed(app, actors):
    with app.app_context():
        give_plan(actors.profile_a, actors.nurse_a)


def send(client, **changes):
    token = form_token(client.get(ASK).get_data(as_text=True))
    return client.post_form(ASK, ask_data(token, **changes))


def request_id_from(response) -> int:
    return int(response.headers["Location"].split("/requests/")[1].split("?")[0])


@pytest.mark.hazard("HAZ-020")
def test_a_request_reaches_the_queue_and_the_person_is_given_the_date_to_expect_a_reply(app, patient, self_managed):
    form = patient.get(ASK)
    assert form.status_code == 200 and URGENT in page(form)

    sent = send(patient)

    assert sent.status_code == 303
    confirmation = patient.get(sent.headers["Location"])
    with app.app_context():
        request = db.session.get(ReentryRequest, request_id_from(sent))
        item = db.session.scalar(select(QueueItem).where(QueueItem.source_key == f"reentry:{request.id}"))
        assert item.kind is ItemKind.REENTRY and item.status is ItemStatus.OPEN
        assert "A new ache in my lower back" in item.reason
        assert request.due_at == item.due_at and request.status is RequestStatus.SENT
        audited = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reentry.create"))
        assert audited.subject == f"reentry:{request.id}"
        due = long_date(item.due_at)
    text = page(confirmation)
    assert f"Your team will contact you by {due}" in text
    assert URGENT in text and "If you feel worse before then" in text
    assert "Sent to your team" in text


@pytest.mark.hazard("HAZ-020")
def test_the_same_form_sent_twice_makes_one_request_and_one_queue_item(app, patient, self_managed):
    token = form_token(patient.get(ASK).get_data(as_text=True))

    first = patient.post_form(ASK, ask_data(token))
    again = patient.post_form(ASK, ask_data(token))

    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    with app.app_context():
        assert count(ReentryRequest) == 1
        assert db.session.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.kind == ItemKind.REENTRY)) == 1


@pytest.mark.hazard("HAZ-020")
@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (None, "This page was out of date"),
        ("", "This page was out of date"),
        ("reused", "This form was already used to send a request"),
    ],
)
def test_a_form_that_cannot_be_sent_once_sends_nothing_and_keeps_what_was_typed(app, patient, self_managed, token, problem):
    if token == "reused":
        token = form_token(patient.get(ASK).get_data(as_text=True))
        assert patient.post_form(ASK, ask_data(token)).status_code == 303
    before = None
    with app.app_context():
        before = count(ReentryRequest)

    answer = patient.post_form(ASK, ask_data(token, worry="Short of breath climbing stairs"))

    assert answer.status_code == 409
    assert problem in page(answer) and "Short of breath climbing stairs" in page(answer)
    with app.app_context():
        assert count(ReentryRequest) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"worry": "  "}, "Tell us what is worrying you"),
        ({"contact_phone": ""}, "Enter a phone number to call you on"),
        ({"contact_phone": "0999"}, "Enter a full phone number"),
        ({"contact_method": None}, "Choose how you would like your team to contact you"),
        ({"contact_time": "midnight"}, "Not a valid choice"),
        ({"worry": "x" * 2001}, "2,000 characters or fewer"),
    ],
)
def test_a_mistake_is_shown_with_what_was_typed_kept(app, patient, self_managed, changes, message):
    answer = send(patient, **{"worry": "Pain in my hip at night", **changes})

    assert answer.status_code == 200  # the form again, as every form in the app answers a mistake
    text = page(answer)
    assert message in text
    if "worry" not in changes:
        assert "Pain in my hip at night" in text
    with app.app_context():
        assert count(ReentryRequest) == 0


def test_a_message_as_the_way_to_contact_needs_no_phone_number(app, patient, self_managed):
    assert send(patient, contact_method="message", contact_phone="").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(ReentryRequest)).contact_phone is None


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        ((FollowUpType.CLINICIAN_LED, None), "Your cancer team arranges your check-up appointments"),
        ((FollowUpType.SUPPORTED_SELF_MANAGEMENT, timedelta(days=-1)), "contact your GP practice"),
        (None, "has not recorded your follow-up plan yet"),
    ],
)
def test_without_open_access_the_page_says_who_to_contact_and_keeps_urgent_help(app, actors, patient, plan, words):
    with app.app_context():
        if plan is not None:
            kind, offset = plan
            give_plan(actors.profile_a, actors.nurse_a, kind, london_today() + offset if offset else None)

    shown = patient.get(ASK)
    posted = patient.post_form(ASK, ask_data("a" * 22))

    for answer in (shown, posted):
        assert answer.status_code == 200
        assert words in page(answer) and URGENT in page(answer)
        assert "What is worrying you?" not in page(answer)
    with app.app_context():
        assert count(ReentryRequest) == 0


# ---------------------------------------------------------------- the team moves it on


@pytest.fixture
def sent_request(app, actors, new_client, self_managed) -> int:
    client = new_client()
    sign_in_as(client, actors.patient_a)
    return request_id_from(send(client))


def nurse_url(actors, request_id: int) -> str:
    return f"/nurse/patients/{actors.profile_a}/requests/{request_id}"


def shown_version(client, actors, request_id: int) -> int:
    """The version the nurse's page shows now, in its hidden field."""
    html = client.get(nurse_url(actors, request_id)).get_data(as_text=True)
    return int(re.search(r'name="version" value="(\d+)"', html).group(1))


def step(client, actors, request_id: int, version: int | None, status: str, **fields):
    """Post the next step from a page that showed `version` (None: the page as it is now)."""
    if version is None:
        version = shown_version(client, actors, request_id)
    return client.post_form(nurse_url(actors, request_id), {"version": str(version), "status": status, **fields})


@pytest.mark.hazard("HAZ-020")
def test_the_person_sees_each_step_from_sent_to_closed_each_dated_and_audited(app, actors, new_client, sent_request):
    nurse, patient = new_client(), new_client()
    sign_in_as(nurse, actors.nurse_a)
    sign_in_as(patient, actors.patient_a)
    status_url = f"/my-care/requests/{sent_request}"
    day = london_today() + timedelta(days=3)
    with app.app_context():
        nurse_name = db.session.get(User, actors.nurse_a).display_name

    assert step(nurse, actors, sent_request, None, "seen").status_code == 303
    assert f"Seen by {nurse_name}" in page(patient.get(status_url))
    assert step(nurse, actors, sent_request, None, "will_call").status_code == 303
    assert "A nurse will call you" in page(patient.get(status_url))
    assert step(nurse, actors, sent_request, None, "appointment_booked", **{
        "appointment_date-day": str(day.day), "appointment_date-month": str(day.month),
        "appointment_date-year": str(day.year), "appointment_time": "14:30",
        "appointment_place": "Oncology outpatients, level 2"}).status_code == 303
    booked = page(patient.get(status_url))
    assert "Appointment booked" in booked and long_date(day) in booked and "2:30pm" in booked
    assert "Oncology outpatients, level 2" in booked
    assert step(nurse, actors, sent_request, None, "closed", outcome="advice_given",
                outcome_note="Nothing worrying on examination").status_code == 303

    closed = page(patient.get(status_url))
    assert "Closed" in closed and "A nurse gave you advice" in closed and "Nothing worrying on examination" in closed
    assert URGENT in closed
    with app.app_context():
        request = db.session.get(ReentryRequest, sent_request)
        assert [c.status for c in request.changes] == [
            RequestStatus.SENT, RequestStatus.SEEN, RequestStatus.WILL_CALL,
            RequestStatus.APPOINTMENT_BOOKED, RequestStatus.CLOSED]
        assert all(c.changed_at is not None for c in request.changes)
        statuses = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "reentry.status")
                                      .order_by(AuditEvent.id)).all()
        assert [d["status"] for d in statuses] == ["seen", "will_call", "appointment_booked", "closed"]
        item = db.session.scalar(select(QueueItem).where(QueueItem.source_key == f"reentry:{sent_request}"))
        assert item.status is ItemStatus.RESOLVED and item.outcome is Outcome.ADVICE_GIVEN


@pytest.mark.hazard("HAZ-020")
def test_a_colleague_changing_the_request_first_is_a_conflict_that_keeps_what_was_typed(app, actors, new_client, sent_request):
    with app.app_context():
        colleague = User(role=Role.NURSE, display_name="Alex Colleague", team_id=actors.team_a)
        db.session.add(colleague)
        db.session.commit()
        colleague_id = colleague.id
    first, second = new_client(), new_client()
    sign_in_as(first, colleague_id)
    sign_in_as(second, actors.nurse_a)

    both_saw = shown_version(second, actors, sent_request)
    assert step(first, actors, sent_request, both_saw, "will_call").status_code == 303
    late = step(second, actors, sent_request, both_saw, "closed", outcome="no_action_needed", outcome_note="Settled by phone")

    assert late.status_code == 409
    assert "Alex Colleague updated this request" in page(late) and "Settled by phone" in page(late)
    with app.app_context():
        assert db.session.get(ReentryRequest, sent_request).status is RequestStatus.WILL_CALL


def test_the_nurses_own_step_sent_twice_is_saved_once_without_a_conflict(app, actors, nurse, sent_request):
    saw = shown_version(nurse, actors, sent_request)
    assert step(nurse, actors, sent_request, saw, "will_call").status_code == 303
    assert step(nurse, actors, sent_request, saw, "will_call").status_code == 303
    with app.app_context():
        assert len(db.session.get(ReentryRequest, sent_request).changes) == 2


def test_an_appointment_needs_its_date_time_and_place_and_closing_needs_an_outcome(app, actors, nurse, sent_request):
    booked = step(nurse, actors, sent_request, None, "appointment_booked", appointment_place="Clinic 4")
    closed = step(nurse, actors, sent_request, None, "closed", outcome_note="Phoned")

    assert booked.status_code == 200
    assert "Enter the appointment date" in page(booked) and "Enter the appointment time" in page(booked)
    assert "Clinic 4" in page(booked)
    assert closed.status_code == 200 and "Choose the outcome" in page(closed) and "Phoned" in page(closed)


def test_the_queue_item_leads_to_the_request(app, actors, nurse, sent_request):
    with app.app_context():
        item_id = db.session.scalar(select(QueueItem.id).where(QueueItem.source_key == f"reentry:{sent_request}"))
    assert nurse_url(actors, sent_request) in nurse.get(f"/nurse/queue/{item_id}").get_data(as_text=True)


def resolve_from_queue(client, request_id: int, outcome: str, note: str = ""):
    """Resolve the request's queue item on the queue item page, as it shows now."""
    with client.application.app_context():
        item = db.session.scalar(select(QueueItem).where(QueueItem.source_key == f"reentry:{request_id}"))
        item_id, revision = item.id, item.revision
    return client.post_form(f"/nurse/queue/{item_id}/resolve",
                            {"revision": str(revision), "outcome": outcome, "note": note})


@pytest.mark.hazard("HAZ-020")
def test_resolving_the_queue_item_closes_the_request_with_the_same_outcome(app, actors, new_client, sent_request):
    nurse, patient = new_client(), new_client()
    sign_in_as(nurse, actors.nurse_a)
    sign_in_as(patient, actors.patient_a)
    assert step(nurse, actors, sent_request, None, "will_call").status_code == 303
    seen_before = shown_version(nurse, actors, sent_request)

    resolved = resolve_from_queue(nurse, sent_request, "phoned", "Spoke to him, the ache has settled")

    assert resolved.status_code == 303
    closed = page(patient.get(f"/my-care/requests/{sent_request}"))
    assert "Closed" in closed and "A nurse spoke to you on the phone" in closed
    assert "Spoke to him, the ache has settled" in closed
    on_its_page = page(nurse.get(nurse_url(actors, sent_request)))
    assert "This request is closed" in on_its_page and "Phoned the patient" in on_its_page
    with app.app_context():
        request = db.session.get(ReentryRequest, sent_request)
        assert request.status is RequestStatus.CLOSED and request.outcome is Outcome.PHONED
        assert request.outcome_note == "Spoke to him, the ache has settled"
        assert [c.status for c in request.changes] == [RequestStatus.SENT, RequestStatus.WILL_CALL, RequestStatus.CLOSED]
        assert request.changes[-1].changed_by_id == actors.nurse_a
        assert request.version > seen_before  # a page showing the request before is now out of date
        statuses = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "reentry.status")
                                      .order_by(AuditEvent.id)).all()
        assert [d["status"] for d in statuses] == ["will_call", "closed"]
    # The request's page, left open from before, cannot close it a second time with other words.
    late = step(nurse, actors, sent_request, seen_before, "closed", outcome="advice_given", outcome_note="Other words")
    assert late.status_code == 409 and "Other words" in page(late)
    with app.app_context():
        assert db.session.get(ReentryRequest, sent_request).outcome is Outcome.PHONED


@pytest.mark.hazard("HAZ-020")
@pytest.mark.parametrize("outcome", [o.value for o in Outcome])
def test_every_queue_outcome_closes_the_request_in_words_the_person_reads(app, actors, new_client, sent_request, outcome):
    nurse, patient = new_client(), new_client()
    sign_in_as(nurse, actors.nurse_a)
    sign_in_as(patient, actors.patient_a)

    assert resolve_from_queue(nurse, sent_request, outcome, "Why, in a few words").status_code == 303

    status_page = patient.get(f"/my-care/requests/{sent_request}")
    assert status_page.status_code == 200 and "Closed" in page(status_page)
    with app.app_context():
        from app.reentry.service import OUTCOME_LABELS_FOR_PATIENT

        assert OUTCOME_LABELS_FOR_PATIENT[Outcome(outcome)] in page(status_page)
        assert db.session.get(ReentryRequest, sent_request).outcome is Outcome(outcome)


def test_the_queue_item_page_says_resolving_closes_the_request_the_person_reads(app, actors, nurse, sent_request):
    with app.app_context():
        item_id = db.session.scalar(select(QueueItem.id).where(QueueItem.source_key == f"reentry:{sent_request}"))
    assert "closes their request to be seen" in page(nurse.get(f"/nurse/queue/{item_id}"))


def _log_symptom(profile_id: int, words: str):
    from app.symptoms import service as symptoms
    from app.symptoms.service import SymptomDetails

    entry = symptoms.log_symptom(db.session.get(PatientProfile, profile_id),
                                 SymptomDetails(None, words, "mild", london_today(), False, None))
    db.session.commit()
    return entry.id


@pytest.mark.hazard("HAZ-020")
def test_own_symptom_entries_can_be_attached_and_another_patients_cannot(app, actors, patient, self_managed):
    with app.app_context():
        own = _log_symptom(actors.profile_a, "Aching back at night")
        theirs = _log_symptom(actors.profile_b, "Someone else's cough")
    form = patient.get(ASK)
    assert "Aching back at night" in page(form) and "Someone else's cough" not in page(form)
    token = form_token(form.get_data(as_text=True))

    refused = patient.post_form(ASK, {**ask_data(token, worry="Worse this week"), "symptom_entry_ids": [str(own), str(theirs)]})
    assert refused.status_code == 200 and "is not a valid choice" in page(refused) and "Worse this week" in page(refused)
    with app.app_context():
        assert count(ReentryRequest) == 0

    sent = patient.post_form(ASK, {**ask_data(token, worry="Worse this week"), "symptom_entry_ids": [str(own)]})
    assert sent.status_code == 303
    with app.app_context():
        request = db.session.scalar(select(ReentryRequest))
        assert [e.id for e in request.symptoms] == [own]
    assert "Aching back at night" in page(patient.get(sent.headers["Location"]))


# ---------------------------------------------------------------- the phone's outbox

SEND_JSON = "/my-care/ask-to-be-seen/api/send"


@pytest.mark.hazard("HAZ-020")
def test_the_outbox_makes_one_request_however_often_it_is_sent(app, patient, self_managed):
    """The form kept on the phone with no connection is sent with an Idempotency-Key and the
    form's own token: a retry of the same key is answered from the first, and the same form under
    a new key (tapped twice before the first answer came back) finds the request already made."""
    token = form_token(patient.get(ASK).get_data(as_text=True))

    first = patient.post_json(SEND_JSON, ask_data(token), headers={"Idempotency-Key": "outbox-entry-0001"})
    retried = patient.post_json(SEND_JSON, ask_data(token), headers={"Idempotency-Key": "outbox-entry-0001"})
    tapped_twice = patient.post_json(SEND_JSON, ask_data(token), headers={"Idempotency-Key": "outbox-entry-0002"})
    by_the_page = patient.post_form(ASK, ask_data(token))

    assert first.status_code == retried.status_code == tapped_twice.status_code == 201
    assert retried.headers.get("Idempotent-Replayed") == "true"
    with app.app_context():
        (request,) = db.session.scalars(select(ReentryRequest)).all()
        assert db.session.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.kind == ItemKind.REENTRY)) == 1
        assert request.contact_phone == "07700 900123"
    where = f"/my-care/requests/{request.id}?sent=1"
    assert first.get_json() == tapped_twice.get_json() == {"reentry_request_id": request.id, "next_url": where}
    assert by_the_page.status_code == 303 and by_the_page.headers["Location"] == where


@pytest.mark.hazard("HAZ-020")
@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        ({"worry": "  "}, 422, "invalid"),
        ({"contact_phone": "0999"}, 422, "invalid"),
        ({"token": ""}, 409, "out_of_date"),
        ({"token": "used"}, 409, "token_used"),
        ({"symptom_entry_ids": ["99999"]}, 422, "invalid"),
    ],
)
def test_the_outbox_is_told_why_a_request_was_not_sent_in_the_one_error_shape(app, patient, self_managed, fields, status, error):
    token = form_token(patient.get(ASK).get_data(as_text=True))
    if fields.get("token") == "used":
        assert patient.post_form(ASK, ask_data(token, worry="Something else first")).status_code == 303
        fields = {**fields, "token": token}
    with app.app_context():
        before = count(ReentryRequest)

    answer = patient.post_json(SEND_JSON, {**ask_data(token), **fields}, headers={"Idempotency-Key": "outbox-entry-0003"})

    assert answer.status_code == status
    assert answer.get_json()["error"] == error and answer.get_json()["detail"]
    with app.app_context():
        assert count(ReentryRequest) == before


@pytest.mark.parametrize("body", [{}, [], "worry", {"worry": 7}])
def test_the_outbox_sending_no_form_is_a_400_or_a_422_never_a_request(app, patient, self_managed, body):
    answer = patient.post_json(SEND_JSON, body, headers={"Idempotency-Key": "outbox-entry-0004"})
    assert answer.status_code in (400, 422) and answer.is_json and "error" in answer.get_json()
    with app.app_context():
        assert count(ReentryRequest) == 0


def test_the_outbox_cannot_ask_to_be_seen_without_open_access(app, actors, patient):
    with app.app_context():
        give_plan(actors.profile_a, actors.nurse_a, FollowUpType.CLINICIAN_LED)
    answer = patient.post_json(SEND_JSON, ask_data("a" * 22), headers={"Idempotency-Key": "outbox-entry-0005"})
    assert answer.status_code == 409 and answer.get_json()["error"] == "not_open"
    with app.app_context():
        assert count(ReentryRequest) == 0


def test_the_persons_request_pages_read_the_nurses_they_name_with_the_request(app, actors, new_client, sent_request):
    """Who saw the request and who made each change are read with the request (issue 12): a page
    naming nurses other than the key worker makes no statement more than one naming nobody."""
    from tests.test_query_counts import counting_statements

    with app.app_context():
        others = [User(role=Role.NURSE, display_name=name, email=f"{name.split()[0].lower()}@example.test",
                       team_id=actors.team_a) for name in ("Xavier Nurse", "Yusuf Nurse")]
        db.session.add_all(others)
        db.session.commit()
        xavier, yusuf = (nurse.id for nurse in others)
    patient, nurse_x, nurse_y = new_client(), new_client(), new_client()
    sign_in_as(patient, actors.patient_a)
    sign_in_as(nurse_x, xavier)
    sign_in_as(nurse_y, yusuf)
    status_url = f"/my-care/requests/{sent_request}"

    def statements_of(url) -> tuple[int, str]:
        patient.get(url)
        with app.app_context(), counting_statements() as statements:
            html = page(patient.get(url))
        return len(statements), html

    naming_nobody = {url: statements_of(url)[0] for url in (ASK, status_url)}
    assert step(nurse_x, actors, sent_request, None, "seen").status_code == 303
    asked, html = statements_of(ASK)
    assert "Seen by Xavier Nurse" in html and asked == naming_nobody[ASK]
    # The home page's list of things to do names her too, from its own read of open requests.
    assert "Your request to be seen</a>" in (home := page(patient.get("/my-care"))) and "Seen by Xavier Nurse" in home
    assert step(nurse_y, actors, sent_request, None, "will_call").status_code == 303
    status, html = statements_of(status_url)
    assert "Seen by Xavier Nurse" in html and "A nurse will call you" in html
    # The session, the request with its symptoms, history and nurses, and its message thread.
    assert status == naming_nobody[status_url] == 3


@pytest.mark.hazard("HAZ-015")
def test_a_request_goes_to_the_team_the_person_is_in_when_it_is_raised_with_that_teams_target(app, actors, patient, self_managed):
    """A team move committed after the request read the person's record, before it wrote: the
    queue item goes to the person's team of now, with that team's response target (the date the
    person is told), never to a team whose queue no longer shows them."""
    with app.app_context():
        db.session.get(Team, actors.team_b).response_targets = {ItemKind.REENTRY.value: 7}
        db.session.commit()
    token = form_token(patient.get(ASK).get_data(as_text=True))
    data = {**ask_data(token), "csrf_token": patient.csrf_token()}

    with moved_just_before_the_first_write(app, actors.profile_a, actors.team_b) as moved:
        sent = patient.post_form(ASK, data)

    assert moved and sent.status_code == 303, page(sent)[:2000]
    with app.app_context():
        (item,) = db.session.scalars(select(QueueItem)).all()
        assert item.team_id == actors.team_b
        assert item.due_at == response_deadline(item.received_at, 7)
        assert item.revision == 1  # written as it is, not written and then edited
        assert db.session.get(ReentryRequest, request_id_from(sent)).due_at == item.due_at
