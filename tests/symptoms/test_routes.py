"""The symptom log's pages: logging, what the person is told, correcting and removing, and what
the team's queue gets."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, PatientProfile, Team
from app.symptoms.models import SymptomEntry, SymptomEntryVersion
from app.triage.models import ItemStatus, QueueItem
from app.triage.queue import ItemKind
from app.triage.working_days import response_deadline
from tests.helpers import moved_just_before_the_first_write, page

from .helpers import form_token, log, symptom_form

# A Monday in London (GMT in December): before the 15:00 cut-off.
MONDAY_MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)


def entries(app) -> list[SymptomEntry]:
    with app.app_context():
        return list(db.session.scalars(select(SymptomEntry).order_by(SymptomEntry.id)))


def queue(app) -> list[QueueItem]:
    with app.app_context():
        return list(db.session.scalars(select(QueueItem).order_by(QueueItem.id)))


@pytest.fixture
def team_phones(app, actors):
    with app.app_context():
        team = db.session.get(PatientProfile, actors.profile_a).team
        team.phone, team.out_of_hours_phone, team.out_of_hours_name = "020 7946 0000", "020 7946 0999", "Acute oncology line"
        db.session.commit()


def test_a_watch_symptom_is_logged_with_advice_and_not_sent_to_the_queue(app, patient, clock):
    clock(MONDAY_MORNING)
    response = log(patient, symptom="tiredness", severity="mild", started=date(2026, 12, 5), note="Since Saturday")
    assert response.status_code == 303
    shown = page(patient.get(response.headers["Location"]))
    assert "Your symptom is logged" in shown and "If you need help urgently" in shown
    assert queue(app) == []
    (entry,) = entries(app)
    assert (entry.level, entry.symptom_text, entry.note) == ("watch", "Tiredness", "Since Saturday")
    history = page(patient.get("/my-care/symptoms"))
    assert "Tiredness" in history and "Since Saturday" in history


def test_the_pathway_list_and_something_else_are_offered_with_plain_severities(patient):
    shown = page(patient.get("/my-care/symptoms/new"))
    assert "A new lump in your breast" in shown and "Something else" in shown
    assert "Mild: You notice it, but it does not stop you doing your usual things." in shown
    assert "If you need help urgently" in shown


@pytest.mark.hazard("HAZ-015")
def test_a_red_flag_goes_to_the_top_of_the_queue_in_the_persons_words(app, patient, team_phones, clock):
    clock(MONDAY_MORNING)
    response = log(patient, symptom="something_else", own_words="A lump under my arm", severity="severe",
                   new_or_worse="yes", note="It hurts when I lift")
    shown = page(patient.get(response.headers["Location"]))
    assert "Contact your care team today" in shown and "020 7946 0000" in shown
    (item,) = queue(app)
    assert item.kind is ItemKind.RED_FLAG and item.rank == 0
    assert '"A lump under my arm" (severe' in item.reason and "new or getting worse" in item.reason
    assert "It hurts when I lift" in item.reason
    assert entries(app)[0].queue_item_id == item.id


@pytest.mark.hazard("HAZ-016")
def test_an_emergency_shows_the_call_now_instruction_and_an_emergency_item(app, patient, team_phones, clock):
    clock(MONDAY_MORNING)
    response = log(patient, symptom="possible_sepsis", severity="moderate")
    html = patient.get(response.headers["Location"]).get_data(as_text=True)
    assert "Call now: this could be an emergency" in html
    assert 'href="tel:999"' in html and 'href="tel:02079460999"' in html
    # The instruction comes before anything else on the page.
    assert html.index("Call now: this could be an emergency") < html.index("<h1")
    (item,) = queue(app)
    assert item.kind is ItemKind.EMERGENCY and item.rank == 0


@pytest.mark.hazard("HAZ-016")
def test_repeated_urgent_symptoms_merge_into_the_open_item_and_are_never_held_back(app, patient, clock):
    clock(MONDAY_MORNING)
    log(patient, symptom="new_lump", severity="mild")
    for _ in range(3):
        response = log(patient, symptom="possible_sepsis", severity="severe")
        assert "Call now: this could be an emergency" in page(patient.get(response.headers["Location"]))
    (item,) = queue(app)
    assert item.kind is ItemKind.EMERGENCY
    assert "A new lump" in item.reason and "A high temperature" in item.reason
    assert len(entries(app)) == 4


def test_a_watch_symptom_logged_while_an_item_is_open_stays_out_of_it(app, patient, clock):
    """Its level is judged on the same symptom's recent entries, read with the open item: read,
    the item is still only for emergencies and red flags."""
    clock(MONDAY_MORNING)
    log(patient, symptom="new_lump", severity="mild")
    (before,) = queue(app)
    response = log(patient, symptom="tiredness", severity="mild")
    assert "Your symptom is logged" in page(patient.get(response.headers["Location"]))
    (after,) = queue(app)
    assert (after.reason, after.revision) == (before.reason, before.revision)
    assert [(entry.level, entry.queue_item_id) for entry in entries(app)] == [("red_flag", before.id), ("watch", None)]
    with app.app_context():
        audited = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "symptoms.log")
                                     .order_by(AuditEvent.id)).all()
    assert [detail["queue_item"] for detail in audited] == [before.id, None]


@pytest.mark.hazard("HAZ-015")
def test_a_merged_entry_always_moves_the_items_revision_even_when_its_clipped_words_stay_the_same(app, patient, clock):
    """A nurse resolving the item from a page opened before the merge must get the 409 that shows
    her the new entry, even when the item's words were already at their length limit."""
    clock(MONDAY_MORNING)
    log(patient, symptom="possible_sepsis", severity="severe", note="Shivering and confused. " * 20)
    (before,) = queue(app)
    log(patient, symptom="new_lump", severity="mild")
    (after,) = queue(app)
    assert after.reason == before.reason  # the clipped words did not change...
    assert after.revision > before.revision  # ...but the item did
    assert len(entries(app)) == 2


def test_a_double_tap_logs_once(app, patient, clock):
    clock(MONDAY_MORNING)
    token = form_token(patient)
    first = log(patient, symptom="new_lump", form_token=token)
    again = log(patient, symptom="new_lump", form_token=token)
    assert first.headers["Location"] == again.headers["Location"]
    assert len(entries(app)) == 1 and len(queue(app)) == 1


def test_a_used_form_sent_with_another_symptom_is_not_logged_and_keeps_what_was_typed(app, patient, clock):
    clock(MONDAY_MORNING)
    token = form_token(patient)
    log(patient, symptom="tiredness", form_token=token)
    response = log(patient, symptom="possible_sepsis", note="Shivering", form_token=token)
    shown = page(response)
    assert "already used to send a symptom" in shown and "Shivering" in shown
    # Calling never waits for the form.
    assert "Call now: this could be an emergency" in shown
    assert len(entries(app)) == 1


@pytest.mark.parametrize("fields, message", [
    ({"symptom": ""}, "Select the symptom, or something else"),
    ({"symptom": "not_a_symptom"}, "Not a valid choice"),
    ({"symptom": "something_else", "own_words": ""}, "Tell us about the symptom in your own words"),
    ({"severity": "unbearable"}, "Not a valid choice"),
    ({"started": date(2026, 12, 8)}, "The date it started must be today or in the past"),
    ({"new_or_worse": ""}, "Select yes if it is new or getting worse"),
    ({"symptom": "something_else", "own_words": "x" * 301}, "Your description must be 300 characters or fewer"),
])
def test_mistakes_are_shown_and_keep_what_was_typed(app, patient, clock, fields, message):
    clock(MONDAY_MORNING)
    response = log(patient, note="My own note", **fields)
    shown = page(response)
    assert response.status_code == 200 and "There is a problem" in shown
    assert message in shown and "My own note" in shown
    assert entries(app) == []


def test_an_oversized_note_is_refused_and_kept_as_typed(app, patient, clock):
    clock(MONDAY_MORNING)
    note = "Since Saturday " + "x" * 1990  # 2,005 characters
    response = log(patient, note=note)
    shown = page(response)
    assert response.status_code == 200 and "Your note must be 2,000 characters or fewer" in shown
    assert note in shown
    assert entries(app) == []


def test_the_persons_own_history_lists_the_newest_entry_first(app, patient, clock):
    clock(MONDAY_MORNING)
    log(patient, symptom="tiredness")
    clock(MONDAY_MORNING.replace(hour=11))
    log(patient, symptom="joint_aches")
    history = page(patient.get("/my-care/symptoms")).split("What you have logged")[-1]
    assert history.index("Aches in your joints") < history.index("Tiredness")


def correct(client, entry_id: int, version: int, **fields):
    return client.post_form(f"/my-care/symptoms/{entry_id}/edit", {**symptom_form(**fields), "version": str(version)})


@pytest.mark.hazard("HAZ-015")
def test_a_correction_keeps_what_the_team_saw_and_never_downgrades_or_closes_its_item(app, patient, clock):
    clock(MONDAY_MORNING)
    log(patient, symptom="new_lump", severity="moderate")
    entry = entries(app)[0]
    response = correct(patient, entry.id, entry.version, symptom="tiredness", severity="mild")
    assert response.status_code == 303
    (corrected,) = entries(app)
    assert corrected.level == "watch" and corrected.version == 2
    with app.app_context():
        (earlier,) = db.session.scalars(select(SymptomEntryVersion)).all()
        assert (earlier.symptom_id, earlier.severity, earlier.level) == ("new_lump", "moderate", "red_flag")
    (item,) = queue(app)
    assert item.status is ItemStatus.OPEN and item.kind is ItemKind.RED_FLAG
    assert "A new lump" in item.reason and "corrected by the patient" in item.reason


def test_a_correction_that_makes_it_urgent_sends_it_to_the_team(app, patient, clock):
    clock(MONDAY_MORNING)
    log(patient, symptom="tiredness")
    entry = entries(app)[0]
    correct(patient, entry.id, entry.version, symptom="confusion_or_seizure")
    (item,) = queue(app)
    assert item.kind is ItemKind.EMERGENCY and "New confusion" in item.reason


def test_a_correction_from_an_out_of_date_page_is_refused_and_keeps_what_was_typed(app, patient, clock):
    clock(MONDAY_MORNING)
    log(patient, symptom="tiredness")
    entry = entries(app)[0]
    correct(patient, entry.id, entry.version, symptom="joint_aches")
    response = correct(patient, entry.id, entry.version, symptom="scar_discomfort", note="Typed on the old page")
    assert response.status_code == 409
    assert "Typed on the old page" in page(response)
    assert entries(app)[0].symptom_id == "joint_aches"


def test_removing_an_entry_keeps_it_for_the_team_and_a_second_tap_changes_nothing(app, patient, clock):
    clock(MONDAY_MORNING)
    log(patient, symptom="new_lump")
    entry = entries(app)[0]
    for _ in range(2):
        assert patient.post_form(f"/my-care/symptoms/{entry.id}/remove").status_code == 303
    assert "A new lump" not in page(patient.get("/my-care/symptoms")).split("What you have logged")[-1]
    (item,) = queue(app)
    assert item.status is ItemStatus.OPEN and "the patient removed an entry" in item.reason
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "symptoms.remove")) == 1


def test_someone_elses_entry_is_not_found(app, patient, new_client, actors, clock):
    from tests.helpers import sign_in_as

    clock(MONDAY_MORNING)
    other = new_client()
    sign_in_as(other, actors.patient_a2)
    log(other, symptom="tiredness")
    entry = entries(app)[0]
    for url in (f"/my-care/symptoms/{entry.id}", f"/my-care/symptoms/{entry.id}/edit", f"/my-care/symptoms/{entry.id}/remove"):
        assert patient.get(url).status_code == 404
    assert correct(patient, entry.id, 1, symptom="new_lump").status_code == 404
    assert entries(app)[0].symptom_id == "tiredness" and queue(app) == []


def test_the_outbox_logs_a_symptom_once_per_key_and_answers_mistakes_as_json(app, patient, clock):
    clock(MONDAY_MORNING)
    headers = {"Idempotency-Key": "outbox-entry-0001"}
    first = patient.post_json("/my-care/symptoms/api/log", symptom_form(symptom="new_lump"), headers=headers)
    again = patient.post_json("/my-care/symptoms/api/log", symptom_form(symptom="new_lump"), headers=headers)
    assert first.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json()["level"] == "red_flag"
    assert first.get_json()["next_url"] == f"/my-care/symptoms/{entries(app)[0].id}"
    assert len(entries(app)) == 1 and len(queue(app)) == 1
    wrong = patient.post_json("/my-care/symptoms/api/log", symptom_form(symptom="something_else"),
                              headers={"Idempotency-Key": "outbox-entry-0002"})
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"] == {"own_words": "Tell us about the symptom in your own words"}
    assert patient.post_json("/my-care/symptoms/api/log", {}, headers={"Idempotency-Key": "outbox-entry-0003"}).status_code == 400


def test_the_team_reads_every_entry_as_sent_with_its_corrections_and_removals(app, patient, new_client, actors, clock):
    from tests.helpers import sign_in_as

    nurse_client = new_client()
    sign_in_as(nurse_client, actors.nurse_a)
    clock(MONDAY_MORNING)
    log(patient, symptom="new_lump", severity="moderate", note="First words")
    entry = entries(app)[0]
    correct(patient, entry.id, entry.version, symptom="new_lump", severity="severe", note="Second words")
    log(patient, symptom="tiredness")
    removed = entries(app)[1]
    patient.post_form(f"/my-care/symptoms/{removed.id}/remove")
    shown = page(nurse_client.get(f"/nurse/patients/{entry.patient_id}/symptoms"))
    assert "First words" in shown and "Second words" in shown and "Corrected by Ann" in shown
    assert "Removed by Ann" in shown and "Tiredness" in shown


@pytest.mark.hazard("HAZ-015")
def test_the_queue_item_lists_every_entry_merged_into_it_newest_first_with_corrections(app, patient, new_client, actors, clock):
    from tests.helpers import sign_in_as

    nurse_client = new_client()
    sign_in_as(nurse_client, actors.nurse_a)
    clock(MONDAY_MORNING)
    notes = [f"Words number {n}: " + "; ".join(["it has been getting worse at night and I cannot sleep"] * 3) for n in range(3)]
    log(patient, symptom="new_lump", severity="moderate", note=notes[0])
    log(patient, symptom="something_else", own_words="A lump under my arm", severity="severe", new_or_worse="yes", note=notes[1])
    log(patient, symptom="new_lump", severity="severe", note=notes[2])
    log(patient, symptom="tiredness")  # a watch symptom: never on the item
    first = entries(app)[0]
    correct(patient, first.id, first.version, symptom="new_lump", severity="severe", note="Corrected words")
    (item,) = queue(app)
    assert len(item.reason) <= 300 and notes[0] not in item.reason  # the item's own text cannot hold them all

    shown = page(nurse_client.get(f"/nurse/queue/{item.id}"))

    assert "What Ann reported (3 entries, newest first)" in shown
    assert shown.index(notes[2]) < shown.index(notes[1]) < shown.index("Corrected words")
    assert "A lump under my arm" in shown and "Severe" in shown and "Moderate" in shown
    assert "Logged 7 December 2026 at 10am" in shown and "Started" in shown
    # The correction is a version of its entry: what the team was first sent stays readable.
    assert "Corrected by Ann" in shown and notes[0] in shown and "As sent before the correction" in shown
    assert "Tiredness" not in shown


@pytest.mark.hazard("HAZ-015")
def test_a_red_flag_goes_to_the_team_the_person_is_in_when_it_is_raised(app, actors, patient, clock):
    """A team move committed after the send read the person's record, before it wrote: the item
    goes to the person's team of now, never to a team that no longer sees them (whose queue leaves
    out a patient who is not theirs, so no team would have seen it), with that team's target."""
    with app.app_context():
        db.session.get(Team, actors.team_b).response_targets = {ItemKind.RED_FLAG.value: 1}
        db.session.commit()
    clock(MONDAY_MORNING)
    with moved_just_before_the_first_write(app, actors.profile_a, actors.team_b) as moved:
        response = log(patient, symptom="something_else", own_words="A lump under my arm", severity="severe")
    assert moved and response.status_code == 303, response.get_data(as_text=True)[:2000]
    (item,) = queue(app)
    assert item.team_id == actors.team_b
    assert item.due_at == response_deadline(MONDAY_MORNING, 1)


@pytest.mark.hazard("HAZ-015")
def test_a_symptom_sent_makes_no_record_of_the_person_and_a_red_flag_has_their_teams_target(
        app, actors, patient, clock, monkeypatch):
    """Sent by the outbox, a symptom is judged and sent on from the person's record as read with
    their session (authz.signed_in_patient): no tracked record is made of them, their team or
    key worker (issue 12), and a red flag raised has their team's response target; moved to
    another team just before the write, the item goes to that team with its target."""
    from app import authz

    with app.app_context():
        db.session.get(Team, actors.team_a).response_targets = {ItemKind.RED_FLAG.value: 2}
        db.session.get(Team, actors.team_b).response_targets = {ItemKind.RED_FLAG.value: 1}
        db.session.commit()
    clock(MONDAY_MORNING)
    patient.csrf_token()  # a page first: the record made for it is not the send's
    made, tracked_in = [], authz.tracked_in
    monkeypatch.setattr(authz, "tracked_in", lambda session, model, *args: made.append(model) or tracked_in(
        session, model, *args))
    headers = {"X-CSRFToken": patient.csrf_token(), "Accept": "application/json"}
    made.clear()
    watch = patient.post("/my-care/symptoms/api/log", json=symptom_form(symptom="tiredness"),
                         headers={**headers, "Idempotency-Key": "symptom-sent-watch"})
    red_flag = patient.post("/my-care/symptoms/api/log", json=symptom_form(symptom="new_lump"),
                            headers={**headers, "Idempotency-Key": "symptom-sent-red-flag"})
    assert (watch.get_json()["level"], red_flag.get_json()["level"], made) == ("watch", "red_flag", [])
    (item,) = queue(app)
    assert (item.team_id, item.due_at) == (actors.team_a, response_deadline(MONDAY_MORNING, 2))
    with app.app_context():
        item = db.session.get(QueueItem, item.id)
        item.status = ItemStatus.RESOLVED
        db.session.commit()

    with moved_just_before_the_first_write(app, actors.profile_a, actors.team_b) as moved:
        response = patient.post("/my-care/symptoms/api/log", json=symptom_form(symptom="something_else", severity="severe",
                                                                               own_words="A lump under my arm"),
                                headers={**headers, "Idempotency-Key": "symptom-sent-moved"})
    assert moved and response.status_code == 201 and response.get_json()["level"] == "red_flag"
    item = next(item for item in queue(app) if item.status is ItemStatus.OPEN)
    assert (item.team_id, item.due_at) == (actors.team_b, response_deadline(MONDAY_MORNING, 1))


@pytest.mark.hazard("HAZ-015")
def test_a_send_after_the_sessions_activity_was_committed_reads_the_person_and_their_team_again(
        app, actors, patient, clock, monkeypatch):
    """Where the session's activity is committed before the view (a view that does not carry the
    touch with its own commit), that commit ends the transaction the session's values were read
    in: authz.signed_in_patient then reads the person's record again, so a change committed
    meanwhile (their pathway, their team's response targets) is the one the send judges the
    symptom by and dates the red flag with."""
    import threading

    from app import sessions
    from app.symptoms import service
    from tests.helpers import make_session_activity_due

    with app.app_context():
        db.session.get(Team, actors.team_a).response_targets = {ItemKind.RED_FLAG.value: 2}
        db.session.commit()
    headers = {"X-CSRFToken": patient.csrf_token(), "Accept": "application/json"}
    make_session_activity_due(app, actors.patient_a, monkeypatch)
    clock(MONDAY_MORNING)

    def change_on_another_connection():
        with app.app_context():
            db.session.get(Team, actors.team_a).response_targets = {ItemKind.RED_FLAG.value: 1}
            db.session.get(PatientProfile, actors.profile_a).tumour_pathway = "colorectal"
            db.session.commit()

    write_activity, log_symptom, judged_with = sessions._write_activity, service.log_symptom, []

    def changed_just_before_the_activity_is_written(*args, **kwargs):
        changer = threading.Thread(target=change_on_another_connection)
        changer.start()
        changer.join(30)
        return write_activity(*args, **kwargs)

    def judged(profile, *args, **kwargs):
        judged_with.append((profile.tumour_pathway, dict(profile.team.response_targets)))
        return log_symptom(profile, *args, **kwargs)

    monkeypatch.setattr(sessions, "_view_carries_the_touch", lambda: False)
    monkeypatch.setattr(sessions, "_write_activity", changed_just_before_the_activity_is_written)
    monkeypatch.setattr(service, "log_symptom", judged)
    response = patient.post("/my-care/symptoms/api/log",
                            json=symptom_form(symptom="something_else", own_words="A lump under my arm", severity="severe"),
                            headers={**headers, "Idempotency-Key": "symptom-sent-after-the-touch"})

    assert response.status_code == 201, response.get_data(as_text=True)[:2000]
    assert judged_with == [("colorectal", {ItemKind.RED_FLAG.value: 1})]
    (item,) = queue(app)
    assert (item.team_id, item.due_at) == (actors.team_a, response_deadline(MONDAY_MORNING, 1))


@pytest.mark.hazard("HAZ-015")
def test_a_send_run_again_after_a_write_clash_reads_the_person_and_their_team_again(
        app, actors, patient, clock, monkeypatch):
    """A symptom send that clashed with another write is run again on a fresh transaction: the
    person's pathway and their team's response targets, as changed by a change committed during
    the clash, are the ones the retry judges the symptom by and dates the red flag with, never
    the values read with the session before it (authz.signed_in_patient reads the record again
    once they predate the transaction)."""
    import threading

    from sqlalchemy.orm.exc import StaleDataError

    from app.symptoms import service

    with app.app_context():
        db.session.get(Team, actors.team_a).response_targets = {ItemKind.RED_FLAG.value: 2}
        db.session.commit()
    clock(MONDAY_MORNING)

    def change_on_another_connection():
        with app.app_context():
            db.session.get(Team, actors.team_a).response_targets = {ItemKind.RED_FLAG.value: 1}
            db.session.get(PatientProfile, actors.profile_a).tumour_pathway = "colorectal"
            db.session.commit()

    log_symptom, judged_with = service.log_symptom, []

    def clash_once_while_they_change(profile, *args, **kwargs):
        judged_with.append((profile.tumour_pathway, dict(profile.team.response_targets)))
        if len(judged_with) == 1:
            changer = threading.Thread(target=change_on_another_connection)
            changer.start()
            changer.join(30)
            raise StaleDataError("another save changed the same rows")
        return log_symptom(profile, *args, **kwargs)

    monkeypatch.setattr(service, "log_symptom", clash_once_while_they_change)
    response = patient.post("/my-care/symptoms/api/log",
                            json=symptom_form(symptom="something_else", own_words="A lump under my arm", severity="severe"),
                            headers={"X-CSRFToken": patient.csrf_token(), "Accept": "application/json",
                                     "Idempotency-Key": "symptom-sent-after-a-clash"})

    assert response.status_code == 201, response.get_data(as_text=True)[:2000]
    assert judged_with == [("breast", {ItemKind.RED_FLAG.value: 2}), ("colorectal", {ItemKind.RED_FLAG.value: 1})]
    (entry,) = entries(app)
    (item,) = queue(app)
    assert (response.get_json()["level"], entry.queue_item_id) == ("red_flag", item.id)
    assert (item.team_id, item.due_at) == (actors.team_a, response_deadline(MONDAY_MORNING, 1))


# A rendered form acts once, whichever way it is sent: the outbox's JSON carries the page's
# form token (static/js/form-outbox.js sends every field), and a page post or another JSON send
# of the same form (the back button, then Send again; a JSON answer refused, then the page's own
# post) finds what it made. Each case: how the form is sent the first time, then the second.
def _sent_as_json(patient, fields, key):
    return patient.post_json("/my-care/symptoms/api/log", fields, headers={"Idempotency-Key": key})


def _sent_as_page(patient, fields, _key):
    return patient.post_form("/my-care/symptoms/new", fields)


def _entry_named_by(response) -> str:
    return response.get_json()["next_url"] if response.is_json else response.headers["Location"]


@pytest.mark.parametrize("first, second", [
    (_sent_as_json, _sent_as_json), (_sent_as_json, _sent_as_page), (_sent_as_page, _sent_as_json),
], ids=["json then json", "json then page", "page then json"])
def test_one_rendered_form_logs_once_sent_as_json_or_as_a_page(app, patient, clock, first, second):
    clock(MONDAY_MORNING)
    fields = {**symptom_form(symptom="new_lump"), "form_token": form_token(patient)}
    made = first(patient, fields, "outbox-entry-0001")
    again = second(patient, fields, "outbox-entry-0002")
    assert made.status_code in (201, 303) and again.status_code in (201, 303)
    assert _entry_named_by(again) == _entry_named_by(made)
    assert len(entries(app)) == 1 and len(queue(app)) == 1


def test_a_used_form_sent_as_json_with_another_symptom_is_refused_and_its_page_keeps_what_was_typed(app, patient, clock):
    clock(MONDAY_MORNING)
    token = form_token(patient)
    log(patient, symptom="tiredness", form_token=token)
    other = {**symptom_form(symptom="possible_sepsis", note="Shivering"), "form_token": token}
    refused = patient.post_json("/my-care/symptoms/api/log", other, headers={"Idempotency-Key": "outbox-entry-0001"})
    # A 4xx: the outbox posts the page's form itself, which says why, with what was typed and,
    # for an emergency, the instruction to call (test_a_used_form_sent_with_another_symptom_...).
    assert refused.status_code == 409 and refused.get_json()["error"] == "form_already_used"
    assert len(entries(app)) == 1
    shown = page(patient.post_form("/my-care/symptoms/new", other))
    assert "already used to send a symptom" in shown and "Shivering" in shown
    assert "Call now: this could be an emergency" in shown


def test_a_json_symptom_without_a_form_token_is_still_logged_once_per_key(app, patient, clock):
    """An entry kept on a phone before form tokens, or a form whose token is not usable: the
    Idempotency-Key alone keeps its retries from logging it twice, as before."""
    clock(MONDAY_MORNING)
    for key in ("outbox-entry-0001", "outbox-entry-0001"):
        assert patient.post_json("/my-care/symptoms/api/log", symptom_form(symptom="tiredness"),
                                 headers={"Idempotency-Key": key}).status_code == 201
    assert len(entries(app)) == 1


def _form_token_record(app, token: str):
    from app.idempotency import IdempotencyRecord

    with app.app_context():
        return db.session.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.key == f"symptoms.log:{token}")).one_or_none()


@pytest.mark.parametrize("raises_an_item", [False, True], ids=["watch", "red flag"])
def test_a_json_send_writes_what_its_form_made_into_its_token_with_its_stored_answer(app, patient, clock,
                                                                                     raises_an_item):
    """Sent as JSON, what the form made goes into its token's record in the statement that stores
    the answer under the Idempotency-Key (idempotency._store), not in one of its own: both are
    there, each as it should be, and a page post of the same form is told of the same entry."""
    from app.idempotency import IdempotencyRecord

    clock(MONDAY_MORNING)
    fields = {**symptom_form(symptom="new_lump" if raises_an_item else "tiredness"), "form_token": form_token(patient)}
    sent = patient.post_json("/my-care/symptoms/api/log", fields, headers={"Idempotency-Key": "outbox-entry-0001"})
    assert sent.status_code == 201, sent.get_data(as_text=True)[:2000]
    (entry,) = entries(app)
    claim = _form_token_record(app, fields["form_token"])
    assert (claim.status_code, claim.response) == (303, {"symptom_entry_id": entry.id})
    with app.app_context():
        keyed = db.session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.key == "outbox-entry-0001")).one()
    assert (keyed.status_code, keyed.response["entry_id"]) == (201, entry.id)
    assert keyed.request_fingerprint != claim.request_fingerprint
    assert len(queue(app)) == (1 if raises_an_item else 0)
    posted = patient.post_form("/my-care/symptoms/new", fields)
    assert posted.headers["Location"].endswith(f"/my-care/symptoms/{entry.id}") and len(entries(app)) == 1


def test_a_key_stored_already_sent_with_a_new_form_makes_nothing_and_claims_nothing(app, patient, clock):
    """An Idempotency-Key used before, sent with another form (a new token): the view runs (the
    first attempt does not look the key up), claims the new token and makes its entry, but the
    statement storing the answer finds the key stored and writes nothing; everything is rolled
    back, the new token stays unclaimed, and the key's reuse for another request is refused."""
    clock(MONDAY_MORNING)
    first = {**symptom_form(symptom="tiredness"), "form_token": form_token(patient)}
    assert patient.post_json("/my-care/symptoms/api/log", first,
                             headers={"Idempotency-Key": "outbox-entry-0001"}).status_code == 201
    other = {**symptom_form(symptom="new_lump"), "form_token": form_token(patient)}
    reused = patient.post_json("/my-care/symptoms/api/log", other, headers={"Idempotency-Key": "outbox-entry-0001"})
    assert reused.status_code == 422 and reused.get_json()["error"] == "key_reused"
    assert [entry.symptom_id for entry in entries(app)] == ["tiredness"] and queue(app) == []
    assert _form_token_record(app, other["form_token"]) is None
    assert _form_token_record(app, first["form_token"]).response == {"symptom_entry_id": entries(app)[0].id}
    # The other form is still unsent, so it can be sent under a key of its own.
    assert patient.post_json("/my-care/symptoms/api/log", other,
                             headers={"Idempotency-Key": "outbox-entry-0002"}).status_code == 201
    assert len(entries(app)) == 2 and len(queue(app)) == 1


@pytest.mark.hazard("HAZ-015")
def test_a_json_send_racing_a_page_post_of_the_same_form_names_the_entry_the_page_made(app, patient, clock, monkeypatch):
    """The page's post of the same form (the outbox's send racing the page's fallback post, or
    two tabs syncing at once) holds the form token: this JSON send's claim of it is refused, and
    its first look for the record that refused it misses it (as when that record was not yet
    visible to it), so the send runs again as a write clash. It must make nothing, answer with the
    entry that exists, its advice level, and audit nothing of its own."""
    import app.idempotency as idempotency
    import app.symptoms.service as service

    clock(MONDAY_MORNING)
    fields = {**symptom_form(symptom="new_lump"), "form_token": form_token(patient)}
    posted = patient.post_form("/my-care/symptoms/new", fields)
    assert posted.status_code == 303
    (first,) = entries(app)
    find = idempotency._find
    misses = iter([True])

    def misses_once_as_if_not_yet_committed(user_id, key):
        return None if next(misses, False) else find(user_id, key)

    monkeypatch.setattr(idempotency, "_find", misses_once_as_if_not_yet_committed)
    # Nothing is made, not even to be rolled back: the token is claimed before the entry is made.
    made = []
    log_symptom = service.log_symptom
    monkeypatch.setattr(service, "log_symptom", lambda *args, **kwargs: made.append(1) or log_symptom(*args, **kwargs))
    sent = patient.post_json("/my-care/symptoms/api/log", fields, headers={"Idempotency-Key": "outbox-entry-0001"})
    assert sent.status_code == 201, sent.get_data(as_text=True)[:2000]
    assert made == []
    assert (sent.get_json()["entry_id"], sent.get_json()["level"]) == (first.id, first.level)
    assert sent.get_json()["next_url"] == f"/my-care/symptoms/{first.id}"
    assert [entry.id for entry in entries(app)] == [first.id] and len(queue(app)) == 1
    with app.app_context():
        logs = db.session.scalars(select(AuditEvent.subject).where(AuditEvent.action == "symptoms.log")).all()
    assert logs == [f"symptom-entry:{first.id}"]
    # A retry with the same Idempotency-Key is answered what was stored: the same, existing entry.
    again = patient.post_json("/my-care/symptoms/api/log", fields, headers={"Idempotency-Key": "outbox-entry-0001"})
    assert again.get_json()["entry_id"] == first.id
    assert patient.get(sent.get_json()["next_url"]).status_code == 200
