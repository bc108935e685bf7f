"""Demo services directory: realistic local services and a few national ones.

Local phone numbers are in Ofcom's drama range (020 7946 0xxx), so nobody real gets a call.
Only ever used with DEMO_MODE on (called from app.demo).
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Team
from .models import Service, ServiceCategory

NATIONAL = None
LOCAL = "local"

# (name, category, team (LOCAL or NATIONAL), description, phone, email, website, address, hours, domains)
DEMO_SERVICES = [
    ("Riverside Hospital Psychological Support Service", ServiceCategory.PSYCHOLOGICAL_SUPPORT, LOCAL,
     "Talking therapies and psychological support for people with cancer and their families. Your key worker can refer you.",
     "020 7946 0310", None, None, "Riverside Hospital, Macmillan Centre, Level 2", "Monday to Friday, 9am to 5pm",
     ["emotional", "family", "spiritual"]),
    ("Macmillan Support Line", ServiceCategory.CHARITY_SUPPORT, NATIONAL,
     "Information and support from cancer specialists, benefits advisers and energy advisers.",
     "0808 808 00 00", None, "https://www.macmillan.org.uk/contact-us", None, "Every day, 8am to 8pm",
     ["emotional", "practical", "lifestyle"]),
    ("Macmillan Benefits Advice at Citizens Advice Riverside", ServiceCategory.MONEY_AND_BENEFITS, LOCAL,
     "Free, confidential help with benefits, grants, work and money worries after a cancer diagnosis.",
     "020 7946 0420", "benefits@citizensadvice-riverside.example", None, "Citizens Advice Riverside, 14 High Street",
     "Monday, Wednesday and Friday, 10am to 4pm", ["practical"]),
    ("Move More Riverside", ServiceCategory.EXERCISE, LOCAL,
     "A 12-week programme of gentle exercise with trained instructors, for people during and after cancer treatment.",
     "020 7946 0530", "movemore@riverside-leisure.example", None, "Riverside Leisure Centre", "Classes on Tuesdays and Thursdays",
     ["physical", "lifestyle"]),
    ("Oncology Dietitians, Riverside Hospital", ServiceCategory.DIETITIAN, LOCAL,
     "Advice on eating well, weight changes, and eating problems caused by treatment. Your key worker or GP can refer you.",
     "020 7946 0640", None, None, "Riverside Hospital, Outpatients B", "Monday to Friday, 8.30am to 4.30pm",
     ["physical", "lifestyle"]),
    ("Riverside Carers' Centre", ServiceCategory.CARERS_SUPPORT, LOCAL,
     "Support, breaks and advice for family and friends who look after someone with cancer.",
     "020 7946 0750", "hello@riverside-carers.example", None, "22 Station Road", "Monday to Friday, 10am to 4pm",
     ["family", "practical", "emotional"]),
    ("Maggie's Riverside", ServiceCategory.CHARITY_SUPPORT, LOCAL,
     "Drop in for free practical and emotional support from cancer support specialists, psychologists and benefits advisers. No referral needed.",
     "020 7946 0860", None, "https://www.maggies.org/", "Maggie's centre, in the grounds of Riverside Hospital",
     "Monday to Friday, 9am to 5pm", ["emotional", "practical", "family", "lifestyle"]),
]


def seed(team: Team) -> list[Service]:
    """Add the demo services once (by name); local ones belong to `team`. Safe to rerun."""
    existing = set(db.session.scalars(select(Service.name)))
    added = []
    for name, category, scope, description, phone, email, website, address, hours, domains in DEMO_SERVICES:
        if name in existing:
            continue
        service = Service(
            name=name, category=category, team=team if scope == LOCAL else None, description=description,
            phone=phone, email=email, website=website, address=address, hours=hours, domains=domains, active=True,
        )
        db.session.add(service)
        added.append(service)
    db.session.flush()
    return added
