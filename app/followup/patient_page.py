"""The patient's follow-up page as the components' memo takes it (issue 12): its shape, and each
person's own values marked personal (templates/followup/_patient_page.html).

What the page shows of the pathway's content (the symptoms to act on, and the advice) is the
same for everyone on a pathway at a content version, and the 24-hour line the same for everyone
of a team: both are part of the memo's key, never personal. The person's plan and tests decide
which text is shown (flags, also in the key) and fill it in (their values, personal, formatted
here once). Nothing personal is ever kept (app/templating.py memoised_component).
"""
from __future__ import annotations

from datetime import date

from flask import request

from ..templating import personal
from ..timeutil import long_date
from .models import FollowUpType
from .schedule import interval_text


def _test(test, today: date) -> dict:
    return {
        "name": personal(test.name),
        "how_often": interval_text(test.interval_months),
        "next_due": personal(long_date(test.next_due) + (" (overdue: contact your team if you have not heard about it)"
                                                         if test.next_due < today else "")),
        "arranged_by": personal(test.arranged_by or "Your cancer team will tell you"),
        "notes": personal(test.notes) if test.notes else None,
    }


def _content(content) -> dict | None:
    """The pathway content's words the page shows: versioned data, the same for everyone on it."""
    if content is None:
        return None
    return {"emergency": [symptom.text for symptom in content.emergency],
            "red_flags": [symptom.text for symptom in content.reported_by_person("red_flag")],
            "watch": [symptom.text for symptom in content.watch], "watch_advice": content.watch_advice}


def follow_up_page(plan, tests: list, content, team, today: date) -> dict:
    """`plan` and `tests` as followup.service.plan_and_tests_of reads them; `content` the person's
    pathway content (service.content_for); `team` theirs, whose 24-hour line the page gives."""
    page = {"script_root": request.script_root, "plan": plan is not None,
            "tests": [_test(test, today) for test in tests], "content": _content(content)}
    if plan is not None:
        page["self_managed"] = plan.follow_up_type is FollowUpType.SUPPORTED_SELF_MANAGEMENT
        page["open_access"] = personal(f"You can contact your cancer team directly until {long_date(plan.open_access_until)}. "
                                       "After that, contact your GP first.") if plan.open_access_until else None
    if content is not None:
        # As templates/macros/urgent_line.html reads a team (team_urgent_line, the one rule): the
        # team's line, the same for all its patients.
        page["team_line"] = {"out_of_hours_phone": team.out_of_hours_phone, "out_of_hours_name": team.out_of_hours_name}
    return page
