"""The triage queue: list, claim, assign, release, resolve.

Every item is reached through `queue_item_for_staff` (another team's item answers 404, audited),
every view and change is audited, and every change carries the revision the nurse was looking
at: if a colleague changed the item meanwhile, the answer is 409 and nothing is overwritten.
"""
from __future__ import annotations

from datetime import datetime
from functools import partial

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..audit import audit
from ..authz import staff_required
from ..extensions import db
from ..forms import error_summary_items
from ..sessions import carries_the_session_touch, current_user_record
from ..versioning import answer_conflict
from ..models import User
from ..pathways import PATHWAYS
from ..messages import service as messages
from ..reentry import service as reentry
from ..symptoms import service as symptoms
from ..timeutil import utcnow
from ..triage import service
from ..triage.access import queue_item_for_staff
from ..triage.models import OUTCOME_LABELS, Outcome, QueueItem
from ..triage.queue import KIND_LABELS, KIND_TAG_CLASSES
from ..triage.working_days import due_in_words
from ..untrusted import id_or_none
from . import bp, queue_view
from .queue_forms import REVISION_MISSING_RESOLVE, AssignForm, ClaimForm, ReleaseForm, ResolveForm

PAGE_SIZE = 50


# ---------------------------------------------------------------- template helpers


@bp.app_template_global()
def queue_kind_tag(item: QueueItem) -> dict:
    return {"text": KIND_LABELS[item.kind], "classes": KIND_TAG_CLASSES[item.kind]}


@bp.app_template_global()
def queue_due_words(item: QueueItem, now: datetime | None = None) -> str:
    return due_in_words(item.due_at, now or utcnow())


@bp.app_template_global()
def queue_is_overdue(item: QueueItem, now: datetime | None = None) -> bool:
    return queue_view.is_overdue(item.status, item.due_at, now or utcnow())


@bp.app_template_global()
def queue_who_has(item: QueueItem) -> str:
    assignee = item.assignee
    return queue_view.who_has(item.assignee_id, assignee.display_name if assignee else None, current_user.id)


# ---------------------------------------------------------------- the queue


def _filters(args, user_id: int) -> service.QueueFilters:
    """The queue's filters from the request's arguments (`request.args`, read once by the view)."""
    status = args.get("status", "open")
    pathway = args.get("pathway") or None
    key_worker = args.get("key_worker", "")
    return service.QueueFilters(
        status=status if status in service.STATUSES else "open",
        pathway=pathway if pathway in PATHWAYS else None,
        key_worker_id=id_or_none(key_worker),
        search=(args.get("q") or "").strip()[:100],
        user_id=user_id,
    )


@bp.get("/queue")
@staff_required
@carries_the_session_touch
def queue():
    # The request's arguments and the signed-in nurse through their proxies once each (every
    # read through a proxy looks the context up again).
    args, nurse = request.args, current_user._get_current_object()
    filters = _filters(args, nurse.id)
    team_id = nurse.team_id
    after = (args.get("after") or "")[:100] or None
    page, nurses, summary = service.QueuePage(), [], None
    if team_id is not None:
        page = service.queue_page(team_id, filters, after=after, limit=PAGE_SIZE)
        summary, nurses = service.queue_summary_and_nurses(team_id, utcnow())
    current = {
        "status": filters.status, "pathway": filters.pathway or "",
        "key_worker": filters.key_worker_id or "", "q": filters.search,
    }
    kept = {k: v for k, v in current.items() if v}
    next_url = url_for("nurse.queue", **kept, after=page.next_after) if page.next_after else None
    first_url = url_for("nurse.queue", **kept) if after and team_id is not None else None
    # Rendered before the audit commits: the page goes out once its read is recorded.
    lines = queue_view.queue_lines(page.items, utcnow(), nurse.id, queue_view.item_href_prefix())
    template_globals = current_app.jinja_env.globals
    tag_html = partial(template_globals["memoised_component"], "tag")
    html = render_template(
        "nurse/queue.html", next_url=next_url, first_url=first_url,
        page=queue_view.queue_page_values(summary, filters, nurses, queue_view.queue_rows_html(lines, tag_html),
                                          continued=bool(after),
                                          # The queue's own address as the templates' url_for keeps it (once per site root).
                                          action=template_globals["url_for"]("nurse.queue"),
                                          select_html=partial(template_globals["memoised_component"], "select")),
    )
    # Filters and counts only: never a name or what was typed in the search box.
    audit("queue.list", status=filters.status, pathway=filters.pathway,
          key_worker=filters.key_worker_id, searched=bool(filters.search),
          page=2 if after else 1, results=len(page.items), commit=True)
    return html


# ---------------------------------------------------------------- one item


def _forms(item: QueueItem, **given) -> dict:
    """The item page's forms with fields of their own: blank ones, except any given (posted, with
    errors or kept). Claiming and giving back carry only the token and the revision, which the
    page prints itself: no form object is made for them."""
    forms = {
        "assign_form": given.get("assign_form") or AssignForm(formdata=None),
        "resolve_form": given.get("resolve_form") or ResolveForm(formdata=None),
    }
    forms["assign_form"].set_nurses(
        [nurse for nurse in service.team_nurses(item.team_id) if nurse.id != item.assignee_id]
    )
    return forms


def _item_context(item: QueueItem, form=None, conflict=None, out_of_date=None, **given) -> dict:
    return dict(item=item, form=form, conflict=conflict, out_of_date=out_of_date, now=utcnow(),
                outcome_labels=OUTCOME_LABELS, kind_labels=KIND_LABELS,
                reentry_request=reentry.request_for_queue_item(item), thread=messages.thread_for_item(item),
                symptom_entries=symptoms.entries_for_item(item),
                **_forms(item, **given))


def _item_page(item: QueueItem, form=None, out_of_date=None, **given):
    return render_template("nurse/queue_item.html", **_item_context(item, form=form, out_of_date=out_of_date, **given))


@bp.get("/queue/<int:item_id>")
@staff_required
@carries_the_session_touch
def queue_item(item_id: int):
    item = queue_item_for_staff(item_id)
    page = _item_page(item)
    # Audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again); the page goes out only once the audit is stored.
    audit("queue.view", patient=item.patient_id, subject=f"queue-item:{item.id}", commit=True)
    return page


def _act(item_id: int, form, form_name: str, action: str, change, success, after: str):
    """Validate `form`, make the change with `change(item, form)`, audit it, and redirect.

    On a stale revision: 409 with the item as it is now and what the nurse typed, kept; unless
    the change was her own and the item is already as she asks (a retry or a double click),
    which is simply done.
    """
    item = queue_item_for_staff(item_id)
    if hasattr(form, "set_nurses"):
        form.set_nurses(service.team_nurses(item.team_id))
    subject = f"queue-item:{item.id}"
    if not form.validate_on_submit():
        if form.revision.errors and form_name == "resolve_form":
            # Keep what she chose and typed: the page, as it is now, offers the form again.
            errors = ([{"text": REVISION_MISSING_RESOLVE, "href": "#resolve-item"}]
                      + error_summary_items((form.outcome, form.note)))
            return _item_page(item, out_of_date=errors, **{form_name: form})
        if form.revision.errors:
            flash(form.revision.errors[0], "info")
            return redirect(url_for("nurse.queue_item", item_id=item.id), 303)
        return _item_page(item, form=form, **{form_name: form})
    try:
        result = change(item, form)
    except service.AlreadyDone as exc:
        # Already saved (and audited) by her first click: say so, as if it were this one.
        flash(success(exc.item), "success")
        return redirect(url_for(after, item_id=item.id) if after == "nurse.queue_item" else url_for(after), 303)
    except service.Conflict as exc:
        audit(action, patient=exc.item.patient_id, subject=subject, outcome="conflict",
              revision_seen=form.revision.data, revision_now=exc.item.revision)
        db.session.commit()
        return answer_conflict("nurse/queue_conflict.html", typed=form, **_item_context(
            exc.item, conflict=exc, **({form_name: form} if form_name == "resolve_form" else {})))
    except service.QueueError as exc:
        db.session.rollback()
        if hasattr(form, "assignee"):
            form.assignee.errors.append(exc.message)
            return _item_page(item, form=form, **{form_name: form})
        flash(exc.message, "info")
        return redirect(url_for("nurse.queue_item", item_id=item.id), 303)
    detail = result if isinstance(result, dict) else {}
    audit(action, patient=item.patient_id, subject=subject, revision=item.revision, **detail)
    db.session.commit()
    flash(success(item), "success")
    return redirect(url_for(after, item_id=item.id) if after == "nurse.queue_item" else url_for(after), 303)


def _me() -> User:
    return current_user_record()


@bp.post("/queue/<int:item_id>/claim")
@staff_required
def queue_claim(item_id: int):
    return _act(
        item_id, ClaimForm(), "claim_form", "queue.claim",
        lambda item, form: service.claim(item, _me(), form.revision.data),
        lambda item: f"You have this item: {item.patient.full_name}", "nurse.queue_item",
    )


@bp.post("/queue/<int:item_id>/assign")
@staff_required
def queue_assign(item_id: int):
    def change(item, form):
        to_user = service.user_to_assign(form.assignee.data)
        service.assign(item, to_user, _me(), form.revision.data)
        return {"to": to_user.id}

    return _act(
        item_id, AssignForm(), "assign_form", "queue.assign", change,
        lambda item: f"{item.assignee.display_name} has the item for {item.patient.full_name}", "nurse.queue",
    )


@bp.post("/queue/<int:item_id>/release")
@staff_required
def queue_release(item_id: int):
    return _act(
        item_id, ReleaseForm(), "release_form", "queue.release",
        lambda item, form: service.release(item, _me(), form.revision.data),
        lambda item: f"Item for {item.patient.full_name} given back to the team", "nurse.queue",
    )


@bp.post("/queue/<int:item_id>/resolve")
@staff_required
def queue_resolve(item_id: int):
    def change(item, form):
        outcome = Outcome(form.outcome.data)
        # Through the re-entry service: a re-entry item's request closes with it, the one way.
        reentry.resolve_queue_item(item, outcome, form.note.data, _me(), form.revision.data)
        # The note is clinical free text: the audit log records only that there was one.
        return {"resolution": outcome.value, "note": bool(item.outcome_note)}

    return _act(
        item_id, ResolveForm(), "resolve_form", "queue.resolve", change,
        lambda item: f"Resolved: {item.patient.full_name} – {OUTCOME_LABELS[item.outcome].lower()}", "nurse.queue",
    )
