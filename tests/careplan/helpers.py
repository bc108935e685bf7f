"""Making submitted HNAs and care plans for tests, through the same services the app uses."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from app.careplan import service as plans
from app.careplan.models import ActionOwner, CarePlan
from app.careplan.service import ItemInput
from app.directory.models import Service, ServiceCategory
from app.extensions import db
from app.hna import service as hnas
from app.hna.models import HNA
from app.models import PatientProfile, User
from app.timeutil import london_today

DOMAINS = ("physical", "emotional", "practical", "family", "spiritual", "lifestyle")


def submit_hna(patient: PatientProfile, distress: int = 8, scores: dict[str, int] | None = None,
               top: list[str] | None = None, submitted_at: datetime | None = None) -> HNA:
    """A submitted HNA, answered page by page as a patient would."""
    scores = {"worry_fear_anxiety": 9, "tiredness": 8, "passing_urine": 5} if scores is None else scores
    top = ["worry_fear_anxiety"] if top is None else top
    hna = hnas.start_or_resume(patient)
    questionnaire = hnas.questionnaire_of(hna.questionnaire_version)
    steps = {"point": {"pathway_point": "end_of_treatment"}, "distress": {"distress": distress}}
    for domain in DOMAINS:
        chosen = {c: s for c, s in scores.items() if questionnaire.domain_of(c).id == domain}
        steps[f"domain:{domain}"] = {"concerns": list(chosen), "scores": chosen} if chosen else {"concerns": ["none"]}
    steps["top"] = {"top_concerns": top}
    for step, data in steps.items():
        result = hnas.apply_step(hna, questionnaire, step, data)
        assert result.ok, (step, result.errors)
    assert hnas.submit(hna, questionnaire) == []
    if submitted_at is not None:
        hna.submitted_at = submitted_at
    db.session.commit()
    return hna


def make_service(name: str = "Maggie's centre", team_id: int | None = None, domains=("emotional",),
                 category: ServiceCategory = ServiceCategory.PSYCHOLOGICAL_SUPPORT, **extra) -> Service:
    found = Service(name=name, category=category, team_id=team_id, domains=list(domains),
                    phone=extra.pop("phone", "020 7946 0000"), website=extra.pop("website", "https://example.org/support"),
                    **extra)
    db.session.add(found)
    db.session.commit()
    return found


def item(concern: str = "Worry, fear or anxiety", **fields) -> ItemInput:
    fields.setdefault("agreed", "Talk to someone")
    fields.setdefault("owner", ActionOwner.KEY_WORKER)
    return ItemInput(concern=concern, **fields)


def make_plan(patient: PatientProfile, by: User, items: list[ItemInput] | None = None,
              review_date: date | None = None, base_version: int | None = None, **kwargs) -> CarePlan:
    current = plans.current_plan(patient)
    plan = plans.save_new_version(
        patient, base_version if base_version is not None else (current.version if current else 0),
        items or [item()], review_date or london_today() + timedelta(days=90),
        kwargs.pop("summary", None), kwargs.pop("change_note", None), kwargs.pop("hna", None), by,
    )
    db.session.commit()
    return plan

