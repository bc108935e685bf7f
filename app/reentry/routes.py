"""Re-entry pages: the patient asks to be seen and follows the request; the nurse moves it on.

Every page checks ownership first (`service.own_request`, `service.request_for_staff`) and
every change is audited by the service.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..audit import audit
from ..authz import current_patient, patient_required, staff_required
from ..errors import error_body
from ..extensions import db
from ..forms import first_errors, formdata_from_json
from ..idempotency import Once, idempotent, new_form_token
from ..messages.service import thread_about
from ..sessions import current_user_record
from ..timeutil import london_today
from ..triage.models import OUTCOME_LABELS
from ..versioning import answer_conflict, shown_version
from . import bp, service
from .forms import AskForm, StepForm
from .models import CONTACT_METHOD_LABELS, CONTACT_TIME_LABELS, ContactMethod, ContactTime, RequestStatus
from .service import OUTCOME_LABELS_FOR_PATIENT, Access


@bp.app_template_global()
def reentry_status_words(status: RequestStatus, request_=None) -> str:
    """Where a request stands, as the person reads it."""
    seen_by = request_.seen_by.display_name if request_ is not None and request_.seen_by else "A nurse"
    return {
        RequestStatus.SENT: "Sent to your team",
        RequestStatus.SEEN: f"Seen by {seen_by}",
        RequestStatus.WILL_CALL: "A nurse will call you",
        RequestStatus.APPOINTMENT_BOOKED: "Appointment booked",
        RequestStatus.CLOSED: "Closed",
    }[status]


def _me():
    return current_user_record()


# Why a form's request was not sent (it could not be sent once): sending now is a fresh choice.
NOT_SENT = {
    Once.OUT_OF_DATE: "This page was out of date, so your request has not been sent yet. Check it, then select Send again.",
    Once.TOKEN_USED: "This form was already used to send a request, so this one has not been sent yet. "
                     "Check your requests below, then select Send again if you want to send it as well.",
}


def _ask(profile, form: AskForm, entries) -> service.Asked:
    """Send the form's request, once per form (the page's post and the outbox's alike)."""
    method = ContactMethod(form.contact_method.data)
    return service.ask(
        profile, _me(), form.token.data, form.worry.data.strip(), method, ContactTime(form.contact_time.data),
        ((form.contact_phone.data or "").strip() or None) if method is ContactMethod.PHONE else None,
        form.chosen_symptoms(entries),
    )


# ---------------------------------------------------------------- the patient's pages


@bp.route("/my-care/ask-to-be-seen", methods=["GET", "POST"])
@patient_required
def ask():
    profile = current_patient()
    access, plan = service.access_of(profile, london_today())
    requests_ = service.requests_of(profile)
    if access is not Access.OPEN:
        return render_template("reentry/not_open.html", profile=profile, access=access, plan=plan, requests=requests_)
    entries = service.attachable_symptoms(profile)
    if request.method == "GET":
        form = AskForm(formdata=None, data={"token": new_form_token(), "contact_phone": profile.phone}).offer_symptoms(entries)
        return render_template("reentry/ask.html", profile=profile, plan=plan, form=form, requests=requests_)
    form = AskForm().offer_symptoms(entries)
    if not form.validate():
        return render_template("reentry/ask.html", profile=profile, plan=plan, form=form, requests=requests_)
    asked = _ask(profile, form, entries)
    if asked.request is None:
        # The page carried no usable token, or its token was used for a different request (after
        # going back a page): nothing was sent; sending now is a fresh, deliberate choice.
        form.token.data = new_form_token()
        return render_template("reentry/ask.html", profile=profile, plan=plan, form=form, requests=requests_,
                               problem=NOT_SENT[asked.status]), 409
    db.session.commit()
    return redirect(url_for("reentry.request_status", request_id=asked.request.id, sent=1))


@bp.post("/my-care/ask-to-be-seen/api/send")
@patient_required
@idempotent
def api_ask():
    """A request sent by the phone's outbox (static/js/form-outbox.js), kept there while there
    was no connection. It carries an Idempotency-Key and the form's own one-time token, so
    neither a retry nor a double tap makes a second request. 201 with the request's page; a 4xx
    in the one JSON error shape, after which the page posts the form itself so that the person
    reads why, with what they typed."""
    profile = current_patient()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body:
        return error_body("bad_request", "Send the request form's fields, as JSON."), 400
    access, _ = service.access_of(profile, london_today())
    if access is not Access.OPEN:
        return error_body("not_open", "You cannot ask to be seen through the app now: the page says who to contact."), 409
    entries = service.attachable_symptoms(profile)
    form = AskForm(formdata=formdata_from_json(body)).offer_symptoms(entries)
    if not form.validate():
        return error_body("invalid", "Check your request: some answers need changing.",
                          errors=first_errors(form)), 422
    asked = _ask(profile, form, entries)
    if asked.request is None:
        return error_body(asked.status.value, NOT_SENT[asked.status]), 409
    return {"reentry_request_id": asked.request.id,
            "next_url": url_for("reentry.request_status", request_id=asked.request.id, sent=1)}, 201


@bp.get("/my-care/requests/<int:request_id>")
@patient_required
def request_status(request_id: int):
    request_ = service.own_request(request_id)
    return render_template("reentry/status.html", request_=request_, profile=request_.patient,
                           thread=thread_about(f"reentry:{request_.id}"),
                           just_sent=request.args.get("sent") == "1",
                           method_labels=CONTACT_METHOD_LABELS, time_labels=CONTACT_TIME_LABELS,
                           outcome_labels=OUTCOME_LABELS_FOR_PATIENT)


# ---------------------------------------------------------------- the nurse's page


def _nurse_page(profile, request_, form, conflict=None, status=200):
    context = dict(profile=profile, request_=request_, form=form, conflict=conflict,
                   method_labels=CONTACT_METHOD_LABELS, time_labels=CONTACT_TIME_LABELS,
                   outcome_labels=OUTCOME_LABELS)
    if status == 409:
        return answer_conflict("reentry/nurse_request.html", **context)
    return render_template("reentry/nurse_request.html", **context), status


@bp.route("/nurse/patients/<int:patient_id>/requests/<int:request_id>", methods=["GET", "POST"])
@staff_required
def nurse_request(patient_id: int, request_id: int):
    profile, request_ = service.request_for_staff(patient_id, request_id)
    choices = service.next_statuses(request_.status)
    if request.method == "GET":
        form = StepForm(formdata=None, data={"version": request_.version}).offer(choices)
        page = _nurse_page(profile, request_, form)
        # Audited and committed after rendering (the commit would expire what the page shows, and it
        # would read each again); the page goes out once the audit is stored. Audited last: its
        # INSERT would hold SQLite's write lock while the page renders.
        audit("reentry.view", patient=profile, subject=f"reentry:{request_.id}", commit=True)
        return page
    form = StepForm().offer(service.next_statuses(RequestStatus.SENT))  # any step: a stale page may offer an older one
    if not form.validate():
        return _nurse_page(profile, request_, form)
    change = service.Change(
        status=form.chosen(), appointment_at=form.appointment_at(),
        appointment_place=(form.appointment_place.data or "").strip() or None,
        outcome=service.Outcome(form.outcome.data) if form.chosen() is RequestStatus.CLOSED else None,
        outcome_note=(form.outcome_note.data or "").strip() or None,
    )
    if change.status is not RequestStatus.APPOINTMENT_BOOKED:
        change = service.Change(change.status, outcome=change.outcome, outcome_note=change.outcome_note)
    try:
        service.move_on(request_, change, _me(), shown_version(form.version))
    except service.AlreadyChanged:
        pass
    except service.RequestChanged as exc:
        profile, request_ = service.request_for_staff(patient_id, request_id)
        form.version.data = request_.version  # saving again is a knowing choice
        form.offer(service.next_statuses(request_.status))
        return _nurse_page(profile, request_, form, conflict=exc.message, status=409)
    except service.ReentryError as exc:
        form.version.data = request_.version
        form.offer(service.next_statuses(request_.status))
        return _nurse_page(profile, request_, form, conflict=exc.message, status=409)
    db.session.commit()
    flash(f"Saved: {reentry_status_words(request_.status, request_).lower()}.", "success")
    return redirect(url_for("reentry.nurse_request", patient_id=profile.id, request_id=request_.id))
