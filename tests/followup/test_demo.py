"""Demo seeding for follow-up and the services directory: realistic, and safe to rerun."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.directory import demo as directory_demo
from app.directory.models import Service
from app.extensions import db
from app.followup import demo as followup_demo
from app.followup.models import EndOfTreatmentSummary, FollowUpPlan, FollowUpType, SurveillanceTest
from app.models import Role, Team, User
from tests.helpers import make_patient, sign_in_as


def test_follow_up_demo_seeds_a_self_managed_prostate_patient_once(app):
    with app.app_context():
        team = Team(name="Demo team", phone="020 7946 0123")
        nurse = User(role=Role.NURSE, display_name="Sam Taylor", team=team)
        db.session.add_all([team, nurse])
        make_patient(team, "Margaret", "Okafor", nurse, tumour_pathway="breast")
        david = make_patient(team, "David", "Hughes", nurse, tumour_pathway="prostate")
        db.session.flush()
        assert followup_demo.seed(team, nurse, today=date(2026, 6, 1)) is david
        db.session.commit()
        plan = db.session.scalar(select(FollowUpPlan))
        assert plan.patient_id == david.id and plan.follow_up_type is FollowUpType.SUPPORTED_SELF_MANAGEMENT
        assert plan.open_access_until.year == plan.treatment_review_date.year + 3
        test = db.session.scalar(select(SurveillanceTest))
        assert (test.name, test.interval_months) == ("PSA blood test", 6) and test.next_due > date(2026, 6, 1)
        summary = db.session.scalar(select(EndOfTreatmentSummary))
        assert summary.version == 1 and summary.is_current and len(summary.treatments) == 2
        assert "Blood in your pee" in summary.red_flags_contact_team and "rising PSA" not in summary.red_flags_contact_team
        assert "020 7946 0123" in summary.contacts
        # Rerunning finds nobody else to seed.
        assert followup_demo.seed(team, nurse) is None
        assert db.session.scalar(select(func.count(FollowUpPlan.id))) == 1


def test_the_seeded_summary_renders_for_the_patient(app, client):
    with app.app_context():
        team = Team(name="Demo team")
        nurse = User(role=Role.NURSE, display_name="Sam Taylor", team=team)
        db.session.add_all([team, nurse])
        david = make_patient(team, "David", "Hughes", nurse, tumour_pathway="prostate")
        db.session.flush()
        followup_demo.seed(team, nurse)
        db.session.commit()
        user_id = david.user_id
    sign_in_as(client, user_id)
    html = client.get("/my-care/treatment-summary").get_data(as_text=True)
    assert "External beam radiotherapy, 20 sessions" in html and "Cancer Care Review" in html


def test_directory_demo_seeds_local_and_national_services_once(app):
    with app.app_context():
        team = Team(name="Demo team")
        db.session.add(team)
        db.session.flush()
        added = directory_demo.seed(team)
        db.session.commit()
        assert 6 <= len(added) <= 8
        services = db.session.scalars(select(Service)).all()
        support_line = next(s for s in services if s.name == "Macmillan Support Line")
        assert support_line.national and support_line.phone == "0808 808 00 00"
        local = [s for s in services if not s.national]
        assert local and all(s.team_id == team.id for s in local)
        assert all(s.phone.startswith("020 7946 0") for s in local)
        assert {s.category.value for s in services} >= {
            "psychological_support", "money_and_benefits", "exercise", "dietitian", "carers_support", "charity_support"}
        from app.admin.services import hna_domains

        known = {domain_id for domain_id, _ in hna_domains()}
        assert all(s.domains and set(s.domains) <= known for s in services)
        assert directory_demo.seed(team) == []
