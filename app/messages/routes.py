"""Message pages: the patient's threads and answers; the nurse's replies and unread list.

Every page checks ownership first (`service.own_thread`, `service.thread_for_staff`,
`queue_item_for_staff`); every message is audited by the service.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..authz import current_patient, nurse_required, patient_required, staff_required
from ..errors import error_body
from ..extensions import db
from ..forms import first_errors, formdata_from_json
from ..idempotency import Once, idempotent, new_form_token
from ..sessions import current_user_record, read_with_the_session
from ..triage.access import queue_item_for_staff
from ..untrusted import id_or_none
from . import bp, service
from .forms import MessageForm

NOT_SENT = {
    Once.OUT_OF_DATE: "This page was out of date, so your message has not been sent yet. Check it, then select Send again.",
    Once.TOKEN_USED: "This form was already used to send a message, so this one has not been sent yet. "
                     "Check the messages above, then select Send again if you want to send it as well.",
}


SENT = "Message sent. Your team reads messages in working hours only."


def _me():
    return current_user_record()


@bp.record_once
def count_unread_messages(state) -> None:
    """The header's Messages link carries the unread count on every page (the patient's menu and
    the nurse's) as `g.unread_messages`: read in the same statement as the session, before the
    view runs (templates make no queries, tests/test_templates.py), not in one of its own."""
    read_with_the_session(state.app, "unread_messages", service.header_unread_count)


def _fresh_form() -> MessageForm:
    return MessageForm(formdata=None, data={"token": new_form_token()})


def _send(thread, form: MessageForm):
    """Send the form's message; None when sent (or already sent), else what to tell the person."""
    sent = service.send(thread, _me(), form.token.data, form.body.data.strip())
    if sent.message is None:
        form.token.data = new_form_token()  # sending now is a fresh, deliberate choice
        return NOT_SENT[sent.status]
    db.session.commit()
    return None


# ---------------------------------------------------------------- the patient's pages


@bp.get("/my-care/messages")
@patient_required
def patient_threads():
    profile = current_patient()
    return render_template("messages/patient_threads.html", threads=service.threads_of(profile))


@bp.route("/my-care/messages/<int:thread_id>", methods=["GET", "POST"])
@patient_required
def patient_thread(thread_id: int):
    thread = service.own_thread(thread_id)
    if request.method == "GET":
        messages = service.messages_of(thread)
        if service.open_thread(thread, True, None, messages):
            db.session.commit()
        return render_template("messages/patient_thread.html", thread=thread, messages=messages, form=_fresh_form())
    form = MessageForm()
    if not form.validate():
        return render_template("messages/patient_thread.html", thread=thread, messages=service.messages_of(thread),
                               form=form)
    problem = _send(thread, form)
    if problem:
        return render_template("messages/patient_thread.html", thread=thread, messages=service.messages_of(thread),
                               form=form, problem=problem), 409
    flash(SENT, "success")
    return redirect(url_for("messages.patient_thread", thread_id=thread.id))


@bp.post("/my-care/messages/api/send")
@patient_required
@idempotent
def api_send():
    """An answer sent by the phone's outbox (static/js/form-outbox.js), kept there while there
    was no connection: the form's fields and the thread's `thread_id`. It carries an
    Idempotency-Key and the form's own one-time token, so neither a retry nor a double tap sends
    it twice. 201 with the thread's page; a 4xx in the one JSON error shape, after which the page
    posts the form itself so that the person reads why, with what they typed. (The thread is in
    the body, not the address: someone else's thread is refused before the key is looked at.)"""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not payload:
        return error_body("bad_request", "Send the message form's fields and its thread_id, as JSON."), 400
    thread_id = id_or_none(payload.get("thread_id"))
    if thread_id is None:
        return error_body("bad_request", "Say which conversation the message is for (thread_id)."), 400
    thread = service.own_thread(thread_id)
    form = MessageForm(formdata=formdata_from_json(payload))
    if not form.validate():
        return error_body("invalid", "Check your message: it needs changing.",
                          errors=first_errors(form)), 422
    sent = service.send(thread, _me(), form.token.data, form.body.data.strip())
    if sent.message is None:
        return error_body(sent.status.value, NOT_SENT[sent.status]), 409
    flash(SENT, "success")
    return {"message_id": sent.message.id, "next_url": url_for("messages.patient_thread", thread_id=thread.id)}, 201


# ---------------------------------------------------------------- the nurse's pages


@bp.get("/nurse/messages")
@staff_required
def team_unread():
    return render_template("messages/team_unread.html", lines=service.team_threads_with_unread(current_user.team_id))


@bp.post("/nurse/queue/<int:item_id>/message")
@nurse_required
def start(item_id: int):
    item = queue_item_for_staff(item_id)
    thread = service.start_thread(item, _me())
    db.session.commit()
    return redirect(url_for("messages.nurse_thread", patient_id=item.patient_id, thread_id=thread.id))


@bp.route("/nurse/patients/<int:patient_id>/messages/<int:thread_id>", methods=["GET", "POST"])
@staff_required
def nurse_thread(patient_id: int, thread_id: int):
    profile, thread = service.thread_for_staff(patient_id, thread_id)
    context = dict(profile=profile, thread=thread, work=service.open_work(thread))
    if request.method == "GET":
        messages = service.messages_of(thread)
        service.open_thread(thread, False, _me(), messages)
        db.session.commit()
        return render_template("messages/nurse_thread.html", form=_fresh_form(), messages=messages, **context)
    form = MessageForm()
    if not form.validate():
        return render_template("messages/nurse_thread.html", form=form, messages=service.messages_of(thread), **context)
    problem = _send(thread, form)
    if problem:
        return render_template("messages/nurse_thread.html", form=form, problem=problem,
                               messages=service.messages_of(thread), **context), 409
    flash("Reply sent.", "success")
    return redirect(url_for("messages.nurse_thread", patient_id=profile.id, thread_id=thread.id))
