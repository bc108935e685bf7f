"""Autosave and offline sync: the JSON API, idempotency keys and ownership."""
from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.hna.models import HNA, HNAStatus
from app.idempotency import IdempotencyRecord
from tests.helpers import sign_in_as


def key() -> str:
    return uuid.uuid4().hex


def save(client, step, data, idem=None, hna_id=None):
    body = {"step": step, "data": data}
    if hna_id is not None:
        body["hna_id"] = hna_id
    return client.post_json("/api/hna/answers", body, headers={"Idempotency-Key": idem or key()})


def test_saving_an_answer_starts_a_draft_and_says_where_next(app, patient):
    response = save(patient, "distress", {"distress": 5})
    assert response.status_code == 200
    body = response.get_json()
    assert body["saved"] is True and body["next_url"].endswith("/hna/questions/domain-physical")
    with app.app_context():
        assert db.session.scalar(select(HNA)).answers["distress"] == 5


def an_answer_for(step: str) -> dict:
    """An answer each step of the journey takes: where they are, a distress score, no concerns in
    a domain (so no top concerns to choose), nothing else to add."""
    if step == "point":
        return {"pathway_point": "during_treatment"}
    if step == "distress":
        return {"distress": 4}
    if step.startswith("domain:"):
        return {"none": True}
    if step == "top":
        return {"top_concerns": []}
    return {"text": ""}


@pytest.mark.parametrize("script_root", ["", "/mount"])
def test_each_answer_saved_says_the_next_question_as_the_page_links_it(app, patient, script_root):
    """next_url of an answer saved on each step of the journey, in order: the next step's page,
    as step_url makes it (the journey's addresses are made once per journey and site root), and
    the check page after the last; under a site root too."""
    from app.hna import service
    from app.hna.routes import step_url

    assert save(patient, "distress", {"distress": 5}).status_code == 200
    with app.app_context():
        draft = db.session.scalar(select(HNA))
        steps = service.journey(draft, service.questionnaire_of(draft))
    with app.test_request_context("/api/hna/answers", environ_overrides={"SCRIPT_NAME": script_root}):
        expected = [step_url(step) for step in steps[1:]] + [f"{script_root}/hna/check"]
    assert len(steps) > 5 and expected[0].startswith(f"{script_root}/hna/questions/")
    for step, next_url in zip(steps, expected, strict=True):
        headers = {"X-CSRFToken": patient.csrf_token(), "Accept": "application/json", "Idempotency-Key": key()}
        response = patient.post("/api/hna/answers", json={"step": step, "data": an_answer_for(step)},
                                headers=headers, environ_overrides={"SCRIPT_NAME": script_root})
        assert response.status_code == 200, (step, response.get_data(as_text=True))
        assert response.get_json()["next_url"] == next_url, step


def test_an_answer_saved_to_a_draft_makes_no_record_of_the_patient_and_a_new_draft_is_their_teams(
        app, patient, monkeypatch):
    """An answer saved names the person's draft by their id, read with the session: their record,
    team and key worker are not made into tracked records for it (issue 12); a draft it starts is
    made from their record, in their team."""
    from app import authz

    made, tracked_in = [], authz.tracked_in
    monkeypatch.setattr(authz, "tracked_in", lambda session, model, *args: made.append(model) or tracked_in(
        session, model, *args))
    headers = {"X-CSRFToken": patient.csrf_token(), "Accept": "application/json"}

    def answer(distress: int):
        made.clear()
        response = patient.post("/api/hna/answers", json={"step": "distress", "data": {"distress": distress}},
                                headers={**headers, "Idempotency-Key": key()})
        assert response.status_code == 200
        return list(made)

    assert answer(5)  # the draft was started from their record
    assert answer(6) == []
    with app.app_context():
        hna = db.session.scalar(select(HNA))
        assert (hna.answers["distress"], hna.team_id) == (6, hna.patient.team_id)


def test_a_retry_with_the_same_key_is_not_applied_twice(app, patient):
    k = key()
    first = save(patient, "domain:physical", {"concerns": ["pain"], "scores": {"pain": 6}}, idem=k)
    again = save(patient, "domain:physical", {"concerns": ["pain"], "scores": {"pain": 6}}, idem=k)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    with app.app_context():
        assert db.session.query(HNA).count() == 1
        assert db.session.query(IdempotencyRecord).count() == 1


def test_a_retry_answers_what_was_answered_even_when_the_save_would_now_be_refused(app, patient):
    """The outbox sends again when it never heard the answer: by then the assessment may have
    been sent (a new save is refused with 409), but the retry is of a save that was made."""
    hna_id = save(patient, "point", {"pathway_point": "after_treatment"}).get_json()["hna_id"]
    k = key()
    first = save(patient, "distress", {"distress": 3}, idem=k, hna_id=hna_id)
    assert first.status_code == 200
    for step, data in [
            (f"domain:{domain}", {"concerns": ["none"]})
            for domain in ("physical", "emotional", "practical", "family", "spiritual", "lifestyle")]:
        assert save(patient, step, data).status_code == 200
    assert patient.post_json("/api/hna/submit", {}, headers={"Idempotency-Key": key()}).status_code == 200
    assert save(patient, "distress", {"distress": 3}, hna_id=hna_id).status_code == 409

    again = save(patient, "distress", {"distress": 3}, idem=k, hna_id=hna_id)

    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    with app.app_context():
        assert db.session.query(HNA).count() == 1


def idempotency_log(app, caplog) -> list[tuple[int, str]]:
    return [(record.levelno, record.getMessage()) for record in caplog.records if record.name == app.logger.name]


def test_a_retry_is_logged_as_a_replay_at_debug_not_as_a_write_clash(app, patient, caplog):
    caplog.set_level(logging.DEBUG, logger=app.logger.name)
    k = key()
    save(patient, "distress", {"distress": 4}, idem=k)
    caplog.clear()

    again = save(patient, "distress", {"distress": 4}, idem=k)

    assert again.headers.get("Idempotent-Replayed") == "true"
    assert idempotency_log(app, caplog) == [(logging.DEBUG, f"Idempotency-Key replayed on /api/hna/answers: {k}")]


def test_a_key_reused_for_another_body_is_logged_as_such_at_debug(app, patient, caplog):
    caplog.set_level(logging.DEBUG, logger=app.logger.name)
    k = key()
    save(patient, "distress", {"distress": 4}, idem=k)
    caplog.clear()

    assert save(patient, "distress", {"distress": 5}, idem=k).status_code == 422
    assert idempotency_log(app, caplog) == [
        (logging.DEBUG, f"Idempotency-Key reused for a different request on /api/hna/answers: {k}")]


def test_a_real_write_clash_is_logged_as_a_clash_and_retried(app, patient, caplog, monkeypatch):
    from sqlalchemy.orm.exc import StaleDataError

    from app.hna import service

    apply_step, clashes = service.apply_step, [StaleDataError("another save changed the draft")]

    def clash_once(*args, **kwargs):
        if clashes:
            raise clashes.pop()
        return apply_step(*args, **kwargs)

    monkeypatch.setattr(service, "apply_step", clash_once)
    caplog.set_level(logging.DEBUG, logger=app.logger.name)

    response = save(patient, "distress", {"distress": 4})

    assert response.status_code == 200 and "Idempotent-Replayed" not in response.headers
    assert idempotency_log(app, caplog) == [
        (logging.INFO, "Write clash on /api/hna/answers (attempt 1): StaleDataError")]


def test_a_key_replayed_with_a_different_body_is_refused(patient):
    k = key()
    assert save(patient, "distress", {"distress": 5}, idem=k).status_code == 200
    response = save(patient, "distress", {"distress": 9}, idem=k)
    assert response.status_code == 422
    assert response.get_json()["error"] == "key_reused"


@pytest.mark.parametrize("bad_key", ["", "short", "x" * 101, "has spaces in it"])
def test_a_missing_or_malformed_key_is_refused(patient, bad_key):
    response = patient.post_json("/api/hna/answers", {"step": "distress", "data": {"distress": 1}},
                                 headers={"Idempotency-Key": bad_key})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("step", "data", "status"),
    [
        ("distress", {"distress": 11}, 422),
        ("distress", {"distress": -1}, 422),
        ("distress", {"distress": "seven"}, 422),
        ("domain:physical", {"concerns": ["no_such_concern"]}, 422),
        ("domain:nonsense", {"concerns": []}, 404),
        ("matters:matters_most", {"text": "x" * 2001}, 422),
        ("not-a-step", {}, 404),
    ],
)
def test_bad_input_gets_a_clear_status_never_a_500(patient, step, data, status):
    response = save(patient, step, data)
    assert response.status_code == status
    assert response.get_json()["detail"]


@pytest.mark.parametrize("body", [None, [], {"step": 3, "data": {}}, {"step": "distress"}, "text"])
def test_malformed_bodies_are_refused(patient, body):
    response = patient.post("/api/hna/answers", json=body,
                            headers={"X-CSRFToken": patient.csrf_token(), "Idempotency-Key": key()})
    assert response.status_code == 400


def test_submit_through_the_api_is_idempotent(app, patient):
    save(patient, "point", {"pathway_point": "after_treatment"})
    save(patient, "distress", {"distress": 2})
    for domain in ("physical", "emotional", "practical", "family", "spiritual", "lifestyle"):
        assert save(patient, f"domain:{domain}", {"concerns": ["none"]}).status_code == 200
    k = key()
    first = patient.post_json("/api/hna/submit", {}, headers={"Idempotency-Key": k})
    again = patient.post_json("/api/hna/submit", {}, headers={"Idempotency-Key": k})
    assert first.status_code == 200 and again.get_json() == first.get_json()
    with app.app_context():
        hnas = db.session.scalars(select(HNA)).all()
        assert [h.status for h in hnas] == [HNAStatus.SUBMITTED]


def test_incomplete_submit_lists_what_is_missing(patient):
    save(patient, "distress", {"distress": 2})
    response = patient.post_json("/api/hna/submit", {}, headers={"Idempotency-Key": key()})
    assert response.status_code == 422
    assert "point" in response.get_json()["missing"]


def test_answers_for_another_patients_hna_are_refused(app, client, new_client, actors):
    other = new_client()
    sign_in_as(other, actors.patient_a2)
    hna_id = save(other, "distress", {"distress": 3}).get_json()["hna_id"]
    sign_in_as(client, actors.patient_a)
    response = save(client, "distress", {"distress": 9}, hna_id=hna_id)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(HNA, hna_id).answers["distress"] == 3


def test_staff_cannot_use_the_patient_api(client, actors):
    sign_in_as(client, actors.nurse_a)
    assert save(client, "distress", {"distress": 3}).status_code == 404


def test_api_needs_the_csrf_header(patient):
    response = patient.post("/api/hna/answers", json={"step": "distress", "data": {"distress": 1}},
                            headers={"Idempotency-Key": key()})
    assert response.status_code == 400
