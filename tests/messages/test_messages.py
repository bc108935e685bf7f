"""Messages: the nurse replies in the app, the patient answers; unread counts for both sides,
every message audited and escaped, sends idempotent, and an answer never lands unseen."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, literal, select

from app.extensions import db
from app.messages import service
from app.messages.models import Message, MessageThread
from app.models import AuditEvent, PatientProfile, User
from app.triage.models import ItemStatus, Outcome, QueueItem
from app.triage.queue import ItemKind
from app.triage.service import raise_item, resolve
from tests.helpers import page, sign_in_as

URGENT = "If you need help urgently"
WORKING_HOURS = "Your team reads messages in working hours only"


@pytest.fixture
def item_id(app, actors) -> int:
    with app.app_context():
        item = raise_item(db.session.get(PatientProfile, actors.profile_a), ItemKind.HNA_NEW, "Needs assessment: sent", "hna:test")
        db.session.commit()
        return item.id


@pytest.fixture
def browsers(actors, new_client):
    nurse, patient = new_client(), new_client()
    sign_in_as(nurse, actors.nurse_a)
    sign_in_as(patient, actors.patient_a)
    return nurse, patient


def token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def start(nurse, item_id: int) -> str:
    started = nurse.post_form(f"/nurse/queue/{item_id}/message")
    assert started.status_code == 303
    return started.headers["Location"]


def thread_id_of(url: str) -> int:
    return int(url.rstrip("/").split("/")[-1])


def write(client, url: str, body: str, form_token: str | None = None):
    if form_token is None:
        form_token = token(client.get(url).get_data(as_text=True))
    return client.post_form(url, {"token": form_token, "body": body})


@pytest.mark.hazard("HAZ-019")
def test_a_reply_and_an_answer_each_way_with_unread_counts_and_audit(app, actors, browsers, item_id):
    nurse, patient = browsers
    nurse_url = start(nurse, item_id)
    thread_id = thread_id_of(nurse_url)
    patient_url = f"/my-care/messages/{thread_id}"

    assert write(nurse, nurse_url, "Could you tell me when the tiredness started?").status_code == 303
    with app.app_context():
        assert service.unread_for_patient(db.session.get(PatientProfile, actors.profile_a)) == 1
    listed = page(patient.get("/my-care/messages"))
    assert "1 new" in listed and WORKING_HOURS in listed and URGENT in listed

    opened = page(patient.get(patient_url))
    assert "Could you tell me when the tiredness started?" in opened
    assert WORKING_HOURS in opened and URGENT in opened
    assert write(patient, patient_url, "About three weeks ago").status_code == 303
    with app.app_context():
        assert service.unread_for_patient(db.session.get(PatientProfile, actors.profile_a)) == 0
        assert service.unread_for_team(actors.team_a) == 1
        assert service.unread_for_team(actors.team_b) == 0
    assert "1 unread" in page(nurse.get("/nurse/messages"))
    assert "About three weeks ago" in page(nurse.get(nurse_url))
    with app.app_context():
        assert service.unread_for_team(actors.team_a) == 0
        sends = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "message.send")
                                  .order_by(AuditEvent.id)).all()
        assert [d["from_patient"] for d in sends] == [False, True]
        # The item was still open, so the answer is on it: nothing new raised.
        assert db.session.scalar(select(func.count()).select_from(QueueItem)) == 1


@pytest.mark.hazard("HAZ-019")
def test_an_answer_after_the_work_was_resolved_goes_back_to_the_queue(app, actors, browsers, item_id):
    nurse, patient = browsers
    nurse_url = start(nurse, item_id)
    write(nurse, nurse_url, "All looks fine; no need to come in.")
    with app.app_context():
        item = db.session.get(QueueItem, item_id)
        resolve(item, Outcome.ADVICE_GIVEN, None, db.session.get(User, actors.nurse_a), item.revision)
        db.session.commit()

    assert write(patient, f"/my-care/messages/{thread_id_of(nurse_url)}", "It is worse today").status_code == 303

    with app.app_context():
        raised = db.session.scalar(select(QueueItem).where(QueueItem.source_key.like("message:%")))
        assert raised.status is ItemStatus.OPEN and raised.patient_id == actors.profile_a
        assert "It is worse today" in raised.reason
        # A second answer joins the open item rather than stacking another.
        thread = db.session.get(MessageThread, thread_id_of(nurse_url))
        assert service.open_work(thread).id == raised.id
    write(patient, f"/my-care/messages/{thread_id_of(nurse_url)}", "And I forgot to say: since Monday")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.status == ItemStatus.OPEN)) == 1
    # The raised item leads the nurse back to the same conversation.
    assert nurse_url in nurse.get(f"/nurse/queue/{raised_id(app)}").get_data(as_text=True)


def raised_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(QueueItem.id).where(QueueItem.source_key.like("message:%")))


@pytest.mark.hazard("HAZ-019")
def test_a_message_sent_twice_is_sent_once_and_a_used_form_sends_nothing(app, browsers, item_id):
    nurse, patient = browsers
    thread_url = f"/my-care/messages/{thread_id_of(start(nurse, item_id))}"
    form_token = token(patient.get(thread_url).get_data(as_text=True))

    assert write(patient, thread_url, "Thank you", form_token).status_code == 303
    assert write(patient, thread_url, "Thank you", form_token).status_code == 303
    reused = write(patient, thread_url, "One more thing", form_token)
    missing = write(patient, thread_url, "Another thing", "")

    assert reused.status_code == missing.status_code == 409
    assert "One more thing" in page(reused) and "Another thing" in page(missing)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 1


@pytest.mark.parametrize(("body", "message"), [("   ", "Write your message"), ("x" * 2001, "2,000 characters or fewer")])
def test_a_mistake_keeps_what_was_typed(app, browsers, item_id, body, message):
    nurse, patient = browsers
    answer = write(patient, f"/my-care/messages/{thread_id_of(start(nurse, item_id))}", body)
    assert answer.status_code == 200 and message in page(answer)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_free_text_is_escaped_and_isolated_on_staff_pages(app, browsers, item_id):
    nurse, patient = browsers
    nurse_url = start(nurse, item_id)
    write(patient, f"/my-care/messages/{thread_id_of(nurse_url)}", "<script>alert(1)</script> \u202eevil")
    staff = nurse.get(nurse_url).get_data(as_text=True)
    mine = patient.get(f"/my-care/messages/{thread_id_of(nurse_url)}").get_data(as_text=True)
    for html in (staff, mine):
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<bdi>&lt;script&gt;" in staff  # isolated from the page's own direction


def test_a_queue_item_has_one_thread_however_often_it_is_started(app, browsers, item_id):
    nurse, _ = browsers
    assert start(nurse, item_id) == start(nurse, item_id)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MessageThread)) == 1


# ---------------------------------------------------------------- the phone's outbox


def send_json(client, thread_id, fields: dict, key: str):
    return client.post_json("/my-care/messages/api/send", {**fields, "thread_id": thread_id}, headers={"Idempotency-Key": key})


@pytest.mark.hazard("HAZ-019")
def test_the_outbox_sends_an_answer_once_however_often_it_is_sent(app, browsers, item_id):
    """An answer kept on the phone with no connection carries an Idempotency-Key and the form's
    own token: a retry is answered from the first, and the same form under a new key (or posted
    by the page after all) finds the message already sent."""
    nurse, patient = browsers
    thread_id = thread_id_of(start(nurse, item_id))
    thread_url = f"/my-care/messages/{thread_id}"
    form_token = token(patient.get(thread_url).get_data(as_text=True))
    fields = {"token": form_token, "body": "Mostly at night"}

    first = send_json(patient, thread_id, fields, "outbox-entry-0001")
    retried = send_json(patient, thread_id, fields, "outbox-entry-0001")
    tapped_twice = send_json(patient, thread_id, fields, "outbox-entry-0002")

    assert first.status_code == retried.status_code == tapped_twice.status_code == 201
    assert retried.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json()["next_url"] == thread_url
    assert write(patient, thread_url, "Mostly at night", form_token).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Message.body)).all() == ["Mostly at night"]
    assert "Message sent" in page(patient.get(thread_url))


@pytest.mark.hazard("HAZ-019")
@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        ({"body": "   "}, 422, "invalid"),
        ({"body": "x" * 2001}, 422, "invalid"),
        ({"token": ""}, 409, "out_of_date"),
        ({"token": "used"}, 409, "token_used"),
    ],
)
def test_the_outbox_is_told_why_an_answer_was_not_sent_in_the_one_error_shape(app, browsers, item_id, fields, status, error):
    nurse, patient = browsers
    thread_id = thread_id_of(start(nurse, item_id))
    form_token = token(patient.get(f"/my-care/messages/{thread_id}").get_data(as_text=True))
    if fields.get("token") == "used":
        assert write(patient, f"/my-care/messages/{thread_id}", "First answer", form_token).status_code == 303
        fields = {**fields, "token": form_token}
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Message))

    answer = send_json(patient, thread_id, {"token": form_token, "body": "Another answer", **fields}, "outbox-entry-0003")

    assert answer.status_code == status
    assert answer.get_json()["error"] == error and answer.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == before


def test_the_outbox_cannot_answer_on_someone_elses_thread(app, actors, new_client, browsers, item_id):
    nurse, _ = browsers
    thread_id = thread_id_of(start(nurse, item_id))
    other = new_client()
    sign_in_as(other, actors.patient_b)
    answer = send_json(other, thread_id, {"token": "a" * 22, "body": "Not mine"}, "outbox-entry-0004")
    assert answer.status_code == 404 and answer.is_json
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


@pytest.mark.parametrize("thread", [None, "", "one", -1, 2**63, True])
def test_the_outbox_naming_no_thread_is_a_400(app, browsers, item_id, thread):
    _, patient = browsers
    answer = send_json(patient, thread, {"token": "a" * 22, "body": "Which thread?"}, "outbox-entry-0005")
    assert answer.status_code in (400, 404) and answer.get_json()["error"]


def header_counts(app, actors) -> dict:
    """The header's count (read with the session) for each person, by their name in `actors`."""
    with app.app_context():
        return {who: db.session.scalar(select(service.header_unread_count(literal(getattr(actors, who)))))
                for who in ("patient_a", "patient_a2", "patient_b", "nurse_a", "nurse_b", "admin")}


def test_the_header_count_read_with_the_session_is_each_persons_own(app, actors, browsers, item_id):
    nurse, patient = browsers
    nurse_url = start(nurse, item_id)
    write(nurse, nurse_url, "Could you tell me when the tiredness started?")
    # The patient's reply from the team; nobody else has anything unread.
    assert header_counts(app, actors) == {"patient_a": 1, "patient_a2": 0, "patient_b": 0,
                                          "nurse_a": 0, "nurse_b": 0, "admin": 0}
    write(patient, f"/my-care/messages/{thread_id_of(nurse_url)}", "About three weeks ago")
    # Read by opening it; the answer is unread for the patient's team only, not another team's.
    assert header_counts(app, actors) == {"patient_a": 0, "patient_a2": 0, "patient_b": 0,
                                          "nurse_a": 1, "nurse_b": 0, "admin": 0}
    with app.app_context():
        assert service.unread_for_team(actors.team_a) == 1 and service.unread_for_team(actors.team_b) == 0


def test_the_header_count_is_read_with_the_session_and_never_for_json_calls(app, browsers):
    from tests.test_query_counts import counting_statements

    _, patient = browsers
    with app.app_context(), counting_statements() as page_statements:
        patient.get("/my-care/contacts")
    with app.app_context(), counting_statements() as json_statements:
        patient.get("/my-care/urgent-line", headers={"Accept": "application/json"})
    assert len(page_statements) == 1 and "messages" in page_statements[0]
    assert json_statements and not any("messages" in statement for statement in json_statements)


@pytest.mark.hazard("HAZ-019")
def test_unread_counts_are_in_the_nurses_header_and_the_patients_menu(app, actors, browsers, item_id):
    nurse, patient = browsers
    nurse_url = start(nurse, item_id)
    assert "unread</span>" not in page(patient.get("/my-care"))

    write(nurse, nurse_url, "Could you tell me when the tiredness started?")
    menu = patient.get("/my-care").get_data(as_text=True)
    assert re.search(r'href="/my-care/messages"[^>]*>\s*Messages \(1<span class="nhsuk-u-visually-hidden"> unread</span>\)', menu)

    write(patient, f"/my-care/messages/{thread_id_of(nurse_url)}", "About three weeks ago")
    header = nurse.get("/nurse/queue").get_data(as_text=True)
    assert re.search(r'href="/nurse/messages"[^>]*>\s*Messages \(1<span class="nhsuk-u-visually-hidden"> unread</span>\)', header)
    assert "unread</span>" not in page(patient.get("/my-care"))  # the patient has read the nurse's

    nurse.get(nurse_url)
    assert re.search(r'href="/nurse/messages"[^>]*>\s*Messages\s*<', nurse.get("/nurse/queue").get_data(as_text=True))


def test_opening_a_thread_reads_only_the_messages_its_page_shows(app, actors, item_id):
    """A reply sent after the page read the thread's messages stays unread (the header counts it,
    home lists it) until a page shows it: open_thread marks only what it was shown."""
    from app.idempotency import new_form_token

    with app.app_context():
        nurse = db.session.get(User, actors.nurse_a)
        thread = service.start_thread(db.session.get(QueueItem, item_id), nurse)
        service.send(thread, nurse, new_form_token(), "First reply")
        db.session.commit()
        shown = service.messages_of(thread)
        service.send(thread, nurse, new_form_token(), "Sent while the page was being made")
        db.session.flush()
        assert service.open_thread(thread, True, None, shown) is True
        db.session.commit()
        read = dict(db.session.execute(select(Message.body, Message.read_at.is_not(None))
                                       .where(Message.thread_id == thread.id)).all())
        assert read == {"First reply": True, "Sent while the page was being made": False}
        # Nothing unread shown: no write (and nothing for the caller to commit).
        assert service.open_thread(thread, True, None, service.messages_of(thread)[:1]) is False
