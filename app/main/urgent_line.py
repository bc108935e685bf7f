"""The person's own 24-hour line as data, for the pages and scripts that keep it on the phone
(the offline page's /my-care/urgent-line and the symptom rules' /my-care/symptom-rules)."""
from __future__ import annotations

from ..forms import dial_digits


def urgent_line_of(profile) -> dict:
    """{name, phone, dial} of the person's team's 24-hour line; all None where it has none."""
    team = profile.team
    if team is None or not team.out_of_hours_phone:
        return {"name": None, "phone": None, "dial": None}
    phone = team.out_of_hours_phone
    return {"name": team.out_of_hours_name or "Your 24-hour line", "phone": phone, "dial": dial_digits(phone)}
