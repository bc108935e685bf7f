"""Follow-up for nurses and patients: the plan agreed at the Treatment Review, the surveillance
schedule, and End of Treatment Summaries (versioned; a correction is a new version).

Every view and change is audited. Two people editing at once is detected and said plainly
(409), never silently overwritten, and what the second person typed stays on the page.
"""
from __future__ import annotations

import re
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..audit import audit
from ..authz import current_patient, patient_for_staff, patient_required, refuse, signed_in_patient, staff_required
from ..extensions import db
from ..forms import tel_link
from ..sessions import carries_the_session_touch, current_user_record
from ..idempotency import Once, add_once, new_form_token
from ..models import PatientProfile
from ..pathways import PATHWAYS
from ..timeutil import long_date, london_today
from ..versioning import Switch, answer_conflict, conflict_message, is_own_retry, last_changed_by, set_active, shown_version
from ..untrusted import parse_id
from . import bp, patient_page
from .forms import GP_COPY_SENT_PHRASES, INTENT_LABELS, GpCopyForm, PlanForm, SummaryForm, SurveillanceTestForm
from .models import FOLLOW_UP_TYPE_LABELS, EndOfTreatmentSummary, FollowUpPlan, FollowUpType, SurveillanceTest
from .service import (TEST_CHANGES, content_for, plan_and_tests_of, plan_of, stored_profile_version, team_contact_lines,
                      test_of, tests_of)
from .schedule import interval_text, suggested_next_due, suggested_open_access_until
from .summaries import (SentBeforeWritten, SummaryChanged, current_summary, record_gp_copy, same_content, save_new_version,
                        summary_version, summary_versions)

# What changes a surveillance test (the audit actions), for naming who changed it last.


# ---------------------------------------------------------------- template helpers


@bp.app_template_filter("iso_date")
def iso_date(value: date | str | None) -> date | None:
    """A date stored as ISO text (treatment rows) as a date, for the shared `long_date` filter."""
    return _date_or_none(value) if isinstance(value, str) else value


@bp.app_template_filter("followup_lines")
def followup_lines(text: str | None) -> list[str]:
    """Free text written one item a line, as a list (for bullet lists)."""
    return [line.strip().lstrip("-•* ").strip() for line in (text or "").splitlines() if line.strip().lstrip("-•* ").strip()]


# A UK phone number as people write it: 01632 960 123, 020 7946 0123, (01632) 960123,
# 07700-900123, +44 20 7946 0123. What matches is then cut back, a group at a time, to 10 or 11
# digits (12 with +44), so "020 7946 0123 9am to 5pm" links only the number, and dates, other
# long numbers and short numbers stay as text.
UK_PHONE = re.compile(r"(?<![\w+])(?:\+44[ \t]?|\(?0)\d[\d \t()-]{7,20}\d(?!\w)")
SEPARATOR = re.compile(r"[ \t()-]+")


def _phone_in(candidate: str) -> str | None:
    """The longest start of `candidate`, ending at a group of digits, that is a whole UK number."""
    while True:
        digits = "".join(ch for ch in candidate if ch.isdigit())
        if candidate.startswith("+44") and len(digits) == 12 or not candidate.startswith("+") and len(digits) in (10, 11):
            return candidate
        cuts = [m.start() for m in SEPARATOR.finditer(candidate)]
        if not cuts or len(digits) < 10:
            return None
        candidate = candidate[:cuts[-1]]


@bp.app_template_filter("followup_phone_links")
def phone_links(text: str | None) -> Markup:
    """Free text with each UK phone number in it made a tel: link (through the shared tel_link),
    as Markup built from escaped pieces: the text itself is never trusted."""
    text = text or ""
    pieces, last = [], 0
    for match in UK_PHONE.finditer(text):
        number = _phone_in(match.group(0))
        if number is None:
            continue
        pieces += [escape(text[last:match.start()]), tel_link(number)]
        last = match.start() + len(number)
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


# The same for every page: template globals, not a context processor run on every render of
# every page (issue 12).
bp.add_app_template_global({t.value: label for t, label in FOLLOW_UP_TYPE_LABELS.items()}, "follow_up_type_labels")
bp.add_app_template_global(INTENT_LABELS, "intent_labels")
bp.add_app_template_global(interval_text)


# ---------------------------------------------------------------- nurse: the follow-up plan


def _plan_form(profile: PatientProfile, plan: FollowUpPlan | None, formdata=None) -> PlanForm:
    if formdata is not None:
        return PlanForm(formdata=formdata, prefix="plan")
    data = {"tumour_pathway": profile.tumour_pathway, "profile_version": profile.version, "plan_version": 0}
    if plan is not None:
        data.update(
            follow_up_type=plan.follow_up_type.value, treatment_review_date=plan.treatment_review_date,
            open_access_until=plan.open_access_until, plan_version=plan.version,
        )
    return PlanForm(formdata=None, data=data, prefix="plan")


def _test_form(profile: PatientProfile, plan: FollowUpPlan | None, formdata=None) -> SurveillanceTestForm:
    if formdata is not None:
        return SurveillanceTestForm(formdata=formdata, prefix="test")
    data: dict = {"add_token": new_form_token()}
    test_id = request.args.get("test", type=parse_id)
    if test_id is not None:
        test = _own_test(profile, test_id)
        data = {
            "test_id": test.id, "test_version": test.version, "name": test.name,
            "interval_months": test.interval_months, "next_due": test.next_due,
            "arranged_by": test.arranged_by, "notes": test.notes,
        }
    form = SurveillanceTestForm(formdata=None, data=data, prefix="test")
    suggestion = request.args.get("suggest", type=parse_id)
    if test_id is None and suggestion is not None:
        _use_suggestion(profile, plan, form, suggestion)
    return form


def _use_suggestion(profile: PatientProfile, plan: FollowUpPlan | None, form: SurveillanceTestForm, index: int) -> None:
    """Fill the test's name, how often, who arranges it and a first due date from the pathway's
    suggestion; anything else typed (notes) stays as it is."""
    content = content_for(profile)
    if content is None or not 0 <= index < len(content.suggested_tests):
        return
    chosen = content.suggested_tests[index]
    due = suggested_next_due(chosen.interval_months, london_today(), plan.treatment_review_date if plan else None)
    form.name.data = chosen.name
    form.interval_months.data = str(chosen.interval_months)
    form.arranged_by.data = chosen.arranged_by
    form.next_due.data = due
    form.next_due.raw_parts = {"day": str(due.day), "month": str(due.month), "year": str(due.year)}
    form.overdue_confirmed.data = False


def _own_test(profile: PatientProfile, test_id: int) -> SurveillanceTest:
    test = test_of(profile, test_id)
    if test is None:
        refuse("followup.access_refused", patient=profile, subject=f"surveillance_test:{test_id}")
    return test


def _follow_up_page(profile, plan, plan_form, conflict=None, form=None):
    """The plan and the schedule (409 with `conflict`). Adding or changing a test has its own page
    (`_test_page`), so nothing typed on one form is lost by using the other."""
    context = dict(
        profile=profile, plan=plan, plan_form=plan_form,
        form=form, conflict=conflict, tests=tests_of(profile), stopped=tests_of(profile, active=False),
        today=london_today(), open_access_range=suggested_open_access_until(plan.treatment_review_date if plan else None),
    )
    if conflict:
        return answer_conflict("followup/nurse_follow_up.html", **context)
    return render_template("followup/nurse_follow_up.html", **context)


def _test_page(profile, test_form, conflict=None, form=None):
    """Adding or changing one test (409 with `conflict`)."""
    editing = test_of(profile, test_form.test_id.data) if test_form.test_id.data else None
    context = dict(profile=profile, test_form=test_form, form=form, conflict=conflict,
                   content=content_for(profile), editing=editing, today=london_today())
    if conflict:
        return answer_conflict("followup/nurse_test.html", **context)
    return render_template("followup/nurse_test.html", **context)


def _schedule_url(profile: PatientProfile) -> str:
    return url_for("followup.nurse_follow_up", patient_id=profile.id, _anchor="schedule")


@bp.route("/nurse/patients/<int:patient_id>/follow-up", methods=["GET", "POST"])
@staff_required
def nurse_follow_up(patient_id: int):
    profile = patient_for_staff(patient_id)
    plan = plan_of(profile)
    if request.method == "GET":
        if request.args.get("test") or request.args.get("suggest"):  # old links: the test now has its own page
            wanted = {key: request.args.get(key, type=parse_id) for key in ("test", "suggest")}
            return redirect(url_for("followup.nurse_test", patient_id=profile.id,
                                    **{key: value for key, value in wanted.items() if value is not None}))
        plan_form = _plan_form(profile, plan)
        audit("followup.view", patient=profile)
        db.session.commit()
        return _follow_up_page(profile, plan, plan_form)

    action = request.form.get("action")
    if action == "plan":
        return _save_plan(profile, plan)
    if action == "test":
        return _save_test(profile, plan)
    if action in ("stop_test", "restart_test"):
        return _set_test_active(profile, action == "restart_test")
    flash("Choose what you want to save.", "info")
    return redirect(url_for("followup.nurse_follow_up", patient_id=profile.id))


@bp.route("/nurse/patients/<int:patient_id>/follow-up/test", methods=["GET", "POST"])
@staff_required
def nurse_test(patient_id: int):
    """Add a test to the schedule (`?suggest=N` starts from a pathway suggestion) or change one
    (`?test=ID`). A suggestion chosen on this page submits the form, so what was typed stays."""
    profile = patient_for_staff(patient_id)
    plan = plan_of(profile)
    if request.method == "GET":
        form = _test_form(profile, plan)
        audit("followup.view", patient=profile)
        db.session.commit()
        return _test_page(profile, form)
    suggestion = request.form.get("use_suggestion", type=parse_id)
    if suggestion is not None:
        # Nothing is checked or saved yet: the suggestion fills its fields, the rest stays as typed.
        form = _test_form(profile, plan, request.form)
        if form.test_id.data:
            _own_test(profile, form.test_id.data)
        _use_suggestion(profile, plan, form, suggestion)
        return _test_page(profile, form)
    return _save_test(profile, plan)


def _save_plan(profile: PatientProfile, plan: FollowUpPlan | None):
    form = _plan_form(profile, plan, request.form)
    if not form.validate():
        return _follow_up_page(profile, plan, form, form=form)

    def conflict(message: str):
        db.session.rollback()
        fresh_plan = plan_of(profile)
        # Keep what they typed, but against the versions now stored, so saving again is a choice.
        form.plan_version.data = fresh_plan.version if fresh_plan else 0
        form.profile_version.data = stored_profile_version(profile)
        return _follow_up_page(profile, fresh_plan, form, conflict=message)

    shown = shown_version(form.plan_version) or 0
    if shown != (plan.version if plan else 0):
        if plan is not None and is_own_retry(
            stored_version=plan.version, shown_version=shown, changed_by_id=plan.updated_by_id, by_id=current_user.id,
            same_content=lambda: (
                plan.follow_up_type.value, plan.treatment_review_date, plan.open_access_until, profile.tumour_pathway,
            ) == (form.follow_up_type.data, form.treatment_review_date.data, form.open_access_until.data, form.tumour_pathway.data),
        ):
            # Her own save, sent twice (a double click or a retry): it is already stored.
            flash("Follow-up plan saved.", "success")
            return redirect(url_for("followup.nurse_follow_up", patient_id=profile.id))
        return conflict(conflict_message(plan.updated_by if plan else None, "the follow-up plan",
                                         "Check the plan below, then save again if your changes are still right."))
    pathway_changed = form.tumour_pathway.data != profile.tumour_pathway
    if pathway_changed and shown_version(form.profile_version) != profile.version:
        return conflict("Someone else changed this patient's details (including the tumour pathway) while you "
                        "were editing, so your changes have not been saved. The pathway now shown is the one "
                        f"stored: {PATHWAYS.get(profile.tumour_pathway, profile.tumour_pathway)}. Save again if your changes are still right.")

    if plan is None:
        plan = FollowUpPlan(patient_id=profile.id)
        db.session.add(plan)
    old = {"follow_up_type": plan.follow_up_type.value if plan.follow_up_type else None,
           "treatment_review_date": _iso(plan.treatment_review_date), "open_access_until": _iso(plan.open_access_until)}
    plan.follow_up_type = FollowUpType(form.follow_up_type.data)
    plan.treatment_review_date = form.treatment_review_date.data
    plan.open_access_until = form.open_access_until.data
    plan.updated_by_id = current_user.id
    new = {"follow_up_type": plan.follow_up_type.value, "treatment_review_date": _iso(plan.treatment_review_date),
           "open_access_until": _iso(plan.open_access_until)}
    if pathway_changed:
        old_pathway = profile.tumour_pathway
        profile.tumour_pathway = form.tumour_pathway.data
        audit("patient.pathway_change", patient=profile, old=old_pathway, new=profile.tumour_pathway)
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        return conflict("Someone else saved this patient's follow-up plan or details at the same moment, so "
                        "your changes have not been saved. Check what is shown, then save again.")
    changed = sorted(key for key in new if new[key] != old[key])  # names only, like every audit detail
    audit("followup.plan_save", patient=profile, subject=f"follow_up_plan:{plan.id}", changed=changed)
    db.session.commit()
    flash("Follow-up plan saved." + (" Tumour pathway changed to " + PATHWAYS[profile.tumour_pathway] + "." if pathway_changed else ""), "success")
    return redirect(url_for("followup.nurse_follow_up", patient_id=profile.id))


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _test_values(form: SurveillanceTestForm) -> dict:
    return {
        "name": form.name.data.strip(), "interval_months": int(form.interval_months.data),
        "next_due": form.next_due.data, "arranged_by": (form.arranged_by.data or "").strip() or None,
        "notes": (form.notes.data or "").strip() or None,
    }


def _save_test(profile: PatientProfile, plan: FollowUpPlan | None):
    form = _test_form(profile, plan, request.form)
    test = _own_test(profile, form.test_id.data) if form.test_id.data else None
    if not form.validate():
        return _test_page(profile, form, form=form)
    values = _test_values(form)
    if test is None:
        return _add_test(profile, form, values)
    shown = shown_version(form.test_version)
    if shown != test.version:
        changed_by = last_changed_by(f"surveillance_test:{test.id}", TEST_CHANGES)
        if is_own_retry(stored_version=test.version, shown_version=shown, changed_by_id=changed_by.id if changed_by else None,
                        by_id=current_user.id, same_content=lambda: all(getattr(test, k) == v for k, v in values.items())):
            # This same change, sent twice (a double click or a retry): it is already stored.
            flash(f"{test.name} updated in the schedule.", "success")
            return redirect(_schedule_url(profile))
        form.test_version.data = test.version
        return _test_page(profile, form, conflict=conflict_message(
            changed_by, f"the {test.name} test",
            "The schedule below shows what is stored now. Save again if your changes are still right."))
    changed = sorted(name for name, value in values.items() if getattr(test, name) != value)
    for name, value in values.items():
        setattr(test, name, value)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        return _test_page(profile, form, conflict=conflict_message(
            None, "this test", "Save again if your changes are still right.", did="changed"))
    # Ids and the names of what changed only: the values are free text typed about a patient.
    audit("followup.test_update", patient=profile, subject=f"surveillance_test:{test.id}", changed=changed,
          **_overdue_detail(form))
    db.session.commit()
    flash(f"{test.name} updated in the schedule.", "success")
    return redirect(_schedule_url(profile))


def _overdue_detail(form: SurveillanceTestForm) -> dict:
    """An audit note that a past due date was kept on purpose, the patient told (no values)."""
    return {"overdue_confirmed": True} if form.is_overdue() else {}


def _add_test(profile, form, values):
    """Add a test once per rendered "Add a test" form (its one-time token, through the one
    idempotency mechanism), so a double click or a retry of the same add is told it is saved,
    even when both arrive at once."""
    added: list[SurveillanceTest] = []

    def make() -> dict:
        test = SurveillanceTest(patient_id=profile.id, active=True, **values)
        db.session.add(test)
        db.session.flush()
        added.append(test)
        return {"surveillance_test_id": test.id}

    once = add_once(current_user.id, "followup.test_add", form.add_token.data, {"patient": profile.id, **values}, make)
    if once.status is Once.OUT_OF_DATE:
        return _add_again(profile, form, "This page was out of date, so the test has not been "
                          "added yet. Check it below, then select Add test again.")
    test = added[0] if added else (
        test_of(profile, once.made["surveillance_test_id"]) if once.status is Once.ALREADY else None)
    if test is None:
        # The same form used again for a different test (for example after going back a page).
        return _add_again(profile, form, "This form was already used to add a test, so this one "
                          "has not been added yet. Check the schedule, then select Add test again if you want to add it as well.")
    if once.status is Once.MADE:
        audit("followup.test_add", patient=profile, subject=f"surveillance_test:{test.id}",
              fields=sorted(name for name, value in values.items() if value is not None), **_overdue_detail(form))
        db.session.commit()
    flash(f"{test.name} added to the schedule.", "success")
    return redirect(_schedule_url(profile))


def _add_again(profile, form, message: str):
    form.add_token.data = new_form_token()  # adding it now is a deliberate, fresh choice
    return _test_page(profile, form, conflict=message)


def _set_test_active(profile: PatientProfile, active: bool):
    test_id = request.form.get("test_id", type=parse_id)
    if test_id is None:
        flash("Choose a test.", "info")
        return redirect(url_for("followup.nurse_follow_up", patient_id=profile.id))
    test = _own_test(profile, test_id)
    outcome = set_active(test, active, request.form.get("test_version", type=parse_id), by_id=current_user.id,
                         last_changed_by_now=lambda: last_changed_by(f"surveillance_test:{test.id}", TEST_CHANGES,
                                                                     patient_id=profile.id))
    if outcome is Switch.STALE:
        flash(f"Someone else changed the {test.name} test a moment ago, so nothing was changed. Check the schedule and try again.", "info")
        return redirect(url_for("followup.nurse_follow_up", patient_id=profile.id)), 303
    if outcome is Switch.DONE:
        audit("followup.test_restart" if active else "followup.test_stop", patient=profile, subject=f"surveillance_test:{test.id}")
        db.session.commit()
    flash(f"{test.name} {'restarted' if active else 'stopped'}.", "success")
    return redirect(url_for("followup.nurse_follow_up", patient_id=profile.id))


# ---------------------------------------------------------------- patient: follow-up


@bp.get("/my-care/follow-up")
@patient_required
@carries_the_session_touch
def patient_follow_up():
    # The person as read with their session: the page only reads their pathway and team, and
    # their record made tracked (`current_patient`) was a thirtieth of the page's Python calls.
    patient = signed_in_patient()
    plan, tests = plan_and_tests_of(patient)
    page = render_template("followup/patient_follow_up.html", follow_up_page=patient_page.follow_up_page(
        plan, tests, content_for(patient), patient.team, london_today()))
    # Audited and committed (with the session's due activity) after rendering, as the plan's page.
    audit("followup.view", patient=patient.id, commit=True)
    return page


# ---------------------------------------------------------------- End of Treatment Summaries


@bp.get("/nurse/patients/<int:patient_id>/treatment-summary")
@staff_required
def nurse_summary(patient_id: int):
    profile = patient_for_staff(patient_id)
    versions = summary_versions(profile)
    wanted = request.args.get("version", type=parse_id)
    shown = next((v for v in versions if v.version == wanted), None) if wanted else next((v for v in versions if v.is_current), None)
    if wanted and shown is None:
        refuse("eots.access_refused", patient=profile, subject=f"eots:patient:{profile.id}:v{wanted}")
    audit("eots.view", patient=profile, subject=f"eots:{shown.id}" if shown else None, version=shown.version if shown else None)
    db.session.commit()
    gp_form = GpCopyForm(formdata=None, data={"summary_version": shown.version, "sent_on": london_today()}) if shown else None
    return _summary_page(profile, shown, versions, gp_form)


def _summary_page(profile, summary, versions, gp_form, form=None):
    return render_template("followup/nurse_summary.html", profile=profile, summary=summary, versions=versions,
                           gp_form=gp_form, gp_copy_sent=GP_COPY_SENT_PHRASES, form=form)


@bp.post("/nurse/patients/<int:patient_id>/treatment-summary/gp-copy")
@staff_required
def record_summary_gp_copy(patient_id: int):
    """The nurse records that the team sent this version to the GP practice: when and how."""
    profile = patient_for_staff(patient_id)
    form = GpCopyForm(formdata=request.form)
    wanted = shown_version(form.summary_version)
    summary = summary_version(profile, wanted) if wanted is not None else current_summary(profile)
    if wanted is not None and summary is None:  # a version this patient does not have
        refuse("eots.access_refused", patient=profile, subject=f"eots:patient:{profile.id}:v{wanted}")
    if summary is None:
        flash(f"There is no End of Treatment Summary for {profile.given_name} to send yet.", "info")
        return redirect(url_for("followup.nurse_summary", patient_id=profile.id))
    if form.validate():
        try:
            record_gp_copy(summary, form.sent_on.data, form.method.data, current_user_record())
        except SentBeforeWritten:
            form.sent_on.errors.append(f"Date sent must be on or after the day version {summary.version} was written, "
                                       f"{long_date(summary.created_at)}")
        else:
            # The date and how, never anything about the patient's care.
            audit("eots.gp_copy_recorded", patient=profile, subject=f"eots:{summary.id}", version=summary.version,
                  method=form.method.data, sent_on=form.sent_on.data.isoformat())
            db.session.commit()
            flash(f"Recorded: version {summary.version} was sent to the GP practice on {long_date(summary.gp_copy_sent_on)}. "
                  f"{profile.given_name} can see this in the app.", "success")
            return redirect(url_for("followup.nurse_summary", patient_id=profile.id,
                                    **({} if summary.is_current else {"version": summary.version})))
    # What she typed stays, beside the version she was looking at.
    return _summary_page(profile, summary, summary_versions(profile), form, form=form)


def _summary_data(profile: PatientProfile, current: EndOfTreatmentSummary | None) -> dict:
    if current is not None:
        return {
            "base_version": current.version, "diagnosis": current.diagnosis, "diagnosis_date": current.diagnosis_date,
            "treatments": [
                {"treatment": t.get("treatment"), "intent": t.get("intent"),
                 "started": _date_or_none(t.get("started")), "ended": _date_or_none(t.get("ended"))}
                for t in current.treatments or []
            ] or [{}],
            **{name: getattr(current, name) for name in (
                "side_effects", "late_effects", "red_flags_contact_team", "red_flags_emergency",
                "follow_up_plan", "contacts", "gp_actions")},
        }
    content = content_for(profile)
    data: dict = {"base_version": 0, "treatments": [{}]}
    if content is not None:
        data["red_flags_contact_team"] = "\n".join(s.text for s in content.red_flags)
        data["red_flags_emergency"] = "\n".join(s.text for s in content.emergency)
    plan = plan_of(profile)
    tests = tests_of(profile)
    if plan is not None or tests:
        lines = []
        if plan is not None:
            lines.append(FOLLOW_UP_TYPE_LABELS[plan.follow_up_type] + (
                f", with open access to the team until {long_date(plan.open_access_until)}" if plan.open_access_until else ""))
        today = london_today()
        lines += [f"{t.name}: {interval_text(t.interval_months).lower()}, next due {long_date(t.next_due)}"
                  + (" (overdue)" if t.next_due < today else "")
                  + (f" ({t.arranged_by})" if t.arranged_by else "") for t in tests]
        data["follow_up_plan"] = "\n".join(lines)
    data["contacts"] = "\n".join(team_contact_lines(profile))
    return data


def _date_or_none(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@bp.route("/nurse/patients/<int:patient_id>/treatment-summary/edit", methods=["GET", "POST"])
@staff_required
def edit_summary(patient_id: int):
    profile = patient_for_staff(patient_id)
    current = current_summary(profile)
    if request.method == "GET":
        form = SummaryForm(formdata=None, data=_summary_data(profile, current))
        audit("eots.edit_view", patient=profile, subject=f"eots:{current.id}" if current else None)
        db.session.commit()
        return _edit_page(profile, form, current)

    form = SummaryForm(formdata=request.form)
    if request.form.get("action") == "add_treatment":
        # Another row, keeping everything typed; nothing is checked or saved yet.
        if len(form.treatments) < form.treatments.max_entries:
            form.treatments.append_entry()
        return _edit_page(profile, form, current, focus=f"treatments-{len(form.treatments) - 1}-treatment")
    if not form.validate():
        return _edit_page(profile, form, current)
    values = _summary_values(form)
    try:
        summary = save_new_version(profile, shown_version(form.base_version) or 0, values, current_user_record())
    except SummaryChanged as exc:
        return _summary_conflict(profile, form, exc.current, values)
    audit("eots.create", patient=profile, subject=f"eots:{summary.id}", version=summary.version)
    db.session.commit()
    flash(f"End of Treatment Summary saved (version {summary.version}). {profile.given_name} can now see it in the app.", "success")
    return redirect(url_for("followup.nurse_summary", patient_id=profile.id))


SUMMARY_TEXT_FIELDS = ("side_effects", "late_effects", "red_flags_contact_team", "red_flags_emergency",
                       "follow_up_plan", "contacts", "gp_actions")


def _summary_values(form: SummaryForm) -> dict:
    """What a save stores, as stored (also what an identical retry is compared with)."""
    return {
        "diagnosis": form.diagnosis.data.strip(), "diagnosis_date": form.diagnosis_date.data,
        "treatments": form.treatment_rows(),
        **{name: (getattr(form, name).data or "").strip() or None for name in SUMMARY_TEXT_FIELDS},
    }


def _summary_conflict(profile: PatientProfile, form: SummaryForm, current: EndOfTreatmentSummary | None, values: dict):
    if current is not None and is_own_retry(
        stored_version=current.version, shown_version=shown_version(form.base_version) or 0,
        changed_by_id=current.created_by_id, by_id=current_user.id, same_content=lambda: same_content(current, values),
    ):
        # The same save, sent twice (a double click or a retry): it is already stored.
        flash(f"End of Treatment Summary saved (version {current.version}). {profile.given_name} can now see it in the app.", "success")
        return redirect(url_for("followup.nurse_summary", patient_id=profile.id))
    # Their typed text stays; saving again now would knowingly make a newer version.
    form.base_version.data = current.version if current else 0
    message = conflict_message(
        current.created_by if current else None, f"version {current.version if current else ''} of this summary",
        "Read the newest version (it opens in a new tab), then save again if your version should replace it.",
        did="saved")
    return answer_conflict("followup/edit_summary.html", **_edit_context(profile, form, current, conflict=message))


def _edit_context(profile, form, current, conflict=None, focus=None) -> dict:
    return dict(profile=profile, form=form, current=current, conflict=conflict, focus=focus,
                intent_choices=list(INTENT_LABELS.items()))


def _edit_page(profile, form, current, focus=None):
    return render_template("followup/edit_summary.html", **_edit_context(profile, form, current, focus=focus))


@bp.get("/my-care/treatment-summary")
@patient_required
def patient_summary():
    profile = current_patient()
    summary = current_summary(profile)
    audit("eots.view", patient=profile, subject=f"eots:{summary.id}" if summary else None)
    db.session.commit()
    return render_template("followup/patient_summary.html", profile=profile, summary=summary)
