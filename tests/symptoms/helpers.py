"""Logging symptoms as the signed-in patient, at a chosen time."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from app.timeutil import london_today, utcnow

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def symptom_form(symptom: str = "tiredness", severity: str = "mild", started: date | None = None,
                 new_or_worse: str = "no", note: str = "", own_words: str = "", **extra) -> dict:
    started = started or london_today()
    return {"symptom": symptom, "severity": severity, "started_on-day": str(started.day),
            "started_on-month": str(started.month), "started_on-year": str(started.year),
            "new_or_worse": new_or_worse, "note": note, "own_words": own_words, **extra}


def form_token(client) -> str:
    match = FORM_TOKEN.search(client.get("/my-care/symptoms/new").get_data(as_text=True))
    assert match, "no form token on the new-symptom page"
    return match.group(1)


def log_a_symptom_the_daily_sweep_raises(client, clock) -> None:
    """Bone pain is a red flag once it has lasted 14 days: logged 13 days in, a watch symptom then,
    so the next daily sweep has something to raise."""
    logged_at = utcnow() - timedelta(days=13)
    clock(logged_at)
    log(client, symptom="bone_pain", severity="moderate", started=london_today(logged_at) - timedelta(days=13))


def log(client, **fields):
    """Post the new-symptom form, with a fresh page's token unless one is given."""
    data = symptom_form(**fields)
    data.setdefault("form_token", form_token(client))
    return client.post_form("/my-care/symptoms/new", data)


@pytest.fixture
def clock(monkeypatch):
    """Set the time the app reads (an aware UTC datetime) for everything the symptom log does."""

    def set_to(moment: datetime) -> None:
        for where in ("app.timeutil.utcnow", "app.symptoms.service.utcnow", "app.symptoms.routes.utcnow"):
            monkeypatch.setattr(where, lambda: moment)

    return set_to
