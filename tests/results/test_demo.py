"""Demo results: David's PSA series ends in a rise waiting for the team's review."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.followup import demo as followup_demo
from app.models import Role, Team, User
from app.results import demo as results_demo
from app.results import service
from app.triage.models import ItemStatus, QueueItem
from app.triage.queue import ItemKind
from tests.helpers import make_patient


def test_david_has_a_psa_series_with_a_rise_waiting_for_review_once(app):
    with app.app_context():
        team = Team(name="Demo team", phone="020 7946 0123")
        nurse = User(role=Role.NURSE, display_name="Sam Taylor", team=team)
        db.session.add_all([team, nurse])
        david = make_patient(team, "David", "Hughes", nurse, tumour_pathway="prostate")
        db.session.flush()
        followup_demo.seed(team, nurse, today=date(2026, 12, 1))
        db.session.flush()
        results = results_demo.seed(team, nurse, today=date(2026, 12, 1))
        db.session.commit()
        assert [str(r.value) for r in results] == ["0.900", "0.600", "0.500", "1.400"]
        assert [r.needs_review for r in results] == [False, False, False, True]
        assert results[-1].comment is None and results[0].comment
        assert service.needs_review(david)
        item = db.session.scalar(select(QueueItem).where(QueueItem.patient_id == david.id))
        assert (item.kind, item.status) == (ItemKind.RED_FLAG, ItemStatus.OPEN)
        assert "PSA blood test result outside the person's safe range: 1.4 ng/mL" in item.reason
        assert results_demo.seed(team, nurse) is None  # safe to rerun
