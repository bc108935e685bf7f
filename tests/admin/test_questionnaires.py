"""Admins publish new questionnaire versions; old submissions keep their own wording."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.hna import service
from app.hna.models import QuestionnaireVersion
from app.models import AuditEvent
from tests.helpers import sign_in_as


@pytest.fixture
def admin(client, actors, app):
    with app.app_context():
        service.publish_bundled_questionnaires()
    sign_in_as(client, actors.admin)
    return client


def next_version(app) -> dict:
    with app.app_context():
        definition = json.loads(json.dumps(service.latest_version().definition))
    definition["version"] += 1
    definition["domains"][0]["items"][0]["text"] = "Trouble breathing"
    return definition


def test_admin_sees_published_versions_and_can_download_one(app, admin):
    html = admin.get("/admin/questionnaires").get_data(as_text=True)
    assert "Published versions" in html and ">1<" in html and ">2<" in html
    with app.app_context():
        version_id = db.session.scalar(select(QuestionnaireVersion.id).where(QuestionnaireVersion.version == 1))
    response = admin.get(f"/admin/questionnaires/{version_id}.json")
    assert response.status_code == 200 and response.get_json()["version"] == 1


def test_publishing_a_valid_new_version(app, admin, actors):
    response = admin.post_form("/admin/questionnaires", {"definition": json.dumps(next_version(app))})
    assert response.status_code == 303
    with app.app_context():
        latest = service.latest_version()
        assert latest.version == 3 and latest.published_by_id == actors.admin
        assert db.session.query(AuditEvent).filter_by(action="questionnaire.publish").count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"key": "hna"}', ""),
    ],
)
def test_invalid_definitions_are_refused_and_kept_on_the_page(admin, text, message):
    response = admin.post_form("/admin/questionnaires", {"definition": text})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert message in html
    assert "{not json" in html or "&#34;key&#34;" in html or "&quot;key&quot;" in html


def test_republishing_an_existing_version_is_refused(app, admin):
    with app.app_context():
        current = json.dumps(service.latest_version().definition)
    html = admin.post_form("/admin/questionnaires", {"definition": current}).get_data(as_text=True)
    assert "already published" in html


@pytest.mark.parametrize("who", ["nurse_a", "patient_a"])
def test_only_admins_reach_questionnaires(client, actors, who):
    sign_in_as(client, getattr(actors, who))
    assert client.get("/admin/questionnaires").status_code == 404
