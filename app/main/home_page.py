"""The patient's home page as the components' memo takes it (issue 12): its shape, and each
person's own values marked personal.

Rendered by Jinja from its records on every view, home's own part was a third of the page's
Python calls: a hundred look-ups, filters and escapes for a page whose text is nearly all the
same for everyone. templates/main/_home.html holds its text as two macros, `home_top` (the sync
status, the greeting, what to do now) and `home_rest` (the cards below "Feeling unwell?"), that
read nothing but the `page` given them; app/templating.py `memoised_component` renders each once
per shape and keeps it, with placeholders where the person's values go. So everything that
decides which text is shown is a plain flag or kind here (part of the memo's key, the same for
everyone in that state), and every value one person sees (a name, a date, a link with their
record's number) is `personal`, formatted here once. Nothing personal is ever kept.
"""
from __future__ import annotations

from flask import current_app, request, url_for

from ..forms import tel_link
from ..templating import personal
from ..timeutil import date_time, long_date

# The most urgent things are on the first screen; any more are one tap away (templates/main/_home.html).
FIRST_SCREEN = 2


def _name_or(value, otherwise: str):
    """A name that may be missing, shown as `otherwise` then."""
    return personal(value) if value is not None else otherwise


def _thing(thing) -> dict:
    """One thing to do as the home page shows it (templates/main/_home.html thing_item)."""
    kind, it = thing.kind, thing.subject
    if kind == "hna_offered":
        return {"kind": kind, "continue": bool(it.last_step), "by": _name_or(it.offered_by_name, "Your care team"),
                "on": personal(long_date(it.offered_at))}
    if kind in ("hna_started", "hna_reply_late"):
        return {"kind": kind}
    if kind == "hna_sent":
        return {"kind": kind, "url": personal(url_for("hna.submitted", hna_id=it.id)),
                "by": _name_or(thing.detail["taken_by"], "Your care team"), "on": personal(long_date(thing.detail["by"]))}
    if kind == "symptom_act_today":
        return {"kind": kind, "url": personal(url_for("symptoms.logged", entry_id=it.id)),
                "text": personal(it.own_words or it.symptom_text)}
    if kind == "symptom_with_team":
        return {"kind": kind, "on": personal(long_date(it.due_at))}
    if kind == "symptom_reply_late":
        return {"kind": kind, "on": personal(long_date(it.received_at))}
    if kind == "results_unread":
        one = it.count == 1
        return {"kind": kind, "one": one, "name_or_count": personal(it.newest_test_name if one else str(it.count)),
                "on": personal(long_date(it.newest_taken_on))}
    if kind == "messages_unread":
        # A value given must be shown (or the memo renders the whole shape every time): no count for one.
        return {"kind": kind, "one": True} if it == 1 else {"kind": kind, "one": False, "count": personal(str(it))}
    if kind in ("request_late", "request_appointment", "request_status"):
        shown = {"kind": kind, "url": personal(url_for("reentry.request_status", request_id=it.id))}
        if kind == "request_appointment":
            shown["when"] = personal(date_time(it.appointment_at))
            shown["place"] = personal(it.appointment_place) if it.appointment_place else None
            return shown
        if kind == "request_status":
            # The one wording of where a request stands (app/reentry/routes.py), a template global.
            shown["words"] = personal(current_app.jinja_env.globals["reentry_status_words"](it.status, it))
        shown["on"] = personal(long_date(it.created_at))
        return shown
    if kind in ("test_overdue", "test_due"):
        shown = {"kind": kind, "name": personal(it.name), "on": personal(long_date(it.next_due))}
        if kind == "test_due":
            shown["arranged_by"] = personal(it.arranged_by) if it.arranged_by else None
        return shown
    if kind == "no_result":
        return {"kind": kind, "name": personal(it.test.name), "on": personal(long_date(it.taken_on))}
    if kind in ("gp_review_first", "gp_review_review"):
        return {"kind": kind, "on": personal(long_date(thing.when))}
    if kind == "care_plan_review":
        return {"kind": kind, "on": personal(long_date(it.review_date))}
    raise ValueError(f"no words for the thing to do {kind!r}")


def home_top(profile, things) -> dict:
    """The sync status, the greeting and what to do now."""
    return {
        "script_root": request.script_root,
        "given_name": personal(profile.given_name),
        "first": [_thing(thing) for thing in things[:FIRST_SCREEN]],
        "more": [_thing(thing) for thing in things[FIRST_SCREEN:]],
    }


def home_rest(profile, records, follow_up: dict) -> dict:
    """The cards below "Feeling unwell?": the needs assessment, the care plan, follow-up (`follow_up`:
    followup.service.patient_cards), the person's contacts."""
    draft, last_sent, reply, plan = records.draft, records.last_sent, records.reply, records.care_plan
    team, key_worker = profile.team, profile.key_worker
    page = {"script_root": request.script_root, "draft": draft is not None, "last_sent": last_sent is not None,
            "offered": bool(draft and draft.offered_by_id)}
    if page["offered"]:
        page["offered_by"] = _name_or(draft.offered_by_name, "Your care team")
        page["offered_on"] = personal(long_date(draft.offered_at))
        page["button"] = ("Continue your assessment" if draft.last_step else
                          personal(f"Start the assessment {draft.offered_by_name} asked you to do")
                          if draft.offered_by_name is not None else "Start the assessment your care team asked you to do")
    elif last_sent is not None:
        page["sent_on"] = personal(date_time(last_sent.submitted_at))
        page["sent_url"] = personal(url_for("hna.submitted", hna_id=last_sent.id))
        page["waiting"] = draft is None and not reply["done"]
        if page["waiting"]:
            page["late"] = reply["late"]
            page["taken_by"] = _name_or(reply["taken_by"], "Your care team")
            page["reply_by"] = personal(long_date(reply["by"])) if reply["by"] and not reply["late"] else None
    page["plan_to_come"] = last_sent is not None and plan is None
    if page["plan_to_come"]:
        page["key_worker_or_team"] = _name_or(key_worker.display_name if key_worker else None, "Your care team")
    elif plan is not None:
        page["plan"] = personal(f"Updated on {long_date(plan.created_at)}. Next review by {long_date(plan.review_date)}.")
    test = follow_up["next_test"]
    page["follow_up"] = bool(follow_up["plan"] or test)
    if test:
        page["next_test"] = personal(f"Next: {test.name}, due {long_date(test.next_due)}"
                                     + (" (overdue – contact your team)" if follow_up["next_test_overdue"] else ""))
    page["summary"] = bool(follow_up["summary"])
    page["key_worker"] = personal(key_worker.display_name) if key_worker else None
    page["team_name"] = personal(team.name)
    page["team_phone"] = personal(tel_link(team.phone)) if team.phone else None
    page["team_hours"] = personal(team.hours) if team.phone and team.hours else None
    return page
