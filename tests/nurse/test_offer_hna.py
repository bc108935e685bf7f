"""A nurse offers a Holistic Needs Assessment at a point of the pathway; the patient sees it."""
from __future__ import annotations


import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.hna import service
from app.hna.models import HNA, PathwayPoint
from app.models import AuditEvent, PatientProfile, User
from app.nurse.forms import STAFF_PATHWAY_POINT_LABELS
from tests.helpers import page, sign_in_as


def hnas(app) -> list[HNA]:
    with app.app_context():
        rows = list(db.session.scalars(select(HNA).order_by(HNA.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def offers(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "hna.offer")))


def test_every_point_of_pathway_has_staff_wording():
    assert set(STAFF_PATHWAY_POINT_LABELS) == {p.value for p in PathwayPoint}


def test_the_offer_page_asks_the_point_of_pathway_in_staff_wording(nurse, actors):
    body = page(nurse.get(f"/nurse/patients/{actors.profile_a}/offer-hna"))
    assert "which point of their pathway is this?" in body
    for label in STAFF_PATHWAY_POINT_LABELS.values():
        assert label in body
    assert "None of these, or I'm not sure" not in body  # the patient's wording


def test_a_nurse_offers_an_hna_and_it_is_audited(app, nurse, actors):
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/offer-hna",
                               {"pathway_point": "end_of_treatment"}, follow_redirects=True)
    body = page(response)
    assert "Needs assessment offered. Ann will see it" in body
    assert "Nurse A offered a needs assessment on" in body and "(end of treatment)" in body
    [hna] = hnas(app)
    assert (hna.patient_id, hna.offered_by_id, hna.pathway_point) == (
        actors.profile_a, actors.nurse_a, PathwayPoint.END_OF_TREATMENT)
    [event] = offers(app)
    assert (event.actor_id, event.patient_id, event.subject) == (actors.nurse_a, actors.profile_a, f"hna:{hna.id}")
    assert event.detail == {"pathway_point": "end_of_treatment", "on_existing_draft": False}


def test_offering_twice_changes_nothing_and_says_so(app, nurse, actors):
    url = f"/nurse/patients/{actors.profile_a}/offer-hna"
    nurse.post_form(url, {"pathway_point": "diagnosis"})
    response = nurse.post_form(url, {"pathway_point": "during_treatment"}, follow_redirects=True)
    assert "Nurse A has already offered Ann Able a needs assessment" in page(response)
    [hna] = hnas(app)
    assert hna.pathway_point is PathwayPoint.DIAGNOSIS
    assert len(offers(app)) == 1
    assert "A needs assessment is already offered" in page(nurse.get(url))


def test_an_offer_on_a_draft_the_patient_started_keeps_their_answers(app, nurse, actors):
    with app.app_context():
        draft = service.start_or_resume(db.session.get(PatientProfile, actors.profile_a))
        draft.answers = {"distress": 5}
        db.session.commit()
    assert "has already started a needs assessment" in page(nurse.get(f"/nurse/patients/{actors.profile_a}/offer-hna"))
    nurse.post_form(f"/nurse/patients/{actors.profile_a}/offer-hna", {"pathway_point": "start_of_treatment"})
    [hna] = hnas(app)
    assert (hna.offered_by_id, hna.pathway_point, hna.answers) == (
        actors.nurse_a, PathwayPoint.START_OF_TREATMENT, {"distress": 5})
    assert offers(app)[0].detail["on_existing_draft"] is True


def test_the_offer_service_is_idempotent(app, actors):
    with app.app_context():
        patient = db.session.get(PatientProfile, actors.profile_a)
        nurse = db.session.get(User, actors.nurse_a)
        first = service.offer(patient, nurse, PathwayPoint.DIAGNOSIS)
        second = service.offer(patient, nurse, PathwayPoint.DIAGNOSIS)
        db.session.commit()
        assert (first.outcome, second.outcome) == ("offered", "already_offered")
        assert first.hna.id == second.hna.id
        assert db.session.scalar(select(func.count()).select_from(HNA)) == 1


def test_the_patient_sees_the_offer_and_is_not_asked_the_point_again(app, nurse, new_client, actors):
    nurse.post_form(f"/nurse/patients/{actors.profile_a}/offer-hna", {"pathway_point": "diagnosis"})
    patient = new_client()
    sign_in_as(patient, actors.patient_a)
    home = page(patient.get("/my-care"))
    assert "Your care team has asked you to fill in a needs assessment" in home
    assert "Nurse A asked you on" in home
    assert "Start the assessment Nurse A asked you to do" in home
    response = patient.post_form("/hna/start")
    assert response.headers["Location"].endswith("/hna/questions/distress")


@pytest.mark.parametrize("data", [{}, {"pathway_point": "someday"}])
def test_the_point_of_pathway_must_be_chosen(app, nurse, actors, data):
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/offer-hna", data)
    assert response.status_code == 200
    body = page(response)
    assert "There is a problem" in body and "Select the point of the patient's pathway" in body
    assert hnas(app) == [] and offers(app) == []


def test_another_teams_patient_cannot_be_offered_one(app, nurse, actors):
    assert nurse.get(f"/nurse/patients/{actors.profile_b}/offer-hna").status_code == 404
    response = nurse.post_form(f"/nurse/patients/{actors.profile_b}/offer-hna", {"pathway_point": "diagnosis"})
    assert response.status_code == 404
    assert hnas(app) == [] and offers(app) == []
