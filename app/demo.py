"""Realistic demo data so a newcomer can try every role within a minute.

Only ever used with DEMO_MODE on, which production refuses.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from .auth import invitations
from .extensions import db
from .models import PatientProfile, Role, Team, User
from .nhs_number import check_digit

DEMO_TEAM = "Demo Cancer Centre"
DEMO_EMAIL_DOMAIN = "demo.example"


def demo_nhs_number(serial: int) -> str:
    """A valid NHS number in the 999 range, which is never issued to real people."""
    while True:
        serial %= 1_000_000
        first_nine = f"999{serial:06d}"
        digit = check_digit(first_nine)
        if digit is not None:
            return first_nine + digit
        serial += 1


@dataclass
class SeededInvitation:
    name: str
    role: str
    link: str
    code: str
    date_of_birth: date | None


DEMO_PATIENTS = [
    # given, family, dob, pathway, enrolled already
    ("Margaret", "Okafor", date(1958, 3, 14), "breast", True),
    ("David", "Hughes", date(1961, 11, 2), "prostate", True),
    ("Priya", "Sharma", date(1974, 7, 21), "colorectal", False),
]

# Single points of contact. Numbers are in Ofcom's drama range (020 7946 0xxx, 07700 900xxx),
# which is never given to real lines.
DEMO_TEAM_CONTACTS = {
    "phone": "020 7946 0123",
    "hours": "Monday to Friday, 9am to 5pm",
    "email": "cancer.nurses@demo.example",
    "out_of_hours_name": "Acute oncology 24-hour line",
    "out_of_hours_phone": "020 7946 0999",
}
DEMO_PATIENT_CONTACTS = {
    # given name: (phone, GP practice, practice phone, practice address)
    "Margaret": ("07700 900 314", "Riverside Medical Practice", "020 7946 0000", "12 Mill Lane, London SE1 7AB"),
    "David": ("07700 900 562", "Riverside Medical Practice", "020 7946 0000", "12 Mill Lane, London SE1 7AB"),
    "Priya": ("07700 900 721", "Parkview Surgery", "020 7946 0456", "3 Park Road, London SE5 8QT"),
}


def seed_demo(base_url: str) -> list[SeededInvitation]:
    """Create the demo team and people once; return fresh invitations for those not enrolled."""
    from .hna.service import publish_bundled_questionnaires

    publish_bundled_questionnaires()
    team = db.session.scalar(select(Team).where(Team.name == DEMO_TEAM))
    if team is None:
        team = Team(name=DEMO_TEAM, **DEMO_TEAM_CONTACTS)
        other = Team(name="Demo Haematology Team")
        db.session.add_all([team, other])
        nurse = User(role=Role.NURSE, display_name="Sam Taylor", email=f"sam.taylor@{DEMO_EMAIL_DOMAIN}", team=team)
        colleague = User(role=Role.NURSE, display_name="Alex Morgan", email=f"alex.morgan@{DEMO_EMAIL_DOMAIN}", team=team)
        admin = User(role=Role.ADMIN, display_name="Jo Admin", email=f"jo.admin@{DEMO_EMAIL_DOMAIN}", team=team)
        db.session.add_all([nurse, colleague, admin])
        for serial, (given, family, dob, pathway, _enrolled) in enumerate(DEMO_PATIENTS, start=1):
            user = User(role=Role.PATIENT, display_name=f"{given} {family}", team=team)
            db.session.add(user)
            phone, practice, practice_phone, practice_address = DEMO_PATIENT_CONTACTS[given]
            db.session.add(
                PatientProfile(
                    user=user, team=team, nhs_number=demo_nhs_number(serial * 1234),
                    given_name=given, family_name=family, date_of_birth=dob,
                    tumour_pathway=pathway, key_worker=nurse, phone=phone,
                    gp_practice_name=practice, gp_practice_phone=practice_phone,
                    gp_practice_address=practice_address,
                )
            )
        db.session.flush()
        _seed_hnas(team)
        _seed_offer(team, nurse)
        _seed_care_areas(team, nurse)
        _seed_open_queue(team)
    issued: list[SeededInvitation] = []
    people = db.session.scalars(select(User).where(User.team_id == team.id).order_by(User.id)).all()
    enrolled_names = {f"{g} {f}" for g, f, _d, _p, enrolled in DEMO_PATIENTS if enrolled}
    for person in people:
        if person.credentials or person.password_hash or person.display_name in enrolled_names:
            continue
        if person.role is Role.PATIENT or person.role is Role.ADMIN:
            invitation = invitations.issue(person, None)
            profile = person.patient_profile
            issued.append(
                SeededInvitation(
                    name=person.display_name, role=person.role.value,
                    link=f"{base_url.rstrip('/')}/enrol/{invitation.token}",
                    code=invitation.code_display,
                    date_of_birth=profile.date_of_birth if profile else None,
                )
            )
    db.session.commit()
    return issued


def demo_people() -> list[User]:
    team = db.session.scalar(select(Team).where(Team.name == DEMO_TEAM))
    if team is None:
        return []
    return list(db.session.scalars(select(User).where(User.team_id == team.id).order_by(User.role, User.id)))


def _seed_hnas(team: Team) -> None:
    """A submitted, high-distress HNA for the team's list, so the nurse has something to open."""
    from .hna.models import PathwayPoint

    _submit_demo_hna(team, "David", {
        "point": {"pathway_point": PathwayPoint.END_OF_TREATMENT.value},
        "distress": {"distress": 7},
        "domain:physical": {"concerns": ["tiredness", "passing_urine"], "scores": {"tiredness": 8, "passing_urine": 5}},
        "domain:emotional": {"concerns": ["worry_fear_anxiety"], "scores": {"worry_fear_anxiety": 9}},
        "domain:practical": {"concerns": ["work_education"], "scores": {"work_education": 6}},
        "domain:family": {"concerns": ["none"]},
        "domain:spiritual": {"concerns": ["none"]},
        "domain:lifestyle": {"concerns": ["none"]},
        "top": {"top_concerns": ["worry_fear_anxiety", "tiredness"]},
        "anything_else": {"text": "I keep thinking about whether the cancer will come back."},
        "matters:matters_most": {"text": "Getting back to my allotment and seeing my grandchildren."},
    })


def _seed_open_queue(team: Team) -> None:
    """Work waiting in the nurse's queue: Priya ticked a fever in her HNA (an emergency)."""
    from .hna.models import PathwayPoint

    _submit_demo_hna(team, "Priya", {
        "point": {"pathway_point": PathwayPoint.DURING_TREATMENT.value},
        "distress": {"distress": 6},
        "domain:physical": {"concerns": ["fever", "tiredness"], "scores": {"fever": 8, "tiredness": 6}},
        "domain:emotional": {"concerns": ["worry_fear_anxiety"], "scores": {"worry_fear_anxiety": 7}},
        "domain:practical": {"concerns": ["none"]},
        "domain:family": {"concerns": ["none"]},
        "domain:spiritual": {"concerns": ["none"]},
        "domain:lifestyle": {"concerns": ["none"]},
        "top": {"top_concerns": ["fever", "worry_fear_anxiety"]},
        "anything_else": {"text": "I felt shivery last night after my chemo."},
    })


def _submit_demo_hna(team: Team, given_name: str, answers: dict) -> None:
    """Answer and send an HNA page by page, by the same rules as everyone else."""
    from .hna import service

    profile = db.session.scalar(
        select(PatientProfile).where(PatientProfile.team_id == team.id, PatientProfile.given_name == given_name)
    )
    if profile is None:
        return
    hna = service.start_or_resume(profile)
    questionnaire = service.questionnaire_of(hna)
    for step, data in answers.items():
        result = service.apply_step(hna, questionnaire, step, data)
        if not result.ok:  # the demo must follow the same rules as everyone else
            raise ValueError(f"demo HNA answer for {step} refused: {result.errors}")
    service.submit(hna, questionnaire)


def _seed_offer(team: Team, nurse: User) -> None:
    """Margaret's nurse has asked her to fill in a needs assessment as her treatment starts."""
    from .hna import service
    from .hna.models import PathwayPoint

    profile = db.session.scalar(
        select(PatientProfile).where(PatientProfile.team_id == team.id, PatientProfile.given_name == "Margaret")
    )
    if profile is None:
        return
    # Seeding is not something the nurse did, so it is not in the audit log; the offer's date
    # is then the draft's.
    service.offer(profile, nurse, PathwayPoint.START_OF_TREATMENT)


def _seed_care_areas(team: Team, nurse: User) -> None:
    """Each area's own demo data: local services, David's care plan from his HNA, and his
    follow-up plan and End of Treatment Summary (which quotes the team's contacts above), his PSA
    results with a rise waiting for review, a watch symptom in his symptom log (and Margaret's red
    flag from yesterday, corrected and logged again, on the queue), and his open request to be
    seen with a nurse's reply (Priya is on clinician-led follow-up), the reminders his record has
    called for so far, and his phone getting notifications."""
    from .careplan import demo as careplan_demo
    from .directory import demo as directory_demo
    from .followup import demo as followup_demo
    from .push import demo as push_demo
    from .reentry import demo as reentry_demo
    from .reminders import demo as reminders_demo
    from .results import demo as results_demo
    from .symptoms import demo as symptoms_demo

    directory_demo.seed(team)
    db.session.flush()
    careplan_demo.seed(team, nurse)
    followup_demo.seed(team, nurse)
    db.session.flush()
    results_demo.seed(team, nurse)
    symptoms_demo.seed(team)
    symptoms_demo.seed_red_flag(team)
    db.session.flush()
    reentry_demo.seed(team, nurse)
    db.session.flush()
    reminders_demo.seed(team)
    push_demo.seed(team)
    db.session.flush()
