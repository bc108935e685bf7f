"""The care plan as the person reads it, as values for templates/careplan/_view.html: the
person's own page (through the components' memo, issue 12), the nurse's preview of that page and
the copy kept on the person's phone for reading offline, so all three read alike from one text.

On the person's page each value is marked personal (`mark`): the page's text is rendered once
per shape and kept, their values put in (app/templating.py memoised_component); what decides
which text is shown (a summary or none, an item with support or without, which support) is part
of the memo's key. Elsewhere the values go in as they are (`mark` the identity).
"""
from __future__ import annotations

from ..forms import tel_link
from ..timeutil import long_date
from .models import Support
from .service import support_words, who_words


def as_it_is(value):
    return value


def plan_view(plan, level: int = 2, id_prefix: str = "concern", preview: bool = False, mark=as_it_is) -> dict:
    """`plan`: a stored version or a service.PlanOnPage. `level`: the heading level to start from;
    `id_prefix` keeps ids unique where the nurse's own rendering is on the same page; `preview`:
    the nurse's preview (no link to the needs assessment)."""
    return {
        "created_by": mark(plan.created_by.display_name),
        "created_on": mark(long_date(plan.created_at)),
        "summary": mark(plan.summary) if plan.summary else None,
        "level": level,
        "concerns": concerns_view(plan, for_patient=True, id_prefix=id_prefix, mark=mark),
        "review_on": mark(long_date(plan.review_date)),
        "preview": preview,
    }


def concerns_view(plan, for_patient: bool = False, id_prefix: str = "concern", mark=as_it_is) -> list[dict]:
    """A plan's concerns as templates/careplan/_view.html `concern_sections` shows them: the one
    source of both the person's wording (`for_patient`, in `plan_view`) and the team's (the
    nurse's plan, a version and the editor's clash, through templates/careplan/_items.html), so
    that a change of wording or of what is made a link is made once."""
    return [_item(item, mark, f"{id_prefix}-{plan.version}-{number}", for_patient)
            for number, item in enumerate(plan.items, start=1)]


def _item(item, mark, anchor: str, for_patient: bool) -> dict:
    shown = {"anchor": mark(anchor), "concern": mark(item.concern),
             "agreed": mark(item.agreed) if item.agreed else "Nothing recorded",
             "action": mark(item.action) if item.action else "No action needed",
             "who": mark(who_words(item, for_patient)), "support": None}
    if item.support is not Support.NONE:
        shown["support"] = support_words(item, for_patient)
        shown["service"] = _service(item.service, mark) if item.service else None
    return shown


def is_web_address(address: str | None) -> bool:
    """Whether a service's website is made a link: only an http or https address (its scheme in
    any case, as browsers read it), never a javascript: or data: one, nor one relative to this
    site or with anything before its scheme."""
    return bool(address) and address[:8].lower().startswith(("https://", "http://"))


def _service(service, mark) -> dict:
    website = service.website
    return {
        "name": mark(service.name),
        "description": mark(service.description) if service.description else None,
        "phone": mark(tel_link(service.phone)) if service.phone else None,
        "hours": mark(service.hours) if service.hours else None,
        "email": mark(service.email) if service.email else None,
        "website": mark(website) if is_web_address(website) else None,
        "address": mark(service.address) if service.address else None,
    }


def plan_page(patient, plan, changes: list | None, first_look: bool | None) -> dict:
    """The person's own plan page (templates/careplan/_patient_page.html) as the memo takes it:
    `patient` their record or their values read with the session (`authz.signed_in_patient`),
    `plan` their current version (a service.PlanOnPage) or None, `changes` what changed since they
    last looked (None when they have not looked before), `first_look` whether they never have."""
    from flask import request

    from ..authz import patient_columns
    from ..models import PatientProfile
    from ..templating import personal

    profile = patient_columns(patient)
    team, key_worker = patient.team, patient.key_worker
    page = {"script_root": request.script_root, "plan": plan is not None,
            "key_worker": personal(key_worker.display_name) if key_worker else None,
            "team_name": personal(team.name), "team_phone": personal(tel_link(team.phone)) if team.phone else None,
            "team_hours": personal(team.hours) if team.hours else None,
            "gp_name": personal(profile.gp_practice_name) if profile.gp_practice_name else None}
    if page["gp_name"] is not None:
        page["gp_phone"] = personal(tel_link(profile.gp_practice_phone)) if profile.gp_practice_phone else None
    if plan is not None:
        # The record's own ways of writing a name and an NHS number, applied to the columns.
        page["printed_as"] = personal(f"{PatientProfile.full_name.fget(profile)}, "
                                      f"NHS number {PatientProfile.nhs_number_display.fget(profile)}")
        page["changes"] = None if changes is None else {
            "note": personal(plan.change_note) if plan.change_note else None,
            "lines": [personal(line) for line in changes]}
        page["first_look"] = bool(first_look) and changes is None
        page["first_plan"] = plan.version == 1
        page["view"] = plan_view(plan, mark=personal)
    return page
