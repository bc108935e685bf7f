"""Care plan pages: the nurse's plan, history and editor, and the patient's own plan.

Every page checks ownership first (`patient_for_staff`, `signed_in_patient`) and is audited.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..audit import audit
from ..authz import patient_for_staff, patient_required, refuse, signed_in_patient, staff_required, submitted_hna_for_staff
from ..extensions import db
from ..sessions import carries_the_session_touch, current_user_record
from ..hna.models import HNA
from ..models import PatientProfile
from ..triage import service as triage
from ..triage.models import ItemStatus, Outcome
from ..triage.queue import KIND_LABELS
from ..timeutil import london_today, long_date
from ..versioning import answer_conflict, is_own_retry, shown_version
from ..triage.working_days import LONDON
from ..untrusted import parse_id
from . import bp, patient_view, service
from .forms import MAX_ROWS, fill, plan_form, suggested_review_date, validate_plan
from .models import CarePlan
from .service import ItemInput, PlanChanged


# ---------------------------------------------------------------- template helpers


@bp.app_template_global()
def careplan_when(moment) -> str:
    """'3 March 2027 at 14:05' (London time), for plan versions; dates alone use `long_date`."""
    return f"{long_date(moment)} at {moment.astimezone(LONDON):%H:%M}"


# The plan as the person reads it, plain values for templates/careplan/_view.html (the nurse's
# preview and the phone's offline copy; the person's own page puts theirs in through the memo).
bp.add_app_template_global(patient_view.plan_view, "careplan_plan_view")
# A plan's concerns in the team's words, from the same values (templates/careplan/_items.html).
bp.add_app_template_global(patient_view.concerns_view, "careplan_concerns")


@bp.app_template_global()
def careplan_review_due(plan: CarePlan) -> bool:
    return plan.review_date <= london_today()


# ---------------------------------------------------------------- the nurse's pages


@bp.get("/nurse/patients/<int:patient_id>/care-plan")
@staff_required
def nurse_plan(patient_id: int):
    profile = patient_for_staff(patient_id)
    versions = service.plan_versions(profile)
    history = [
        (plan, service.changes_between(versions[n + 1] if n + 1 < len(versions) else None, plan))
        for n, plan in enumerate(versions)
    ]
    plan = versions[0] if versions and versions[0].is_current else service.current_plan(profile)
    page = render_template("careplan/nurse_plan.html", profile=profile, plan=plan, history=history)
    # Audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again); the page goes out once the audit is stored. Audited last: its
    # INSERT would hold SQLite's write lock while the page renders.
    audit("careplan.view", patient=profile, subject=f"care-plan:{plan.id}" if plan else f"patient:{profile.id}",
          commit=True)
    return page


@bp.get("/nurse/patients/<int:patient_id>/care-plan/versions/<int:version>")
@staff_required
def nurse_version(patient_id: int, version: int):
    profile = patient_for_staff(patient_id)
    plan = service.plan_version(profile, version)
    if plan is None:
        refuse("careplan.access_refused", subject=f"care-plan:patient:{patient_id}:v{version}")
    changes = service.changes_between(service.previous_version(plan), plan)
    page = render_template("careplan/nurse_version.html", profile=profile, plan=plan, changes=changes)
    # Audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again); the page goes out once the audit is stored. Audited last: its
    # INSERT would hold SQLite's write lock while the page renders.
    audit("careplan.view_version", patient=profile, subject=f"care-plan:{plan.id}", version=plan.version,
          commit=True)
    return page


def _hna_for(profile: PatientProfile, value) -> HNA | None:
    """The submitted HNA named in the request, checked to be this patient's, or None."""
    if value in (None, ""):
        return None
    try:
        hna_id = parse_id(value)
    except ValueError:
        refuse("hna.access_refused", subject=f"hna:{str(value)[:40]}")
    hna = submitted_hna_for_staff(hna_id)
    if hna.patient_id != profile.id:
        refuse("hna.access_refused", subject=f"hna:{hna_id}")
    return hna


def _row_concerns(count: int, items: list[ItemInput] | None = None) -> list[tuple[str | None, str | None]]:
    """(concern id, domain) of each row: what its service suggestions depend on."""
    if items is not None:
        return [(i.concern_id, i.domain) for i in items] + [(None, None)] * (count - len(items))
    return [(request.form.get(f"item_{n}_concern_id") or None, request.form.get(f"item_{n}_domain") or None)
            for n in range(count)]


def _form(profile: PatientProfile, count: int, concerns: list[tuple[str | None, str | None]], **kwargs):
    services = service.services_for(profile)
    return plan_form(count, [service.service_options(services, d, c) for c, d in concerns], **kwargs), services


def _render_editor(profile, form, services, hna, current, queue_items=(), ticked=frozenset(), conflict=None,
                   lost_race=False):
    """The editor; after a lost race (`conflict` is the version saved meanwhile, if any) the 409 answer."""
    context = dict(
        profile=profile, form=form, services=services, hna=hna,
        current=current, conflict=conflict, max_rows=MAX_ROWS,
        queue_items=queue_items, ticked=ticked, is_urgent=service.is_urgent, kind_labels=KIND_LABELS,
        conflict_changes=service.changes_between(service.previous_version(conflict), conflict) if conflict else None,
    )
    if lost_race:
        return answer_conflict("careplan/edit.html", **context)
    return render_template("careplan/edit.html", **context)


def _ticked(queue_items) -> set[int]:
    """The queue items the nurse chose to mark as done: only ones this save can answer."""
    chosen = set(request.form.getlist("resolve_item"))
    return {q.id for q in queue_items if str(q.id) in chosen}


@bp.route("/nurse/patients/<int:patient_id>/care-plan/edit", methods=["GET", "POST"])
@staff_required
def edit(patient_id: int):
    """The editor, prefilled from the current plan and (with ?hna_id=) a submitted HNA."""
    profile = patient_for_staff(patient_id)
    if request.method == "POST":
        return _save(profile)
    hna = _hna_for(profile, request.args.get("hna_id"))
    current = service.current_plan(profile)
    items = [ItemInput.from_item(i) for i in current.items] if current else []
    if hna is not None:
        items = service.merge_drafts(items, service.draft_items_from_hna(hna))
    count = max(len(items), 1)
    form, services = _form(profile, count, _row_concerns(count, items), formdata=None)
    review = current.review_date if current and current.review_date > london_today() and hna is None else suggested_review_date()
    fill(form, items, review, current.summary if current else "", current.version if current else 0,
         hna.id if hna else None)
    queue_items = service.open_queue_items(hna, current)
    # Ordinary items are ticked to start with; a red flag only ever by the nurse herself.
    ticked = {q.id for q in queue_items if not service.is_urgent(q)}
    page = _render_editor(profile, form, services, hna, current, queue_items, ticked)
    # Audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again); the page goes out once the audit is stored. Audited last: its
    # INSERT would hold SQLite's write lock while the page renders.
    audit("careplan.edit_open", patient=profile, subject=f"care-plan:{current.id}" if current else f"patient:{profile.id}",
          hna_id=hna.id if hna else None, commit=True)
    return page


def _save(profile: PatientProfile):
    hna = _hna_for(profile, request.form.get("hna_id"))
    current = service.current_plan(profile)
    try:
        count = int(request.form.get("rows") or 1)
    except ValueError:
        count = 1
    count = max(1, min(count, MAX_ROWS))
    adding = "add_row" in request.form and count < MAX_ROWS
    shown = count + 1 if adding else count
    form, services = _form(profile, shown, _row_concerns(shown))
    queue_items = service.open_queue_items(hna, current)
    ticked = _ticked(queue_items)
    if adding:
        # Everything typed comes back, with one more empty concern.
        form.rows.data = str(shown)
        audit("careplan.edit_open", patient=profile, subject=f"patient:{profile.id}", added_row=True)
        db.session.commit()
        return _render_editor(profile, form, services, hna, current, queue_items, ticked)
    items = validate_plan(form)
    if items is None:
        return _render_editor(profile, form, services, hna, current, queue_items, ticked)
    shown = shown_version(form.base_version)
    base_version = -1 if shown is None else shown  # a missing or tampered version matches none
    try:
        plan = service.save_new_version(
            profile, base_version, items, form.review_date.data, form.summary.data,
            form.change_note.data, hna, current_user_record(),
        )
    except PlanChanged as exc:
        latest = exc.current
        if latest is not None and is_own_retry(
            stored_version=latest.version, shown_version=shown, changed_by_id=latest.created_by_id, by_id=current_user.id,
            same_content=lambda: service.same_content(latest, items, form.review_date.data, form.summary.data),
        ):
            flash("Care plan saved.", "success")
            return redirect(url_for("careplan.nurse_plan", patient_id=profile.id))
        audit("careplan.save_conflict", patient=profile, outcome="conflict",
              subject=f"care-plan:{latest.id}" if latest else f"patient:{profile.id}",
              base_version=base_version, current_version=latest.version if latest else 0)
        db.session.commit()
        # Saving again now is a deliberate choice to put this version on top of theirs.
        form.base_version.data = str(latest.version if latest else 0)
        return _render_editor(profile, form, services, hna, latest, service.open_queue_items(hna, latest), ticked,
                              conflict=latest, lost_race=True)
    db.session.flush()
    note = f"Care plan version {plan.version} agreed"
    # Only what the nurse ticked is closed: a red flag stays open until she has spoken to the person.
    for queued in queue_items:
        if queued.id in ticked:
            triage.resolve_by_source(queued.source_key, Outcome.CARE_PLAN_AGREED, note, by=current_user)
    audit("careplan.create_version", patient=profile, subject=f"care-plan:{plan.id}", version=plan.version,
          hna_id=hna.id if hna else None, concerns=len(plan.items), review_date=plan.review_date.isoformat(),
          queue_items_done=sorted(q.id for q in queue_items if q.status is ItemStatus.RESOLVED),
          queue_items_open=sorted(q.id for q in queue_items if q.status is ItemStatus.OPEN))
    db.session.commit()
    flash(_saved_message(profile, queue_items), "success")
    return redirect(url_for("careplan.nurse_plan", patient_id=profile.id))


def _saved_message(profile: PatientProfile, queue_items) -> str:
    """What happened, plainly: the plan, then each queue item it could have answered."""
    words = ["Care plan saved."]
    for queued in queue_items:
        which = "The queue item" if len(queue_items) == 1 else f"The ‘{KIND_LABELS[queued.kind]}’ queue item"
        done = queued.status is ItemStatus.RESOLVED
        words.append(f"{which} {'is marked as done' if done else 'is still open'}.")
    words.append(f"{profile.given_name} can see the plan when they sign in.")
    return " ".join(words)


# ---------------------------------------------------------------- the patient's page


@bp.get("/my-care/plan")
@patient_required
@carries_the_session_touch
def patient_plan():
    # The person as read with their session: the page reads their columns, team and key worker,
    # and their record made tracked (`current_patient`) was a thirtieth of the page's Python calls.
    profile = signed_in_patient()
    plan, seen = service.plan_for_patient_page(profile)
    changes = first_look = None
    if plan is not None:
        # Every change since the person last looked: from the newest version they have opened.
        first_look = seen is None
        changes = service.changes_for_patient(service.changes_between(seen, plan)) if seen else None
    page = render_template("careplan/patient_plan.html",
                           plan_page=patient_view.plan_page(profile, plan, changes, first_look))
    # Marked seen, audited and committed (with the session's due activity) after rendering: a
    # commit expires every loaded row, which the page would read again, and SQLite's write lock
    # is held from the first write to the commit only.
    if plan is not None:
        service.mark_seen(plan)
    audit("careplan.patient_view", patient=profile.id, subject=f"care-plan:{plan.id}" if plan else f"patient:{profile.id}",
          commit=True)
    return page
