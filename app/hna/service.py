"""The HNA journey as plain operations on records: start, answer a step, submit.

Form posts and offline JSON sync both come through `apply_step`, so there is one set of rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Mapping, NamedTuple
from weakref import WeakKeyDictionary

from sqlalchemy import Integer, Select, Update, bindparam, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..triage import service as triage
from ..triage.models import HNA_SOURCE, OUTCOME_LABELS, ItemStatus, Outcome, QueueItem, source_key, source_key_of
from ..triage.queue import ItemKind, kind_for_hna
from ..triage.working_days import due_in_words, response_deadline
from ..models import PatientProfile, User, stored_value_in_sql
from ..plain_rows import read_rows, write_row
from ..sessions import SignedInPatient
from ..timeutil import long_date, utcnow
from ..versioning import added_or_found
from .reply_time import when_team_sees_it
from . import answers as rules
from .models import HNA, HNAStatus, PathwayPoint, QuestionnaireVersion
from .questionnaire import Questionnaire, bundled_definition_paths, load_questionnaire

HNA_KEY = "hna"
STEP_POINT = "point"


class StepNotFound(LookupError):
    pass


class AlreadySubmitted(RuntimeError):
    pass


@dataclass
class StepResult:
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- questionnaire versions


def publish_bundled_questionnaires(published_by: User | None = None) -> list[QuestionnaireVersion]:
    """Store every bundled definition not yet in the database. Published versions never change."""
    added = []
    for path in bundled_definition_paths():
        questionnaire = load_questionnaire(path)
        added += publish(questionnaire, published_by, only_if_new=True)
    db.session.commit()
    return added


def publish(questionnaire: Questionnaire, published_by: User | None, only_if_new: bool = False) -> list[QuestionnaireVersion]:
    existing = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.key == questionnaire.key,
            QuestionnaireVersion.version == questionnaire.version,
        )
    )
    if existing is not None:
        if only_if_new:
            return []
        raise ValueError(f"Version {questionnaire.version} of '{questionnaire.key}' is already published")
    record = QuestionnaireVersion(
        key=questionnaire.key, version=questionnaire.version,
        definition=questionnaire.to_dict(), published_by=published_by,
    )
    db.session.add(record)
    return [record]


def latest_version(key: str = HNA_KEY) -> QuestionnaireVersion:
    record = db.session.scalar(
        select(QuestionnaireVersion).where(QuestionnaireVersion.key == key)
        .order_by(QuestionnaireVersion.version.desc()).limit(1)
    )
    if record is None:
        publish_bundled_questionnaires()
        record = db.session.scalar(
            select(QuestionnaireVersion).where(QuestionnaireVersion.key == key)
            .order_by(QuestionnaireVersion.version.desc()).limit(1)
        )
    return record


# Published versions never change and are clinical content, not anyone's data: each is read
# from the database and parsed once per process and database (a test's app has its own engine,
# and its own versions under the same ids), not on every save or page.
_parsed: WeakKeyDictionary = WeakKeyDictionary()


def questionnaire_of(answered: HNA | Draft | QuestionnaireVersion) -> Questionnaire:
    """The parsed questionnaire version an HNA (or a Draft) answers, or of a stored version. Pass
    the HNA, not its `questionnaire_version`: reading that relationship is a query each time."""
    stored = isinstance(answered, QuestionnaireVersion)
    version_id = answered.id if stored else answered.questionnaire_version_id
    parsed_here = _parsed.setdefault(db.engine, {})
    parsed = parsed_here.get(version_id)
    if parsed is None:
        record = answered if stored else db.session.get(QuestionnaireVersion, version_id)
        parsed = parsed_here[version_id] = load_questionnaire(record.definition)
    return parsed


# ---------------------------------------------------------------- drafts


def current_draft(patient: PatientProfile) -> HNA | None:
    return db.session.scalar(_current_draft_statement(), {"patient_id": patient.id})


@cache
def _current_draft_statement():
    """Built once per process with the person as a bound parameter (issue 12): building it cost
    about as much as the rest of an answer saved (the JSON autosave's own work)."""
    return select(HNA).where(HNA.patient_id == bindparam("patient_id", type_=Integer),
                             HNA.status == HNAStatus.DRAFT)


@dataclass(slots=True)
class Draft:
    """A draft HNA as its question pages and answer saves need it, in plain values: read by one
    statement (`draft_to_answer`) and written by one (`apply_step`). Issue 12: loading the whole
    record and flushing it through the ORM was most of an answer saved."""

    id: int
    status: HNAStatus
    questionnaire_version_id: int
    offered_by_id: int | None
    pathway_point: PathwayPoint | None
    answers: dict[str, Any]
    last_step: str | None
    revision: int

    @classmethod
    def of(cls, hna: HNA) -> Draft:
        return cls(hna.id, hna.status, hna.questionnaire_version_id, hna.offered_by_id, hna.pathway_point,
                   hna.answers, hna.last_step, hna.revision)


def draft_to_answer(patient: PatientProfile | SignedInPatient) -> Draft | None:
    """The person's draft (as `current_draft`), to show a question of or save an answer to. Only
    the record's id is read (an answer saved passes the values read with the session)."""
    row = read_rows(_draft_to_answer_statement(), {"patient_id": patient.id}).first()
    return Draft(*row) if row is not None else None


@cache
def _draft_to_answer_statement() -> Select:
    hnas = HNA.__table__.c
    return (select(hnas.id, hnas.status, hnas.questionnaire_version_id, hnas.offered_by_id, hnas.pathway_point,
                   hnas.answers, hnas.last_step, hnas.revision)
            .where(hnas.patient_id == bindparam("patient_id", type_=Integer), hnas.status == HNAStatus.DRAFT))


def start_or_resume(patient: PatientProfile, offered_by: User | None = None,
                    pathway_point: PathwayPoint | None = None) -> HNA:
    """The person's draft, creating one if needed. A double tap never makes two."""
    draft = current_draft(patient)
    if draft is not None:
        return draft
    draft = HNA(
        patient_id=patient.id, team_id=patient.team_id,
        questionnaire_version_id=latest_version().id,
        offered_by_id=offered_by.id if offered_by else None,
        offered_at=utcnow() if offered_by else None,
        pathway_point=pathway_point, answers={},
    )
    draft, _added = added_or_found(draft, lambda: current_draft(patient))
    return draft


def current_draft_id(patient_id):
    """The id of the person's draft (`current_draft`: at most one, a unique index holds it), as a
    scalar subquery, for a page that reads several areas' records in one statement."""
    draft = aliased(HNA)
    return (select(draft.id).where(draft.patient_id == patient_id, draft.status == stored_value_in_sql(HNAStatus.DRAFT))
            .scalar_subquery())


def last_sent_id(patient_id):
    """The id of the last HNA the person sent, as a scalar subquery: the newest sent, the latest
    made of two sent at the same moment."""
    sent = aliased(HNA)
    return (select(sent.id).where(sent.patient_id == patient_id, sent.status == stored_value_in_sql(HNAStatus.SUBMITTED))
            .order_by(sent.submitted_at.desc(), sent.id.desc()).limit(1).scalar_subquery())


class AssessmentShown(NamedTuple):
    """What the page says of one HNA: never its answers (a whole questionnaire's JSON, which
    loading the HNA would parse for nothing)."""

    id: int
    status: HNAStatus
    offered_by_id: int | None
    offered_by_name: str | None
    offered_at: datetime | None
    pathway_point: PathwayPoint | None
    last_step: str | None
    submitted_at: datetime | None


class NeedsAssessment(NamedTuple):
    draft: AssessmentShown | None
    last_sent: AssessmentShown | None


@cache
def _needs_assessment_statement() -> Select:
    patient_id = bindparam("patient_id", type_=Integer)
    return (
        select(HNA.id, HNA.status, HNA.offered_by_id, User.display_name, HNA.offered_at, HNA.pathway_point,
               HNA.last_step, HNA.submitted_at)
        .outerjoin(User, User.id == HNA.offered_by_id)
        .where(HNA.patient_id == patient_id,
               or_(HNA.status == stored_value_in_sql(HNAStatus.DRAFT), HNA.id == last_sent_id(patient_id)))
    )


def needs_assessment_of(patient_id: int) -> NeedsAssessment:
    """The person's draft HNA and the last one they sent, in one statement of plain values, for
    the nurse's page for the person (issue 12: it took two, loading every HNA sent)."""
    rows = [AssessmentShown._make(row)
            for row in db.session.execute(_needs_assessment_statement(), {"patient_id": patient_id})]
    return NeedsAssessment(next((h for h in rows if h.status is HNAStatus.DRAFT), None),
                           next((h for h in rows if h.status is HNAStatus.SUBMITTED), None))


def submitted_hnas(patient: PatientProfile) -> list[HNA]:
    return list(db.session.scalars(_submitted_hnas_statement(), {"patient_id": patient.id}))


@cache
def _submitted_hnas_statement() -> Select:
    """Built once per process with the person as a bound parameter (issue 12)."""
    return (select(HNA).where(HNA.patient_id == bindparam("patient_id", type_=Integer),
                              HNA.status == HNAStatus.SUBMITTED)
            .order_by(HNA.submitted_at.desc()))


def hna_by_id(hna_id: int) -> HNA | None:
    return db.session.get(HNA, hna_id)


# The team's list shows at most this many: the most urgent come first.
TEAM_LIST_LIMIT = 200


def submitted_for_team(team_id: int | None) -> list[HNA]:
    """The team's sent HNAs, most urgent first: an urgent symptom, high priority, distress, how
    many concerns scored high, then the longest waiting."""
    return list(db.session.scalars(
        select(HNA).where(HNA.team_id == team_id, HNA.status == HNAStatus.SUBMITTED)
        .order_by(HNA.has_urgent_symptom.desc(), HNA.high_priority.desc(), HNA.distress.desc(),
                  HNA.high_scoring_count.desc(), HNA.submitted_at)
        .limit(TEAM_LIST_LIMIT)
    ))


# ---------------------------------------------------------------- steps


def journey(hna: HNA, questionnaire: Questionnaire) -> list[str]:
    """Every page of the journey, in order. The same for everyone offered it the same way,
    so the pages can be prepared for offline use before the person reaches them."""
    steps: list[str] = [STEP_POINT] if hna.offered_by_id is None else []
    steps.append(rules.STEP_DISTRESS)
    steps += [rules.domain_step(d.id) for d in questionnaire.domains]
    steps.append(rules.STEP_TOP)
    steps.append(rules.STEP_ANYTHING_ELSE)
    steps += [rules.matters_step(q.id) for q in questionnaire.what_matters]
    return steps


def resume_step(hna: HNA, questionnaire: Questionnaire) -> str:
    """Where to take someone who comes back: the first unanswered page after their last one."""
    steps = journey(hna, questionnaire)
    if hna.last_step in steps:
        i = steps.index(hna.last_step)
        return steps[i + 1] if i + 1 < len(steps) else steps[i]
    return steps[0]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    raise rules.AnswerError("answer", "Select from the options shown")


def apply_step(hna: HNA | Draft, questionnaire: Questionnaire, step: str, data: Mapping[str, Any]) -> StepResult:
    """Validate one page's answers and store them on the draft; nothing is stored on error.
    Another save of the draft since it was read is a write clash (StaleDataError), as for the
    ORM's own version check: the caller's `write_with_retries` reads the draft again."""
    if hna.status is not HNAStatus.DRAFT:
        raise AlreadySubmitted()
    if step not in journey(hna, questionnaire):
        raise StepNotFound(step)
    answers = dict(hna.answers or {})
    pathway_point = hna.pathway_point
    try:
        if step == STEP_POINT:
            try:
                pathway_point = PathwayPoint(data.get("pathway_point"))
            except ValueError as exc:
                raise rules.AnswerError("pathway_point", "Select where you are in your treatment") from exc
        elif step == rules.STEP_DISTRESS:
            answers["distress"] = rules.validate_distress(data.get("distress"))
        elif step.startswith("domain:"):
            # One page per domain: tick the concerns that apply and score each one.
            domain = questionnaire.domain(step[len("domain:"):])
            none = data.get("none") in (True, "true", "1", "on", "none") or "none" in _as_list(data.get("concerns"))
            chosen = [c for c in _as_list(data.get("concerns")) if c != "none"]
            selected = rules.validate_domain_selection(questionnaire, domain.id, chosen, none)
            scores = data.get("scores") or {}
            if not isinstance(scores, Mapping):
                raise rules.AnswerError("scores", "Choose a number from 0 to 10")
            scored = {}
            for item_id in selected:
                try:
                    scored[item_id] = rules.validate_concern_score(scores.get(item_id), field=f"score-{item_id}")
                except rules.AnswerError as exc:
                    text = questionnaire.concern(item_id).text
                    raise rules.AnswerError(exc.field, f"Enter a number from 0 to 10 for ‘{text}’") from exc
            _set_domain(answers, domain, scored)
        elif step == rules.STEP_TOP:
            selected = list((answers.get("concerns") or {}).keys())
            answers["top_concerns"] = rules.validate_top_concerns(
                questionnaire, _as_list(data.get("top_concerns")), selected
            )
        elif step == rules.STEP_ANYTHING_ELSE:
            answers["anything_else"] = rules.validate_free_text(
                data.get("text", ""), questionnaire.other_concern.max_length, field="text"
            )
        elif step.startswith("matters:"):
            qid = step[len("matters:"):]
            question = next((q for q in questionnaire.what_matters if q.id == qid), None)
            if question is None:
                raise StepNotFound(step)
            matters = dict(answers.get("what_matters") or {})
            matters[qid] = rules.validate_free_text(data.get("text", ""), question.max_length, field="text")
            answers["what_matters"] = matters
        else:
            raise StepNotFound(step)
    except rules.AnswerError as exc:
        return StepResult({exc.field: exc.message})
    except KeyError:
        return StepResult({"answer": "Select from the options shown"})
    _store_step(hna, answers=answers, pathway_point=pathway_point, last_step=step)
    return StepResult({})


def _store_step(draft: HNA | Draft, **stored) -> None:
    """One UPDATE of the draft's answers, if no other save has changed it since it was read (its
    revision, the HNA's version counter); the draft passed in then holds what is stored, and an
    HNA record stays unchanged to the ORM, so nothing is flushed for it again."""
    stored |= {"updated_at": utcnow(), "revision": draft.revision + 1}
    # Kept compiled and sent to the driver (plain_rows.write_row): a plain UPDATE has nothing for
    # the ORM's execution and its events to do, nor for Core's once compiled.
    written = write_row(_store_step_statement(), {
        "draft_id": draft.id, "read_revision": draft.revision, **{f"new_{key}": value for key, value in stored.items()}})
    if written != 1:
        raise StaleDataError(f"HNA {draft.id} was changed by another save since revision {draft.revision}")
    for key, value in stored.items():
        if isinstance(draft, HNA):
            set_committed_value(draft, key, value)
        elif key != "updated_at":  # not part of a Draft
            setattr(draft, key, value)


@cache
def _store_step_statement() -> Update:
    hnas = HNA.__table__
    return (update(hnas).where(hnas.c.id == bindparam("draft_id"), hnas.c.revision == bindparam("read_revision"))
            .values({column: bindparam(f"new_{column}")
                     for column in ("answers", "pathway_point", "last_step", "updated_at", "revision")}))


def _set_domain(answers: dict, domain, scored: dict[str, int]) -> None:
    selected = list(scored)
    concerns = {k: v for k, v in (answers.get("concerns") or {}).items() if k not in domain.item_ids}
    concerns.update(scored)
    answers["concerns"] = concerns
    none = set(answers.get("domains_none") or [])
    if selected:
        none.discard(domain.id)
    else:
        none.add(domain.id)
    answers["domains_none"] = sorted(none)
    answers["top_concerns"] = [c for c in answers.get("top_concerns") or [] if c in concerns]


def restore_kept_answer(draft: HNA | None, kept: Mapping[str, Any]) -> bool:
    """Apply an answer posted after the person's session timed out (kept on the server until
    they signed in again, see app/sessions.py). True when it was saved on the draft."""
    if draft is None or kept.get("kind") != "hna" or not isinstance(kept.get("data"), Mapping):
        return False
    questionnaire = questionnaire_of(draft)
    try:
        return apply_step(draft, questionnaire, str(kept.get("step")), kept["data"]).ok
    except (StepNotFound, AlreadySubmitted):
        return False


POINT_QUESTION = "Where are you in your treatment?"


def step_question(questionnaire: Questionnaire, step: str) -> str:
    """The question a step asks, in the words its page shows (never the step's internal name)."""
    if step == STEP_POINT:
        return POINT_QUESTION
    if step == rules.STEP_DISTRESS:
        return questionnaire.distress.question
    if step.startswith("domain:"):
        return questionnaire.domain(step[len("domain:"):]).question
    if step == rules.STEP_TOP:
        return questionnaire.top_concerns.question
    if step == rules.STEP_ANYTHING_ELSE:
        return questionnaire.other_concern.question
    if step.startswith("matters:"):
        for question in questionnaire.what_matters:
            if question.id == step[len("matters:"):]:
                return question.question
    raise StepNotFound(step)


def missing(hna: HNA, questionnaire: Questionnaire) -> list[str]:
    steps = journey(hna, questionnaire)
    gaps = rules.missing_for_submission(questionnaire, hna.answers or {})
    if STEP_POINT in steps and hna.pathway_point is None:
        gaps.insert(0, STEP_POINT)
    # The domain rules call it one "scores" step; here scores are asked on each domain's page.
    if rules.STEP_SCORES in gaps:
        gaps.remove(rules.STEP_SCORES)
        concerns = (hna.answers or {}).get("concerns", {})
        for d in questionnaire.domains:
            step = rules.domain_step(d.id)
            if step not in gaps and any(concerns.get(i, 0) is None for i in d.item_ids if i in concerns):
                gaps.append(step)
    return gaps


def submit(hna: HNA, questionnaire: Questionnaire) -> list[str]:
    """Submit the draft; returns the steps still missing (nothing changes then)."""
    if hna.status is HNAStatus.SUBMITTED:
        return []
    gaps = missing(hna, questionnaire)
    if gaps:
        return gaps
    answers = hna.answers or {}
    priority = rules.hna_priority(answers.get("distress"), answers.get("concerns") or {}, questionnaire)
    hna.status = HNAStatus.SUBMITTED
    hna.submitted_at = utcnow()
    hna.distress = answers.get("distress")
    hna.high_priority = priority.level == rules.LEVEL_HIGH
    hna.high_scoring_count = len(priority.high_scoring_concerns)
    urgent = urgent_concerns(hna, questionnaire)
    hna.urgent_symptoms = [c.id for c in urgent]
    hna.has_urgent_symptom = bool(hna.urgent_symptoms)
    db.session.flush()
    triage.raise_for_hna(hna, urgent_symptoms=[c.text for c in urgent],
                         emergencies=[c.text for c in emergency_concerns(hna, questionnaire)])
    return []


def urgent_concerns(hna: HNA, questionnaire: Questionnaire) -> list:
    """Ticked concerns that come with advice not to wait (e.g. a fever during chemotherapy)."""
    chosen = (hna.answers or {}).get("concerns") or {}
    return [questionnaire.concern(i) for i in questionnaire.all_concern_ids if i in chosen and questionnaire.concern(i).urgent]


def emergency_concerns(hna: HNA, questionnaire: Questionnaire) -> list:
    """Ticked concerns that may be an emergency (e.g. a fever after chemotherapy: possible
    sepsis): the person is told at once to call, and the team's queue gets an emergency."""
    return [c for c in urgent_concerns(hna, questionnaire) if rules.emergency_of(questionnaire, c.id)]


def emergency_advice(questionnaire: Questionnaire, concern_ids, pathway: str) -> dict | None:
    """What templates/partials/emergency.html shows for these ticked concerns, when any may be
    an emergency: the pathway content's words for it (the one source of the urgent advice,
    e.g. "37.5°C or more") and what to do; None when none is."""
    from ..followup.pathway_content import PathwayContentError, bundled_definition, pathway_content

    ids = dict.fromkeys(e for c in concern_ids if (e := rules.emergency_of(questionnaire, c)))
    if not ids:
        return None
    try:
        content = pathway_content(pathway)
    except PathwayContentError:  # the emergencies are the same on every pathway
        content = next(iter(bundled_definition().pathways.values()))
    return {"symptoms": [content.symptom(i).text for i in ids], "advice": content.emergency_advice}


# ---------------------------------------------------------------- the team's reply


class HNAQueueItem(NamedTuple):
    """An HNA's queue item as the team's pages and the reply's target read it: plain values, who
    resolved it in the same row (no ORM objects: loading the item and two people through joined
    loads was most of what the HNA review page read, issue 12)."""

    id: int
    source_key: str
    kind: ItemKind
    status: ItemStatus
    outcome: Outcome | None
    received_at: datetime
    due_at: datetime
    resolved_at: datetime | None
    resolved_by_name: str | None


def queue_items_for(hnas) -> dict[int, HNAQueueItem]:
    """Each HNA's queue item (raised as "hna:<id>"), in one query: {hna id: HNAQueueItem}. What
    the team's pages say about the reply, so they say what the queue says."""
    keys = {source_key(HNA_SOURCE, hna.id): hna.id for hna in hnas}
    if not keys:
        return {}
    rows = read_rows(_queue_items_statement(), {"source_keys": list(keys)})
    return {keys[item.source_key]: item for item in map(HNAQueueItem._make, rows)}


_RESOLVER = aliased(User)


@cache
def _queue_items_statement() -> Select:
    """Built once per process, the keys a bound parameter expanded as sent (issue 12): building
    it cost more than running it."""
    return (select(QueueItem.id, QueueItem.source_key, QueueItem.kind, QueueItem.status, QueueItem.outcome,
                   QueueItem.received_at, QueueItem.due_at, QueueItem.resolved_at, _RESOLVER.display_name)
            # Who dealt with it, in the same statement (by the users' primary key).
            .outerjoin(_RESOLVER, _RESOLVER.id == QueueItem.resolved_by_id)
            .where(QueueItem.source_key.in_(bindparam("source_keys", expanding=True))))


def is_queue_item_of(item, hna_id):
    """`queue_items_for`'s rule in SQL, for a page that reads an HNA's item in the same
    statement: `item` (QueueItem or an alias of it) was raised for the HNA `hna_id`."""
    return item.source_key == source_key_of(HNA_SOURCE, hna_id)


@dataclass(frozen=True)
class ReplyTarget:
    kind: ItemKind
    received_at: datetime
    due_at: datetime
    working_days: int


def reply_target(hna: HNA, now: datetime | None = None) -> ReplyTarget:
    """The queue's target for the team's reply: its queue item's once sent, else the one the
    queue would give it (a possible emergency or urgent symptom: the same working day) if it
    were sent `now`."""
    item = queue_items_for([hna]).get(hna.id) if hna.submitted_at else None
    if item is not None:
        return ReplyTarget(item.kind, item.received_at, item.due_at, triage.target_working_days(hna.patient.team, item.kind))
    questionnaire = questionnaire_of(hna)
    if hna.submitted_at:
        high, urgent = hna.high_priority, hna.has_urgent_symptom
    else:
        high = ((hna.answers or {}).get("distress") or 0) >= questionnaire.distress.threshold
        urgent = bool(urgent_concerns(hna, questionnaire))
    kind = kind_for_hna(high, urgent, emergency=bool(emergency_concerns(hna, questionnaire)))
    received = hna.submitted_at or now or utcnow()
    days = triage.target_working_days(hna.patient.team, kind)
    return ReplyTarget(kind, received, response_deadline(received, days), days)


def reply_due(hna: HNA) -> datetime:
    """When the team aims to reply (see reply_target)."""
    return reply_target(hna).due_at


def reply_promise(hna: HNA, now: datetime) -> str:
    """What the person is told about when the team will see it: the queue's own deadline."""
    target = reply_target(hna, now)
    return when_team_sees_it(target.received_at, target.due_at, target.working_days, now)


def reply_state(hna: HNA, item, now) -> dict:
    """The reply to an HNA as the team's pages show it: from its queue item (due, overdue or
    done, with a link to it), or, for an HNA with no item, the computed target."""
    if item is None:
        due = reply_due(hna)
        return {"item": None, "done": False, "due_at": due, "overdue": now > due,
                "words": due_in_words(due, now)}
    if item.status is ItemStatus.RESOLVED:
        outcome = OUTCOME_LABELS[item.outcome] if item.outcome else "Resolved"
        who = f" by {item.resolved_by_name}" if item.resolved_by_name else ""
        return {"item": item, "done": True, "due_at": item.due_at, "overdue": False,
                "words": f"Done: {outcome}{who} on {long_date(item.resolved_at)}"}
    return {"item": item, "done": False, "due_at": item.due_at, "overdue": now > item.due_at,
            "words": due_in_words(item.due_at, now)}


# ---------------------------------------------------------------- offers from the care team


@dataclass
class Offer:
    hna: HNA
    # "offered": a new draft; "recorded": the offer added to a draft the person had started;
    # "already_offered": a draft was offered already, so nothing changed.
    outcome: str


def offer(patient: PatientProfile, by: User, pathway_point: PathwayPoint) -> Offer:
    """The care team asks the person to fill in an HNA at a point of their pathway.

    There is at most one draft per person, so a repeated or double-submitted offer changes
    nothing; an offer on a draft the person started themselves is recorded on that draft (the
    team's point of pathway then stands, and the person is not asked it again). A new offer
    goes to the person's phone once it is committed (reminders).
    """
    made = _record_offer(patient, by, pathway_point)
    if made.outcome != "already_offered":
        from ..reminders.tasks import notify_after_commit

        notify_after_commit(patient.user_id, f"hna:offered:{made.hna.id}")
    return made


def _record_offer(patient: PatientProfile, by: User, pathway_point: PathwayPoint) -> Offer:
    draft = current_draft(patient)
    if draft is not None and draft.offered_by_id is not None:
        return Offer(draft, "already_offered")
    if draft is not None:
        draft.offered_by_id, draft.offered_at = by.id, utcnow()
        draft.pathway_point = pathway_point
        db.session.flush()
        return Offer(draft, "recorded")
    draft = start_or_resume(patient, offered_by=by, pathway_point=pathway_point)
    if draft.offered_by_id != by.id and draft.offered_by_id is not None:
        return Offer(draft, "already_offered")  # a colleague offered one a moment ago
    if draft.offered_by_id is None:  # the person started one a moment ago
        draft.offered_by_id, draft.offered_at = by.id, utcnow()
        draft.pathway_point = pathway_point
        db.session.flush()
        return Offer(draft, "recorded")
    return Offer(draft, "offered")
