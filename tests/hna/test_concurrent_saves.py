"""Saves that arrive at the same moment, on real threads against a real database file: each
gets a defined answer (saved, or a 409 `busy` with Retry-After that the outbox retries), never
a 500, and nothing typed is lost or applied twice."""
from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.hna import service
from app.hna.models import HNA
from app.idempotency import ATTEMPTS, IdempotencyRecord
from tests.helpers import sign_in_as

pytestmark = pytest.mark.hazard("HAZ-008")


@pytest.fixture
def app_config(app_config):
    # Answer as production does (a 500 page), so a failure shows as a status, not a dead thread.
    return {**app_config, "PROPAGATE_EXCEPTIONS": False}


def at_once(app, actors, bodies_and_keys):
    """Post each (body, key) from its own browser, all released together; the responses."""
    ready = []
    for body, idem in bodies_and_keys:
        browser = app.test_client()
        sign_in_as(browser, actors.patient_a)
        ready.append((browser, browser.csrf_token(), body, idem))
    barrier = threading.Barrier(len(ready))
    results: list = [None] * len(ready)

    def post(i, browser, token, body, idem):
        barrier.wait()
        response = browser.post("/api/hna/answers", json=body, headers={
            "X-CSRFToken": token, "Accept": "application/json", "Idempotency-Key": idem})
        results[i] = (response.status_code, response.get_json(), dict(response.headers))

    threads = [threading.Thread(target=post, args=(i, *r)) for i, r in enumerate(ready)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def defined(result) -> bool:
    status, body, headers = result
    return status == 200 or (status == 409 and body["error"] == "busy" and int(headers["Retry-After"]) > 0)


def start_draft(patient_client):
    response = patient_client.post_json("/api/hna/answers", {"step": "distress", "data": {"distress": 1}},
                                        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 200
    return response.get_json()["hna_id"]


def test_two_tabs_saving_one_draft_at_once_both_get_a_defined_answer(app, patient, actors):
    hna_id = start_draft(patient)
    for round_ in range(3):
        results = at_once(app, actors, [
            ({"hna_id": hna_id, "step": "distress", "data": {"distress": 4 + round_}}, uuid.uuid4().hex),
            ({"hna_id": hna_id, "step": "domain:physical",
              "data": {"concerns": ["pain"], "scores": {"pain": 3 + round_}}}, uuid.uuid4().hex),
        ])
        assert all(defined(r) for r in results), results
        with app.app_context():
            answers = db.session.get(HNA, hna_id).answers
            saved = [r[0] == 200 for r in results]
            # What was answered "saved" is stored.
            if saved[0]:
                assert answers["distress"] == 4 + round_
            if saved[1]:
                assert answers["concerns"]["pain"] == 3 + round_


def test_one_key_sent_four_times_at_once_is_applied_once_and_answered_alike(app, patient, actors):
    hna_id = start_draft(patient)
    idem = uuid.uuid4().hex
    body = {"hna_id": hna_id, "step": "distress", "data": {"distress": 8}}
    results = at_once(app, actors, [(body, idem)] * 4)
    assert all(defined(r) for r in results), results
    saved = [r[1] for r in results if r[0] == 200]
    assert saved and all(b == saved[0] for b in saved)
    with app.app_context():
        assert db.session.get(HNA, hna_id).answers["distress"] == 8
        assert len(db.session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.key == idem)).all()) == 1


@pytest.mark.parametrize(("error", "status"), [
    (StaleDataError("UPDATE statement on table 'hnas' expected to update 1 row(s); 0 were matched."), 409),
    (IntegrityError("INSERT", {}, Exception("duplicate key")), 409),
    (OperationalError("UPDATE", {}, Exception("database is locked")), 409),
    (OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly")), 500),
    (ValueError("a fault in the code"), 500),
])
def test_a_clash_that_outlasts_the_retries_is_busy_and_anything_else_is_not(patient, monkeypatch, error, status):
    calls = []

    def clash(*args, **kwargs):
        calls.append(1)
        raise error

    monkeypatch.setattr(service, "apply_step", clash)
    response = patient.post_json("/api/hna/answers", {"step": "distress", "data": {"distress": 1}},
                                 headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == status
    if status == 409:
        assert response.get_json()["error"] == "busy" and int(response.headers["Retry-After"]) > 0
        assert len(calls) == ATTEMPTS
    else:
        assert len(calls) == 1


def forms_at_once(app, actors, posts):
    """Post each (url, form) from its own browser without JavaScript, all released together."""
    ready = []
    for url, form in posts:
        browser = app.test_client()
        sign_in_as(browser, actors.patient_a)
        ready.append((browser, url, {**form, "csrf_token": browser.csrf_token()}))
    barrier = threading.Barrier(len(ready))
    statuses: list = [None] * len(ready)

    def post(i, browser, url, form):
        barrier.wait()
        statuses[i] = browser.post(url, data=form).status_code

    threads = [threading.Thread(target=post, args=(i, *r)) for i, r in enumerate(ready)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return statuses


def test_two_tabs_posting_forms_on_one_draft_never_answer_500(app, patient, actors):
    start_draft(patient)
    for round_ in range(3):
        statuses = forms_at_once(app, actors, [
            ("/hna/questions/distress", {"distress": str(4 + round_)}),
            ("/hna/questions/domain-physical", {"concerns": ["pain"], "score-pain": str(3 + round_)}),
        ])
        assert all(s in (302, 303, 409) for s in statuses), statuses


def test_a_form_whose_clash_outlasts_the_retries_is_kept_and_answered_409(patient, monkeypatch):
    start_draft(patient)

    def clash(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'hnas' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(service, "apply_step", clash)
    response = patient.post_form("/hna/questions/domain-physical", {"concerns": ["pain"], "score-pain": "7"})
    assert response.status_code == 409 and response.headers["Retry-After"]
    html = response.get_data(as_text=True)
    assert "being saved in another window" in html
    assert 'name="score-pain" type="text" value="7"' in html or 'value="7"' in html


def test_a_form_whose_clash_outlasts_the_retries_is_shown_with_the_draft_as_the_other_save_left_it(
        app, actors, patient, monkeypatch):
    """The 409 page asks the person to check their answers: it shows them on the draft as it now
    is, the other window's save included, not as it was before the clash."""
    start_draft(patient)
    physical = {"concerns": ["pain"], "score-pain": "7"}
    assert patient.post_form("/hna/questions/domain-physical", physical).status_code in (302, 303)
    other_window = app.test_client()
    sign_in_as(other_window, actors.patient_a)
    other_window.csrf_token()
    saves_first, apply_step = iter([True]), service.apply_step

    def the_other_window_saves_first(*args, **kwargs):
        if next(saves_first, False):
            monkeypatch.setattr(service, "apply_step", apply_step)
            assert other_window.post_form("/hna/questions/domain-physical", {
                **physical, "concerns": ["pain", "sleep"], "score-sleep": "5"}).status_code in (302, 303)
            monkeypatch.setattr(service, "apply_step", the_other_window_saves_first)
        raise StaleDataError("UPDATE statement on table 'hnas' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(service, "apply_step", the_other_window_saves_first)
    response = patient.post_form("/hna/questions/top", {"top_concerns": ["pain"]})

    assert response.status_code == 409
    assert "Sleep problems or nightmares" in response.get_data(as_text=True)
