"""Demo follow-up: a man on supported self-management after prostate cancer, with a PSA schedule
and an End of Treatment Summary. Only ever used with DEMO_MODE on (called from app.demo)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import PatientProfile, Team, User
from ..timeutil import london_today
from .models import EndOfTreatmentSummary, FollowUpPlan, FollowUpType, SurveillanceTest
from .pathway_content import pathway_content
from .schedule import add_months
from .service import team_contact_lines


def seed(team: Team, nurse: User, today: date | None = None) -> PatientProfile | None:
    """Give the team's first prostate patient without a follow-up plan a plan, a PSA schedule and
    a summary. Returns that patient, or None if there is nobody to seed (so it is safe to rerun)."""
    today = today or london_today()
    profile = db.session.scalar(
        select(PatientProfile)
        .where(PatientProfile.team_id == team.id, PatientProfile.tumour_pathway == "prostate")
        .where(~select(FollowUpPlan.id).where(FollowUpPlan.patient_id == PatientProfile.id).exists())
        .order_by(PatientProfile.id)
    )
    if profile is None:
        return None
    content = pathway_content("prostate")
    psa = content.suggested_tests[0]
    review = today - timedelta(days=42)
    diagnosed = add_months(today, -14)
    hormones_start = add_months(diagnosed, 1)
    radiotherapy_start = add_months(diagnosed, 4)
    radiotherapy_end = radiotherapy_start + timedelta(days=27)

    profile.diagnosed_on = diagnosed  # as the summary says (GP Cancer Care Review reminders)
    db.session.add(FollowUpPlan(
        patient_id=profile.id, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
        treatment_review_date=review, open_access_until=add_months(review, 36), updated_by_id=nurse.id,
    ))
    db.session.add(SurveillanceTest(
        patient_id=profile.id, name=psa.name, interval_months=psa.interval_months,
        next_due=add_months(review, psa.interval_months), arranged_by=psa.arranged_by,
        notes="Book the blood test at your GP practice in the week before it is due. We will send you the result.",
    ))
    db.session.add(EndOfTreatmentSummary(
        patient_id=profile.id, team_id=team.id, version=1, is_current=True, created_by_id=nurse.id,
        diagnosis="Prostate cancer (adenocarcinoma), Gleason score 3+4=7, stage T2 N0 M0",
        diagnosis_date=diagnosed,
        treatments=[
            {"treatment": "Hormone therapy (goserelin injections every 3 months)", "started": hormones_start.isoformat(),
             "ended": add_months(hormones_start, 6).isoformat(), "intent": "curative"},
            {"treatment": "External beam radiotherapy, 20 sessions", "started": radiotherapy_start.isoformat(),
             "ended": radiotherapy_end.isoformat(), "intent": "curative"},
        ],
        side_effects="Tiredness, improving over a few months\nHot flushes, which should ease now hormone therapy has stopped\nNeeding to pee more often",
        late_effects="Bowel changes: loose stools or bleeding from the bottom (can start months or years later)\nProblems getting or keeping an erection\nThinning of the bones after hormone therapy",
        red_flags_contact_team="\n".join(s.text for s in content.reported_by_person("red_flag")),
        red_flags_emergency="\n".join(s.text for s in content.emergency),
        follow_up_plan=(f"Supported self-management, with open access to the team for 3 years\n"
                        f"{psa.name} every {psa.interval_months} months: your GP practice takes the blood, "
                        "the hospital team checks the result and writes to you\n"
                        "Contact the team directly if you are worried: you do not need to see your GP first"),
        contacts="\n".join(team_contact_lines(profile)),
        gp_actions=("Cancer Care Review within 6 months\n"
                    "Bone health check (hormone therapy): consider a DEXA scan\n"
                    "Please refer back to the urology team if the PSA rises by 2 or more above its lowest level"),
    ))
    db.session.flush()
    return profile
