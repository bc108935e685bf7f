"""HNA pages (work without JavaScript), the JSON API used for autosave and offline sync,
and the team's read-only view of submitted HNAs."""
from __future__ import annotations

import re
from functools import lru_cache

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from ..audit import audit
from ..authz import (
    current_patient,
    own_hna,
    patient_columns,
    patient_required,
    refuse,
    signed_in_patient,
    staff_required,
    submitted_hna_for_staff,
)
from ..errors import error_body, signed_out
from ..extensions import db, generate_csrf_token
from ..idempotency import Busy, idempotent, write_with_retries
from ..sessions import carries_the_session_touch, keep_post_for_next_sign_in, take_kept_post
from ..timeutil import utcnow
from ..untrusted import id_or_none
from . import answers as rules
from . import bp, service
from .models import HNA, HNAStatus, PATHWAY_POINT_CHOICES, PATHWAY_POINT_LABELS


def slug(step: str) -> str:
    return step.replace(":", "-", 1)


def step_from_slug(value: str) -> str:
    prefix, _, rest = value.partition("-")
    return f"{prefix}:{rest}" if rest and prefix in ("domain", "matters") else value


def step_url(step: str, **kwargs) -> str:
    return url_for("hna.question", step=slug(step), **kwargs)


# A slug url_for prints as it is (its converter quotes nothing in it).
_PLAIN_SLUG = re.compile(r"[A-Za-z0-9_-]+")


def step_urls(steps: list[str]) -> list[str]:
    """step_url of each step: every question page carries the whole journey's (13 or so). One
    url_for gives the path a plain slug is put at the end of; url_for builds any other."""
    sample = url_for("hna.question", step="x")
    prefix = sample[:-1] if sample.endswith("/x") else None
    return [prefix + slug(step) if prefix is not None and _PLAIN_SLUG.fullmatch(slug(step)) else step_url(step)
            for step in steps]


def journey_links(steps: list[str]) -> tuple[tuple[str, ...], Markup]:
    """The journey's step addresses (step_urls) and the question page's `data-journey` value (as
    `| tojson | forceescape` printed it): the same for everyone on the same journey (a
    questionnaire version's steps), so made once per journey and site root, not on every page."""
    return _journey_links(tuple(steps), request.script_root)


@lru_cache(maxsize=64)
def _journey_links(steps: tuple[str, ...], script_root: str) -> tuple[tuple[str, ...], Markup]:
    urls = step_urls(list(steps))
    policies = current_app.jinja_env.policies  # as Jinja's tojson filter dumps
    json = htmlsafe_json_dumps(urls, dumps=policies["json.dumps_function"], **policies["json.dumps_kwargs"])
    return tuple(urls), escape(str(json))


@bp.app_template_global()
def radio_items(choices, current: str | None, first_id: str) -> list[dict]:
    """The design system's radio items for (value, label) pairs: the one whose value is `current`
    checked, the first with the field's own id (where the error summary links to). Built here
    rather than by a loop in the template, which cost a tenth of the distress question's own work."""
    items = [{"value": value, "text": label, "checked": current == value} for value, label in choices]
    items[0]["id"] = first_id
    return items


BUSY_MESSAGE = ("Your answer was being saved in another window at the same moment. "
                "Check it and select ‘Save and continue’ again.")


def _question_page(status: int, template: str, **context):
    headers = {"Retry-After": "2"} if status == 409 else {}
    return render_template(template, **context), status, headers


def own_draft():
    """The signed-in patient and their draft HNA (None when they have none)."""
    patient = current_patient()
    return patient, service.current_draft(patient)


def form_data(step: str) -> dict:
    """A page's form fields as the same plain dict the JSON API receives."""
    form = request.form
    if step.startswith("domain:"):
        return {
            "concerns": form.getlist("concerns"),
            "scores": {k[len("score-"):]: v for k, v in form.items() if k.startswith("score-")},
        }
    if step == rules.STEP_TOP:
        return {"top_concerns": form.getlist("top_concerns")}
    return form.to_dict()


# ---------------------------------------------------------------- patient pages


@bp.get("/hna")
@patient_required
def start():
    patient, draft = own_draft()
    _apply_stashed_answers(draft)
    return render_template(
        "hna/start.html", draft=draft, submitted=service.submitted_hnas(patient),
        pathway_points=PATHWAY_POINT_LABELS,
    )


@bp.post("/hna/start")
@patient_required
def begin():
    patient = current_patient()
    draft = service.start_or_resume(patient)
    db.session.commit()
    questionnaire = service.questionnaire_of(draft)
    return redirect(step_url(service.resume_step(draft, questionnaire)))


@bp.route("/hna/questions/<step>", methods=["GET", "POST"])
def question(step: str):
    step = step_from_slug(step)
    if not current_user.is_authenticated:
        return _stash_and_sign_in(step)
    if not current_user.is_patient:
        refuse("access.refused", role=current_user.role.value)
    # Their record as read with the session (issue 12): the page reads its id (their draft, read
    # and saved to by id alone) and their pathway (the emergency advice), and writes nothing to it.
    patient = signed_in_patient()
    draft = service.draft_to_answer(patient)
    if draft is None:
        return redirect(url_for("hna.start"))
    questionnaire = service.questionnaire_of(draft)
    steps = service.journey(draft, questionnaire)
    if step not in steps:
        abort(404)
    position = steps.index(step)
    following = steps[position + 1] if position + 1 < len(steps) else None
    errors: dict[str, str] = {}
    submitted_values = None
    # The offline copy: the same page with nothing personal in it, kept by the service
    # worker so the journey opens without signal. The phone fills in its own saved answers.
    offline_copy = request.args.get("shell") == "1" and request.method == "GET"
    status = 200
    if request.method == "POST":
        data = form_data(step)
        drafts = iter([draft])
        # The draft last read: after a clash, as the other save left it, which is what a page
        # shown again (the person's mistakes, or busy) shows them.
        latest = [draft]

        def save():
            saved_to = next(drafts, None) or service.draft_to_answer(patient)
            if saved_to is None:
                raise service.AlreadySubmitted()
            latest[0] = saved_to
            result = service.apply_step(saved_to, questionnaire, step, data)
            if result.ok:
                db.session.commit()
            return result

        try:
            # Two tabs saving the same draft at once: the later one is applied again on top.
            result = write_with_retries(save)
        except Busy:
            result, status = service.StepResult({"answer": BUSY_MESSAGE}), 409
        if result.ok:
            if request.form.get("action") == "later":
                flash("Your answers are saved. You can carry on at any time.", "success")
                return redirect(url_for("hna.start"))
            if request.args.get("return") == "check":
                return redirect(url_for("hna.check"))
            return redirect(step_url(following) if following else url_for("hna.check"))
        errors = result.errors
        submitted_values = data  # shown back so nothing typed is lost
        draft = latest[0]
    returning = request.args.get("return") == "check"
    # The page's own, the previous and the next step's addresses are among the journey's.
    journey_urls, journey_json = journey_links(steps)
    return _question_page(
        status,
        "hna/question.html",
        hna=draft, questionnaire=questionnaire, step=step, errors=errors,
        answers={} if offline_copy else (draft.answers or {}),
        offline_copy=offline_copy, public_page=offline_copy,
        values=submitted_values,
        back_url=url_for("hna.check") if returning
        else (journey_urls[position - 1] if position > 0 else url_for("hna.start")),
        next_url=journey_urls[position + 1] if following else url_for("hna.check"),
        return_url=url_for("hna.check") if returning else None,
        journey_json=journey_json,
        chosen_concerns=[] if offline_copy else list((draft.answers or {}).get("concerns", {})),
        position=position + 1, total=len(steps),
        pathway_point_choices=PATHWAY_POINT_CHOICES,
        action_url=step_url(step, **{"return": "check"}) if returning else journey_urls[position],
        crisis_route=rules.shows_crisis_route(step),
        # Shown as soon as such a concern is ticked (the same words on every pathway).
        emergency_by_concern={
            item.id: service.emergency_advice(questionnaire, [item.id], patient_columns(patient).tumour_pathway)
            for item in (questionnaire.domain(step[len("domain:"):]).items if step.startswith("domain:") else ())
        },
    )


@bp.get("/hna/check")
@patient_required
def check():
    patient, draft = own_draft()
    if draft is None:
        return redirect(url_for("hna.start"))
    questionnaire = service.questionnaire_of(draft)
    urgent, emergency = _urgent_and_emergency(draft, questionnaire, patient)
    return render_template(
        "hna/check.html", hna=draft, questionnaire=questionnaire,
        missing=service.missing(draft, questionnaire), step_url=step_url, step_question=service.step_question,
        pathway_points=PATHWAY_POINT_LABELS, urgent=urgent, emergency=emergency,
        reply_words=service.reply_promise(draft, utcnow()),
    )


@bp.post("/hna/submit")
@patient_required
def submit():
    patient, draft = own_draft()
    if draft is None:
        # Already submitted (a second tap): show what they sent rather than an error.
        latest = service.submitted_hnas(patient)
        if latest:
            return redirect(url_for("hna.submitted", hna_id=latest[0].id))
        return redirect(url_for("hna.start"))
    questionnaire = service.questionnaire_of(draft)
    gaps = service.submit(draft, questionnaire)
    if gaps:
        flash("Some questions still need an answer before you can send your assessment.", "info")
        return redirect(url_for("hna.check"))
    audit("hna.submit", patient=patient, subject=f"hna:{draft.id}")
    db.session.commit()
    return redirect(url_for("hna.submitted", hna_id=draft.id, sent=1))


@bp.get("/hna/<int:hna_id>")
@patient_required
def submitted(hna_id: int):
    hna = own_hna(hna_id)
    if hna.status is not HNAStatus.SUBMITTED:
        return redirect(url_for("hna.check"))
    questionnaire = service.questionnaire_of(hna)
    urgent, emergency = _urgent_and_emergency(hna, questionnaire, hna.patient)
    return render_template(
        "hna/submitted.html", hna=hna, questionnaire=questionnaire,
        summary=rules.summarise_for_nurse(questionnaire, hna.answers),
        just_sent=request.args.get("sent") == "1", pathway_points=PATHWAY_POINT_LABELS,
        urgent=urgent, emergency=emergency, reply_words=service.reply_promise(hna, utcnow()),
    )


def _urgent_and_emergency(hna: HNA, questionnaire, patient):
    """The ticked symptoms that must not wait, for the patient's pages: those that may be an
    emergency go to templates/partials/emergency.html (with when the team will see it), the
    rest to hna/_urgent.html."""
    urgent = service.urgent_concerns(hna, questionnaire)
    emergency = service.emergency_advice(questionnaire, [c.id for c in urgent], patient.tumour_pathway)
    if emergency is not None:
        emergency["seen"] = service.reply_promise(hna, utcnow())
        urgent = [c for c in urgent if not rules.emergency_of(questionnaire, c.id)]
    return urgent, emergency


# ---------------------------------------------------------------- signed out mid-question


def _stash_and_sign_in(step: str):
    """Answers posted after the session timed out are kept on the server (never in the
    cookie) until the same person signs in again."""
    if request.method == "POST" and keep_post_for_next_sign_in({"kind": "hna", "step": step, "data": form_data(step)}):
        flash("You were signed out to protect your information. Sign in again and your answer will be saved.", "info")
    return redirect(url_for("auth.sign_in"))


def _apply_stashed_answers(draft: HNA | None) -> None:
    kept = take_kept_post()
    if kept is None:
        return
    saved = service.restore_kept_answer(draft, kept)
    db.session.commit()  # taken either way, so never applied twice
    if saved:
        flash("We saved the answer you gave before you were signed out.", "success")


# ---------------------------------------------------------------- JSON API (autosave, offline sync)


@bp.get("/api/hna/token")
def api_token():
    """A fresh CSRF token for answers saved while offline, or 401 when signed out."""
    if not current_user.is_authenticated or not current_user.is_patient:
        return signed_out()
    return jsonify(csrf_token=generate_csrf_token())


def _hna_named(value) -> HNA | None:
    """The HNA a JSON body names by id, or None (a string or an id no row can have included)."""
    hna_id = id_or_none(value) if isinstance(value, int) else None
    return service.hna_by_id(hna_id) if hna_id is not None else None


@bp.post("/api/hna/answers")
@patient_required
@idempotent
def api_save():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("step"), str) or not isinstance(payload.get("data"), dict):
        return error_body("bad_request", "Send {hna_id, step, data}."), 400
    # Their record as read with the session: an answer saved to their draft names it by its id
    # alone; only a draft started here makes it a tracked record (current_patient).
    patient = signed_in_patient()
    draft = service.draft_to_answer(patient)
    hna_id = payload.get("hna_id")
    if draft is None or (hna_id is not None and hna_id != draft.id):
        if hna_id is not None:
            hna = _hna_named(hna_id)
            if hna is None or hna.patient_id != patient.id:
                audit("hna.access_refused", outcome="refused", subject=f"hna:{hna_id}")
                return error_body("not_found", "No such assessment."), 404
            return error_body("already_submitted", "This assessment has already been sent."), 409
        draft = service.Draft.of(service.start_or_resume(current_patient()))
    questionnaire = service.questionnaire_of(draft)
    step = payload["step"]
    try:
        result = service.apply_step(draft, questionnaire, step, payload["data"])
    except service.StepNotFound:
        return error_body("unknown_step", "That question is not part of this assessment."), 404
    if not result.ok:
        return error_body("invalid", "Check your answer.", errors=result.errors), 422
    # apply_step has already refused any step outside the journey. The next step's address from
    # the journey's, made once per journey and site root (journey_links: url_for cost a tenth of
    # an answer saved's own Python calls, issue 12).
    steps = service.journey(draft, questionnaire)
    following = steps.index(step) + 1
    return {
        "saved": True, "hna_id": draft.id, "step": step,
        "next_url": journey_links(steps)[0][following] if following < len(steps) else url_for("hna.check"),
    }, 200


@bp.post("/api/hna/submit")
@patient_required
@idempotent
def api_submit():
    payload = request.get_json(silent=True) or {}
    patient, draft = own_draft()
    hna_id = payload.get("hna_id")
    if draft is None or (hna_id is not None and hna_id != draft.id):
        hna = _hna_named(hna_id)
        if hna is None or hna.patient_id != patient.id:
            # hna_id is whatever the JSON held: keep the audit subject short.
            audit("hna.access_refused", outcome="refused", subject=f"hna:{str(hna_id)[:40]}")
            return error_body("not_found", "No such assessment."), 404
        return {"submitted": True, "hna_id": hna.id, "url": url_for("hna.submitted", hna_id=hna.id)}, 200
    questionnaire = service.questionnaire_of(draft)
    gaps = service.submit(draft, questionnaire)
    if gaps:
        return error_body("incomplete", "Some questions still need an answer.", missing=gaps), 422
    audit("hna.submit", patient=patient, subject=f"hna:{draft.id}")
    return {"submitted": True, "hna_id": draft.id, "url": url_for("hna.submitted", hna_id=draft.id, sent=1)}, 200


# ---------------------------------------------------------------- the team's view


@bp.get("/nurse/hnas")
@staff_required
@carries_the_session_touch
def team_list():
    rows = service.submitted_for_team(current_user.team_id)
    now = utcnow()
    items = service.queue_items_for(rows)
    replies = {hna.id: service.reply_state(hna, items.get(hna.id), now) for hna in rows}
    page = render_template("hna/team_list.html", hnas=rows, replies=replies, now=now,
                           urgent_text=_urgent_text)
    # Audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again), with the session's due activity; the page goes out once it is stored.
    audit("hna.list", results=len(rows), commit=True)
    return page


@bp.get("/nurse/hnas/<int:hna_id>")
@staff_required
@carries_the_session_touch
def team_view(hna_id: int):
    from ..careplan.service import current_plan
    from .compare import Assessment, compare

    hna = submitted_hna_for_staff(hna_id)
    questionnaire = service.questionnaire_of(hna)

    def assessment(record: HNA) -> Assessment:
        return Assessment(record.id, record.submitted_at, record.answers or {},
                          service.questionnaire_of(record))

    comparison = compare(assessment(hna), [assessment(h) for h in service.submitted_hnas(hna.patient)])
    page = render_template(
        "hna/team_view.html", hna=hna, questionnaire=questionnaire,
        summary=rules.summarise_for_nurse(questionnaire, hna.answers),
        pathway_points=PATHWAY_POINT_LABELS,
        urgent=service.urgent_concerns(hna, questionnaire),
        emergency_ids={c.id for c in service.emergency_concerns(hna, questionnaire)},
        reply=service.reply_state(hna, service.queue_items_for([hna]).get(hna.id), utcnow()),
        comparison=comparison, care_plan=current_plan(hna.patient),
    )
    # Audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again), with the session's due activity; the page goes out once it is stored.
    audit("hna.view", patient=hna.patient_id, subject=f"hna:{hna.id}", commit=True)
    return page


def _urgent_text(hna: HNA) -> str:
    questionnaire = service.questionnaire_of(hna)
    return ", ".join(questionnaire.concern(i).text for i in hna.urgent_symptoms or [])
