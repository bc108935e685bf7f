"""Admins keep the services directory: add, change, stop offering; collisions are caught."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.directory.models import Service, ServiceCategory
from app.extensions import db
from app.models import AuditEvent
from tests.helpers import sign_in_as

VALID = {
    "action": "save",
    "name": "Riverside Psychology Service",
    "category": "psychological_support",
    "team_id": "0",
    "domains": ["emotional", "family"],
    "description": "Talking therapies for people with cancer",
    "phone": "020 7946 0321",
    "email": "",
    "website": "https://example.org/psychology",
    "address": "Riverside Hospital, Level 2",
    "hours": "Monday to Friday, 9am to 5pm",
}


def stored(app):
    with app.app_context():
        return db.session.scalars(select(Service).order_by(Service.id)).all()


def actions(app):
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("service.")))]


def add(admin, **changes):
    return admin.post_form("/admin/services/new", {**VALID, **changes})


def test_a_national_helpline_can_have_a_short_number(app, admin):
    assert add(admin, phone="116 123").status_code == 303
    assert [service.phone for service in stored(app)] == ["116 123"]


def test_admin_adds_a_national_service_and_it_is_listed_by_category(app, admin):
    assert add(admin).status_code == 303
    [service] = stored(app)
    assert service.national and service.category is ServiceCategory.PSYCHOLOGICAL_SUPPORT
    assert service.domains == ["emotional", "family"] and service.email is None and service.active
    assert actions(app) == ["service.create"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "service.create"))
    # Field names only, never what was typed.
    assert event.subject == f"service:{service.id}"
    assert event.detail == {"fields": ["address", "category", "description", "domains", "hours", "name", "phone", "website"]}
    html = admin.get("/admin/services").get_data(as_text=True)
    assert "Psychological support" in html and "Riverside Psychology Service" in html
    assert "Emotional, Family and relationships" in html and "Everyone (national)" in html


def test_a_local_service_belongs_to_a_team_and_the_list_filters(app, admin, actors):
    add(admin, team_id=str(actors.team_a), name="Team A Dietitians", category="dietitian", domains=["physical"])
    add(admin)
    only_team = admin.get(f"/admin/services?team={actors.team_a}").get_data(as_text=True)
    admin.get("/admin/services")  # shows (and so clears) the flashed messages
    psychology, dietitians = ">Riverside Psychology Service</a>", ">Team A Dietitians</a>"
    only_team = admin.get(f"/admin/services?team={actors.team_a}").get_data(as_text=True)
    assert dietitians in only_team and psychology not in only_team
    only_category = admin.get("/admin/services?category=psychological_support").get_data(as_text=True)
    assert psychology in only_category and dietitians not in only_category
    national = admin.get("/admin/services?team=national").get_data(as_text=True)
    assert psychology in national and dietitians not in national
    assert stored(app)[0].team_id == actors.team_a


def test_bad_input_gets_clear_messages_and_keeps_what_was_typed(app, admin):
    response = add(admin, name="", phone="", website="", email="", domains=[],
                   description="<script>alert(1)</script>", hours="Tuesdays")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "Enter the name of the service" in html
    assert "Choose at least one kind of concern the service helps with" in html
    assert "Enter at least one way to contact the service" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert 'value="Tuesdays"' in html
    assert stored(app) == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "not an email", "Enter an email address in the correct format"),
    ("website", "javascript:alert(1)", "Enter a website address starting with https://"),
    ("phone", "call us", "Enter a phone number, like 020 7946 0123 or 116 123"),
    ("phone", "(-) -", "Enter a phone number, like 020 7946 0123 or 116 123"),  # no digits at all
    ("phone", "09", "Enter a phone number, like 020 7946 0123 or 116 123"),  # helplines have 3 or more
    ("team_id", "99999", "Choose a team, or national"),
    ("category", "astrology", "Not a valid choice"),
])
def test_each_field_is_checked(app, admin, field, value, message):
    html = add(admin, **{field: value}).get_data(as_text=True)
    assert message in html
    assert stored(app) == []


def test_admin_changes_a_service_and_it_is_audited(app, admin):
    add(admin)
    [service] = stored(app)
    page = admin.get(f"/admin/services/{service.id}").get_data(as_text=True)
    assert 'value="Riverside Psychology Service"' in page and 'name="version" value="1"' in page
    response = admin.post_form(f"/admin/services/{service.id}", {**VALID, "version": "1", "hours": "Weekdays 8am to 6pm"})
    assert response.status_code == 303
    [service] = stored(app)
    assert service.hours == "Weekdays 8am to 6pm" and service.version == 2
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "service.update"))
        assert event.detail == {"changed": ["hours"]} and event.subject == f"service:{service.id}"


def test_an_edit_on_top_of_someone_elses_is_a_conflict_and_keeps_the_typing(app, admin, new_client, actors):
    add(admin)
    [service] = stored(app)
    assert admin.post_form(f"/admin/services/{service.id}", {**VALID, "version": "1", "phone": "020 7946 0999"}).status_code == 303
    other = new_client()
    sign_in_as(other, actors.admin)
    response = other.post_form(f"/admin/services/{service.id}", {**VALID, "version": "1", "name": "Renamed by the other admin"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed this service while you were editing it" in html
    assert 'value="Renamed by the other admin"' in html and 'name="version" value="2"' in html
    [service] = stored(app)
    assert service.name == VALID["name"] and service.phone == "020 7946 0999"


def test_stop_offering_and_offer_again(app, admin):
    add(admin)
    [service] = stored(app)
    assert admin.post_form(f"/admin/services/{service.id}", {"action": "deactivate", "version": "1"}).status_code == 303
    assert not stored(app)[0].active
    listing = admin.get("/admin/services").get_data(as_text=True)
    assert ">Riverside Psychology Service</a>" not in listing
    assert "Not offered" in admin.get("/admin/services?show=all").get_data(as_text=True)
    stale = admin.post_form(f"/admin/services/{service.id}", {"action": "reactivate", "version": "1"}, follow_redirects=True)
    assert "Someone else changed this service a moment ago" in stale.get_data(as_text=True)
    assert not stored(app)[0].active
    assert admin.post_form(f"/admin/services/{service.id}", {"action": "reactivate", "version": "2"}).status_code == 303
    assert stored(app)[0].active
    # The same click arriving twice: done once, and not blamed on someone else.
    twice = admin.post_form(f"/admin/services/{service.id}", {"action": "reactivate", "version": "2"}, follow_redirects=True)
    assert "is back in the directory" in twice.get_data(as_text=True) and "Someone else" not in twice.get_data(as_text=True)
    assert actions(app) == ["service.create", "service.deactivate", "service.reactivate"]


def test_a_service_that_does_not_exist_answers_404_and_is_audited(app, admin):
    assert admin.get("/admin/services/424242").status_code == 404
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "service.access_refused"))
        assert event.subject == "service:424242" and event.outcome == "refused"


@pytest.mark.parametrize("who", ["nurse_a", "patient_a"])
def test_only_admins_reach_the_directory(client, actors, who, app):
    with app.app_context():
        service = Service(name="Macmillan Support Line", category=ServiceCategory.CHARITY_SUPPORT, domains=["practical"])
        db.session.add(service)
        db.session.commit()
        service_id = service.id
    sign_in_as(client, getattr(actors, who))
    for path in ("/admin/services", "/admin/services/new", f"/admin/services/{service_id}"):
        assert client.get(path).status_code == 404
    assert client.post_form(f"/admin/services/{service_id}", {"action": "deactivate", "version": "1"}).status_code == 404
    with app.app_context():
        assert db.session.get(Service, service_id).active


def test_the_domains_offered_are_the_needs_assessments(admin):
    html = admin.get("/admin/services/new").get_data(as_text=True)
    for domain_id in ("physical", "emotional", "practical", "family", "spiritual", "lifestyle"):
        assert f'value="{domain_id}"' in html
