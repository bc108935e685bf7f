"""The person's symptom log (on a phone): log a symptom, read what to do, correct or remove it;
and the rules kept on the phone for when there is no connection.

Every page is the signed-in patient's own (`current_patient`; someone else's entry is 404,
audited) and shows the urgent-help partial. The instruction to call after an emergency is
never held back: not by a rate limit, nor by a form token that was already used.
"""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..audit import audit
from ..authz import current_patient, patient_for_staff, patient_required, refuse, signed_in_patient, staff_required
from ..extensions import db
from ..errors import error_body
from ..forms import formdata_from_json, outbox_owner
from ..idempotency import Once, add_once, idempotent, new_form_token
from ..main.urgent_line import urgent_line_of
from ..timeutil import london_today, utcnow
from ..versioning import shown_version
from . import bp, rules, service
from .forms import SymptomForm, check_symptom
from .rules import Level

# A new-symptom form acts once, posted by its page or sent by the outbox (`add_once`'s scope).
LOG_ONCE = "symptoms.log"


def _form(profile, **kwargs) -> SymptomForm:
    form = SymptomForm(**kwargs)
    form.set_choices(service.choices(profile))
    return form


def _own(profile, entry_id: int):
    entry = service.own_entry(profile, entry_id)
    if entry is None:
        refuse("symptoms.access_refused", patient=profile, subject=f"symptom-entry:{entry_id}")
    return entry


def _emergency_of(profile, form: SymptomForm) -> dict | None:
    """The emergency instruction for a chosen emergency symptom, shown even when the entry was
    not saved (the page was out of date): calling must never wait for the form."""
    chosen = form.symptom.data
    for choice in rules.symptom_choices(service.pathway_of(profile)):
        if choice.id == chosen and choice.level is Level.EMERGENCY:
            return {"symptoms": [choice.text], "advice": rules.rules_content(service.pathway_of(profile)).emergency_advice,
                    "seen": None}
    return None


@bp.get("/my-care/symptoms")
@patient_required
def history():
    profile = current_patient()
    entries = service.history(profile)
    page = render_template("symptoms/history.html", profile=profile, entries=entries)
    # Audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again); the page goes out once the audit is stored. Audited last: its
    # INSERT would hold SQLite's write lock while the page renders.
    audit("symptoms.view", patient=profile, subject=f"patient:{profile.id}", commit=True)
    return page


@bp.route("/my-care/symptoms/new", methods=["GET", "POST"])
@patient_required
def new():
    profile = current_patient()
    if request.method != "POST":
        form = _form(profile, formdata=None)
        form.form_token.data = new_form_token()
        return render_template("symptoms/form.html", form=form, entry=None)
    form = _form(profile)
    if not form.validate():
        return render_template("symptoms/form.html", form=form, entry=None, emergency=_emergency_of(profile, form))
    details = form.details()
    made = []

    def make() -> dict:
        entry = service.log_symptom(profile, details)
        made.append(entry)
        return {"symptom_entry_id": entry.id}

    content = {"patient": profile.id, **details.__dict__}
    once = add_once(current_user.id, LOG_ONCE, form.form_token.data, content, make)
    if once.status in (Once.OUT_OF_DATE, Once.TOKEN_USED):
        form.form_token.data = new_form_token()
        message = ("This page was out of date, so your symptom has not been sent yet. Check it below, then "
                   "select Send again." if once.status is Once.OUT_OF_DATE else
                   "This form was already used to send a symptom, so this one has not been sent yet. Check it "
                   "below, then select Send again if you want to send it as well.")
        return render_template("symptoms/form.html", form=form, entry=None, conflict=message,
                               emergency=_emergency_of(profile, form))
    entry_id = once.made["symptom_entry_id"]
    if once.status is Once.MADE:
        entry = made[0]
        audit("symptoms.log", patient=profile, subject=f"symptom-entry:{entry.id}", level=entry.level,
              rule=entry.rule, rules_version=entry.rules_version, queue_item=entry.queue_item_id)
        db.session.commit()
    return redirect(url_for("symptoms.logged", entry_id=entry_id))


@bp.post("/my-care/symptoms/api/log")
@patient_required
@idempotent
def api_log():
    """A symptom sent by the offline outbox (static/js/symptoms.js) with an Idempotency-Key, so a
    retry never logs it twice. 201 with where to read what to do; 422 with the form's errors
    (the page then posts the form itself, to show them with what was typed)."""
    # Their record, pathway and team as read with the session: no tracked record is made for it.
    profile = service.sender(signed_in_patient())
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body:
        return error_body("bad_request", "Send the symptom form's fields, as JSON."), 400
    # The form's own rules on the form's field names, with no form built (forms.check_symptom);
    # the CSRF token came in the X-CSRFToken header, checked for every post.
    typed = formdata_from_json(body)
    checked = check_symptom(typed, rules.reportable_ids(service.pathway_of(profile)), london_today())
    if checked.errors:
        return error_body("invalid", "Check the symptom: some answers need changing.", errors=checked.errors), 422
    made = []

    def make() -> dict:
        made.append(service.log_symptom(profile, checked.details))
        return {"symptom_entry_id": made[0].id}

    # The page's form token came with its fields: the rendered form acts once whichever way it
    # is sent (add_once, as `new` does), so sending it again after the back button, or posting
    # the page after a JSON answer, finds what it made. The Idempotency-Key only knows this
    # request's retries.
    once = add_once(current_user.id, LOG_ONCE, typed.get("form_token"),
                    {"patient": profile.id, **checked.details.__dict__}, make)
    if once.status is Once.TOKEN_USED:
        # Refused, so the outbox posts the page's form, which says so with what was typed (and
        # any emergency's instruction to call).
        return error_body("form_already_used", "This form was already used to send a symptom, so this one "
                                               "has not been sent yet."), 409
    if once.status is Once.ALREADY:
        # This form, as it is, was logged a moment ago (sent again, or its page's post or another
        # tab's send claimed its token first). Named by what add_once stored for the one that
        # claimed it: nothing was made here (`made` is empty).
        entry_id = once.made["symptom_entry_id"]
        return {"entry_id": entry_id, "level": service.entry_to_advise_on(profile, entry_id).level,
                "next_url": url_for("symptoms.logged", entry_id=entry_id)}, 201
    if once.status is Once.OUT_OF_DATE:
        make()  # no usable form token (kept on a phone before tokens): the Idempotency-Key alone
    entry = made[0]  # Once.MADE, or made just above
    audit("symptoms.log", patient=profile.id, subject=f"symptom-entry:{entry.id}", level=entry.level,
          rule=entry.rule, rules_version=entry.rules_version, queue_item=entry.queue_item_id, via="outbox")
    return {"entry_id": entry.id, "level": entry.level,
            "next_url": url_for("symptoms.logged", entry_id=entry.id)}, 201


@bp.get("/my-care/symptoms/<int:entry_id>")
@patient_required
def logged(entry_id: int):
    """What to do now about an entry: call now, contact the team today (or when they will see
    it), or keep an eye on it."""
    profile = current_patient()
    entry = service.entry_to_advise_on(profile, entry_id)
    if entry is None:
        refuse("symptoms.access_refused", patient=profile, subject=f"symptom-entry:{entry_id}")
    level = Level(entry.level)
    outcome = service.outcome_for(profile, level, entry.updated_at or entry.logged_at)
    emergency = ({"symptoms": [entry.symptom_text], "advice": outcome.advice, "seen": None}
                 if level is Level.EMERGENCY else None)
    page = render_template("symptoms/logged.html", profile=profile, entry=entry, outcome=outcome,
                           emergency=emergency, Level=Level)
    # Audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again); the page goes out once the audit is stored. Audited last: its
    # INSERT would hold SQLite's write lock while the page renders.
    audit("symptoms.view_entry", patient=profile, subject=f"symptom-entry:{entry.id}", commit=True)
    return page


@bp.route("/my-care/symptoms/<int:entry_id>/edit", methods=["GET", "POST"])
@patient_required
def edit(entry_id: int):
    profile = current_patient()
    entry = _own(profile, entry_id)
    if request.method != "POST":
        form = _form(profile, formdata=None)
        form.fill_from(entry)
        return render_template("symptoms/form.html", form=form, entry=entry)
    form = _form(profile)
    if not form.validate():
        return render_template("symptoms/form.html", form=form, entry=entry, emergency=_emergency_of(profile, form))
    details = form.details()
    shown = shown_version(form.version)
    if service.same_details(entry, details):
        # Nothing changed, or this very correction sent again: nothing to save.
        return redirect(url_for("symptoms.logged", entry_id=entry.id))
    try:
        service.correct(profile, entry, shown, details, utcnow())
    except service.EntryChanged:
        db.session.rollback()
        audit("symptoms.correct_conflict", patient=profile, subject=f"symptom-entry:{entry_id}", outcome="conflict")
        db.session.commit()
        entry = _own(profile, entry_id)
        form.version.data = entry.version
        return render_template("symptoms/form.html", form=form, entry=entry, emergency=_emergency_of(profile, form),
                               conflict="This symptom was changed on another screen while you were correcting it, "
                                        "so your correction has not been saved. Check it below, then select Save again."), 409
    audit("symptoms.correct", patient=profile, subject=f"symptom-entry:{entry.id}", level=entry.level,
          rule=entry.rule, version=entry.version, queue_item=entry.queue_item_id)
    db.session.commit()
    return redirect(url_for("symptoms.logged", entry_id=entry.id))


@bp.route("/my-care/symptoms/<int:entry_id>/remove", methods=["GET", "POST"])
@patient_required
def remove(entry_id: int):
    profile = current_patient()
    entry = service.logged_entry(profile, entry_id)
    if entry is None:
        refuse("symptoms.access_refused", patient=profile, subject=f"symptom-entry:{entry_id}")
    if request.method != "POST":
        if entry.removed_at is not None:
            return redirect(url_for("symptoms.history"))
        return render_template("symptoms/remove.html", entry=entry)
    # A second tap, or a retry, finds it already removed and says the same.
    if service.remove(entry, utcnow()):
        audit("symptoms.remove", patient=profile, subject=f"symptom-entry:{entry.id}", queue_item=entry.queue_item_id)
        db.session.commit()
    flash("Symptom removed from your log. Your care team can still see what you sent them.", "success")
    return redirect(url_for("symptoms.history"))


@bp.get("/nurse/patients/<int:patient_id>/symptoms")
@staff_required
def nurse_log(patient_id: int):
    """The person's symptom log for their team: every entry as sent, with each correction and
    removal, and the queue item it went to."""
    profile = patient_for_staff(patient_id)
    entries = service.log_for_team(profile)
    page = render_template("symptoms/nurse_log.html", profile=profile, entries=entries)
    # Audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again); the page goes out once the audit is stored. Audited last: its
    # INSERT would hold SQLite's write lock while the page renders.
    audit("symptoms.team_view", patient=profile, subject=f"patient:{profile.id}", commit=True)
    return page


@bp.get("/my-care/symptom-rules")
@patient_required
def offline_rules():
    """The symptom rules for the signed-in person's pathway, to keep on the phone so that an
    emergency logged with no connection shows its instruction at once, with the number to call
    (their own 24-hour line, null where the team has none: then 999 and 111). Sent with no-store,
    like every dynamic response; ``version`` says when the copy kept on the phone is stale.
    ``owner`` names the person as the symptom form does (data-outbox-owner): a page loaded for
    someone else, refreshing with the cookie of whoever signed in since, ignores it (HAZ-003)."""
    profile = current_patient()
    return jsonify({
        **rules.offline_rules(profile.tumour_pathway), "urgent_line": urgent_line_of(profile), "owner": outbox_owner(),
    })
