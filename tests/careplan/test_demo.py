"""The demo plan: written from a submitted HNA through the same service as a nurse's."""
from __future__ import annotations

from app.careplan import service
from app.careplan.demo import seed
from app.careplan.models import Support
from app.extensions import db
from app.models import PatientProfile, Team, User
from app.triage.models import ItemStatus, QueueItem
from tests.careplan.helpers import make_service, submit_hna


def test_the_demo_plan_is_realistic_and_written_once(app, actors):
    with app.app_context():
        team, nurse = db.session.get(Team, actors.team_a), db.session.get(User, actors.nurse_a)
        assert seed(team, nurse) is None  # nobody has sent an HNA yet
        patient = db.session.get(PatientProfile, actors.profile_a)
        hna = submit_hna(patient, scores={"worry_fear_anxiety": 9, "tiredness": 8, "work_education": 7, "sleep": 7},
                         top=["worry_fear_anxiety", "tiredness"])
        helpline = make_service("Hospital psychology", actors.team_a, domains=("emotional",))
        plan = seed(team, nurse)
        assert plan.version == 1 and plan.hna_id == hna.id and 2 <= len(plan.items) <= 3
        referrals = [i for i in plan.items if i.support is Support.REFERRAL]
        assert [i.service_id for i in referrals] == [helpline.id]
        assert all(i.agreed and i.action for i in plan.items)
        assert db.session.query(QueueItem).filter_by(source_key=f"hna:{hna.id}").one().status is ItemStatus.RESOLVED
        assert seed(team, nurse) is None
        assert len(service.plan_versions(patient)) == 1


def test_the_demo_refers_a_worry_to_psychological_support_not_the_carers_centre(app, actors):
    from app.directory import demo as directory_demo
    from app.directory.models import ServiceCategory

    with app.app_context():
        team, nurse = db.session.get(Team, actors.team_a), db.session.get(User, actors.nurse_a)
        directory_demo.seed(team)
        patient = db.session.get(PatientProfile, actors.profile_a)
        submit_hna(patient, scores={"worry_fear_anxiety": 9, "tiredness": 8}, top=["worry_fear_anxiety"])
        plan = seed(team, nurse)
        [referral] = [i for i in plan.items if i.support is Support.REFERRAL]
        assert referral.concern_id == "worry_fear_anxiety"
        assert referral.service.category is ServiceCategory.PSYCHOLOGICAL_SUPPORT


def test_the_demo_leaves_a_red_flag_open(app, actors):
    with app.app_context():
        team, nurse = db.session.get(Team, actors.team_a), db.session.get(User, actors.nurse_a)
        hna = submit_hna(db.session.get(PatientProfile, actors.profile_a), scores={"fever": 8, "worry_fear_anxiety": 9})
        assert seed(team, nurse) is not None
        assert db.session.query(QueueItem).filter_by(source_key=f"hna:{hna.id}").one().status is ItemStatus.OPEN
