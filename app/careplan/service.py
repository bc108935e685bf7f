"""Care plans as plain operations on records: read the current plan and its history, draft a
plan from an HNA, save a new version (never an edit in place), and say what changed.

A nurse saves on top of the version she opened (`base_version`). If a colleague saved in the
meantime, `save_new_version` raises `PlanChanged` instead of overwriting their work; the unique
(patient, version) constraint catches the same race when two saves arrive together.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, bindparam, or_, select, update
from sqlalchemy.orm import aliased, joinedload

from .. import versioning
from ..directory.models import CATEGORY_LABELS, Service
from ..extensions import db
from ..hna.models import HNA
from ..models import PatientProfile, PersonOnPage, User
from ..plain_rows import read_rows
from ..sessions import SignedInPatient
from ..timeutil import utcnow
from ..triage.queue import ItemKind
from .models import ActionOwner, CarePlan, CarePlanItem, Support

# Who does it, as the nurse reads it and as the person reads it about themselves.
OWNER_LABELS = {
    ActionOwner.PATIENT: "The patient",
    ActionOwner.KEY_WORKER: "Key worker",
    ActionOwner.GP: "GP",
    ActionOwner.SERVICE: "A service",
    ActionOwner.OTHER: "Someone else",
}
OWNER_LABELS_FOR_PATIENT = {
    ActionOwner.PATIENT: "You",
    ActionOwner.KEY_WORKER: "Your key worker",
    ActionOwner.GP: "Your GP",
    ActionOwner.SERVICE: "The service",
    ActionOwner.OTHER: "Someone else",
}
SUPPORT_LABELS = {
    Support.NONE: "No referral or signposting",
    Support.REFERRAL: "Referral",
    Support.SIGNPOSTING: "Signposting",
}
SUPPORT_LABELS_FOR_PATIENT = {
    Support.NONE: None,
    Support.REFERRAL: "We have referred you to",
    Support.SIGNPOSTING: "We suggest you contact",
}
# Concerns scored this high or more are drafted into the plan, after the person's top ones.
DRAFT_SCORE_THRESHOLD = 7


class PlanChanged(Exception):
    """Someone saved a newer version than the one the nurse started from."""

    def __init__(self, current: CarePlan | None) -> None:
        super().__init__("The care plan changed while it was being edited")
        self.current = current


@dataclass
class ItemInput:
    """One concern of a plan as typed in (or drafted): what `save_new_version` stores."""

    concern: str
    concern_id: str | None = None
    domain: str | None = None
    agreed: str = ""
    action: str = ""
    owner: ActionOwner = ActionOwner.KEY_WORKER
    owner_name: str = ""
    support: Support = Support.NONE
    service_id: int | None = None

    @classmethod
    def from_item(cls, item: CarePlanItem) -> "ItemInput":
        return cls(
            concern=item.concern, concern_id=item.concern_id, domain=item.domain,
            agreed=item.agreed or "", action=item.action or "", owner=item.owner,
            owner_name=item.owner_name or "", support=item.support, service_id=item.service_id,
        )


def who_words(item, for_patient: bool = False) -> str:
    """Who will do a concern's action (a stored item or an ItemOnPage), for the team or the person."""
    label = (OWNER_LABELS_FOR_PATIENT if for_patient else OWNER_LABELS)[item.owner]
    return f"{label} ({item.owner_name})" if item.owner_name else label


def support_words(item, for_patient: bool = False) -> str | None:
    """What support a concern has, for the team or the person."""
    return (SUPPORT_LABELS_FOR_PATIENT if for_patient else SUPPORT_LABELS)[item.support]


# ---------------------------------------------------------------- reading


def current_plan_id(patient_id: int):
    """The id of the person's current version (the rule `current_plan` reads by), as a scalar
    subquery, for a page that reads several areas' records in one statement."""
    version = aliased(CarePlan)
    return (select(version.id).where(version.patient_id == patient_id, version.is_current.is_(True))
            .order_by(version.version.desc()).limit(1).scalar_subquery())


def current_plan(patient: PatientProfile, with_items: bool = False) -> CarePlan | None:
    """The current version; `with_items`: its items and their services in the same query, for a
    page that shows them."""
    return db.session.scalars(_current_plan_statement(with_items), {"patient_id": patient.id}).unique().first()


@cache
def _current_plan_statement(with_items: bool):
    """Built once per process (per shape) with the person as a bound parameter (issue 12):
    building it (the joined loads above all) cost more than running it."""
    stmt = (select(CarePlan).where(CarePlan.patient_id == bindparam("patient_id", type_=Integer),
                                   CarePlan.is_current.is_(True))
            .order_by(CarePlan.version.desc()).limit(1))
    if with_items:
        stmt = stmt.options(_ITEMS_AND_SERVICES)
    return stmt


_ITEMS_AND_SERVICES = joinedload(CarePlan.items).joinedload(CarePlanItem.service)


def plan_for_patient_page(patient: PatientProfile | SignedInPatient) -> tuple[PlanOnPage | None, PlanOnPage | None]:
    """The current version and `last_seen_before` it (what changed since is shown), each with its
    items and their services, as plain values (`PlanOnPage`), for the person's plan page: one
    statement, and a second only when there is an earlier version they opened."""
    rows = read_rows(_plan_on_page_statement(True), {"patient_id": patient.id}).all()
    if not rows:
        return None, None
    plan, last_seen_id = _plan_on_page(rows), rows[0].last_seen_id
    if last_seen_id is None:
        return plan, None
    return plan, _plan_on_page(read_rows(_plan_on_page_statement(False), {"plan_id": last_seen_id}).all())


class ServiceOnPage(NamedTuple):
    """What the person's plan page shows of a service (templates/careplan/_items.html)."""

    name: str
    description: str | None
    phone: str | None
    hours: str | None
    email: str | None
    website: str | None
    address: str | None


class ItemOnPage(NamedTuple):
    """A concern of the plan as the person's page shows it and `changes_between` compares it."""

    concern: str
    concern_id: str | None
    domain: str | None
    agreed: str | None
    action: str | None
    owner: ActionOwner
    owner_name: str | None
    support: Support
    service_id: int | None
    service: ServiceOnPage | None


class PlanOnPage(NamedTuple):
    """A version of the plan as the person's page reads it: the columns it shows, its author's
    name and its items, in order."""

    id: int
    patient_id: int
    version: int
    is_current: bool
    review_date: date
    summary: str | None
    change_note: str | None
    created_at: Any
    seen_by_patient_at: Any
    created_by: PersonOnPage
    items: tuple[ItemOnPage, ...]


_PLAN_ON_PAGE_COLUMNS = (CarePlan.id, CarePlan.patient_id, CarePlan.version, CarePlan.is_current, CarePlan.review_date,
                         CarePlan.summary, CarePlan.change_note, CarePlan.created_at, CarePlan.seen_by_patient_at)
_ITEM_ON_PAGE_COLUMNS = (CarePlanItem.concern, CarePlanItem.concern_id, CarePlanItem.domain, CarePlanItem.agreed,
                         CarePlanItem.action, CarePlanItem.owner, CarePlanItem.owner_name, CarePlanItem.support,
                         CarePlanItem.service_id)
_SERVICE_ON_PAGE_COLUMNS = (Service.id, Service.name, Service.description, Service.phone, Service.hours, Service.email,
                            Service.website, Service.address)


@cache
def _plan_on_page_statement(current: bool):
    """One row per item (one with no item for a plan without any), the plan's columns and its
    author's name on each: the person's current version (`current`, by `current_plan_id`'s rule,
    with the id of `last_seen_before` it) or the version with a given id. Built once per process
    with bound parameters (issue 12); plain rows (`read_rows`), as loading the plan, its items and
    their services as ORM objects cost more than the rest of the view."""
    columns = (*_PLAN_ON_PAGE_COLUMNS, User.display_name, *_ITEM_ON_PAGE_COLUMNS, *_SERVICE_ON_PAGE_COLUMNS)
    if current:
        columns += (_last_seen_before(CarePlan).label("last_seen_id"),)
        chosen = CarePlan.id == current_plan_id(bindparam("patient_id", type_=Integer))
    else:
        chosen = CarePlan.id == bindparam("plan_id", type_=Integer)
    return (select(*columns).join(User, User.id == CarePlan.created_by_id)
            .outerjoin(CarePlanItem, CarePlanItem.plan_id == CarePlan.id)
            .outerjoin(Service, Service.id == CarePlanItem.service_id)
            .where(chosen).order_by(CarePlanItem.position))


_PLANNED = len(_PLAN_ON_PAGE_COLUMNS)
_ITEMS_FROM = _PLANNED + 1
_SERVICE_FROM = _ITEMS_FROM + len(_ITEM_ON_PAGE_COLUMNS)
_SERVICE_TO = _SERVICE_FROM + len(_SERVICE_ON_PAGE_COLUMNS)


def _plan_on_page(rows) -> PlanOnPage:
    first = rows[0]
    items = tuple(
        ItemOnPage(*row[_ITEMS_FROM:_SERVICE_FROM],
                   ServiceOnPage(*row[_SERVICE_FROM + 1:_SERVICE_TO]) if row[_SERVICE_FROM] is not None else None)
        for row in rows if row[_ITEMS_FROM] is not None
    )
    return PlanOnPage(*first[:_PLANNED], PersonOnPage(first[_PLANNED]), items)


def plan_versions(patient: PatientProfile) -> list[CarePlan]:
    """Every version, newest first."""
    return list(db.session.scalars(
        select(CarePlan).where(CarePlan.patient_id == patient.id).order_by(CarePlan.version.desc())
    ))


def plan_version(patient: PatientProfile, version: int) -> CarePlan | None:
    return db.session.scalar(
        select(CarePlan).where(CarePlan.patient_id == patient.id, CarePlan.version == version)
    )


def previous_version(plan: CarePlan) -> CarePlan | None:
    if plan.version <= 1:
        return None
    return db.session.scalar(
        select(CarePlan).where(CarePlan.patient_id == plan.patient_id, CarePlan.version == plan.version - 1)
    )


def services_for(patient: PatientProfile) -> list[Service]:
    """Active services the person's team can use: their own team's and national ones."""
    return list(db.session.scalars(
        select(Service).where(
            Service.active.is_(True),
            or_(Service.team_id == patient.team_id, Service.team_id.is_(None)),
        ).order_by(Service.category, Service.name, Service.id)
    ))


def suggested_services(services: Sequence[Service], concern_id: str | None,
                       domain: str | None) -> tuple[list[Service], list[Service]]:
    """(suggested, others) for a concern: services whose category fits the concern best come
    first, in the order app/content/careplan/service-suggestions-v1.json gives the categories,
    then services for the concern's domain; the others follow by category and name."""
    from . import suggestions

    current = suggestions.current()
    if not current.suggests_services(concern_id):
        return [], sorted(services, key=lambda s: (CATEGORY_LABELS[s.category], s.name.casefold()))
    categories = current.categories_for(concern_id)
    by_category = [s for c in categories for s in services if s.category is c]
    by_domain = [s for s in services if domain and domain in (s.domains or []) and s not in by_category]
    suggested = by_category + by_domain
    others = sorted(
        (s for s in services if s not in suggested),
        key=lambda s: (CATEGORY_LABELS[s.category], s.name.casefold()),
    )
    return suggested, others


def service_options(services: Sequence[Service], domain: str | None,
                    concern_id: str | None = None) -> list[tuple[int, str]]:
    """(id, label) for a select: the suggested services first (see `suggested_services`), then
    the rest by category (the design system's select has no option groups, so the group is in
    the label)."""
    suggested, others = suggested_services(services, concern_id, domain)
    return [(s.id, f"Suggested: {s.name} ({CATEGORY_LABELS[s.category]})") for s in suggested] + [
        (s.id, f"{CATEGORY_LABELS[s.category]}: {s.name}") for s in others
    ]


# ---------------------------------------------------------------- drafting


def draft_items_from_hna(hna: HNA) -> list[ItemInput]:
    """The person's top concerns first (in their order), then the others scored 7 or more
    (highest first), each with its domain and wording from the questionnaire they answered."""
    from ..hna.service import questionnaire_of

    questionnaire = questionnaire_of(hna)
    answers = hna.answers or {}
    scores: dict[str, int | None] = dict(answers.get("concerns") or {})
    chosen = [c for c in dict.fromkeys(answers.get("top_concerns") or []) if c in scores]
    high = sorted(
        (c for c, s in scores.items() if s is not None and s >= DRAFT_SCORE_THRESHOLD and c not in chosen),
        key=lambda c: (-(scores[c] or 0), questionnaire.concern_order(c)),
    )
    return [
        ItemInput(
            concern=questionnaire.concern(c).text[:200], concern_id=c,
            domain=questionnaire.domain_of(c).id,
        )
        for c in [*chosen, *high]
    ]


def merge_drafts(existing: Sequence[ItemInput], drafted: Sequence[ItemInput]) -> list[ItemInput]:
    """The current plan's concerns, then concerns from a new HNA that the plan does not cover."""
    known = {_key(i.concern_id, i.concern) for i in existing}
    return [*existing, *(i for i in drafted if _key(i.concern_id, i.concern) not in known)]


# ---------------------------------------------------------------- saving


def save_new_version(
    patient: PatientProfile,
    base_version: int,
    items: Sequence[ItemInput],
    review_date: date,
    summary: str | None,
    change_note: str | None,
    hna: HNA | None,
    by: User,
) -> CarePlan:
    """Store the plan as version base_version + 1 and make it the current one.

    `base_version` is the version the nurse started from (0 for a first plan). Raises
    PlanChanged, changing nothing, if that is no longer the current version.
    """
    if not items:
        raise ValueError("A care plan needs at least one concern")
    if hna is not None and hna.patient_id != patient.id:
        raise ValueError("The HNA belongs to someone else")
    current = current_plan(patient)
    current_version = current.version if current is not None else 0
    if base_version != current_version:
        raise PlanChanged(current)
    plan = CarePlan(
        patient_id=patient.id, team_id=patient.team_id, version=current_version + 1,
        is_current=True, hna_id=hna.id if hna is not None else None, review_date=review_date,
        summary=(summary or "").strip() or None, change_note=(change_note or "").strip() or None,
        created_by_id=by.id, created_at=utcnow(),
        items=[
            CarePlanItem(
                position=n, concern_id=i.concern_id, domain=i.domain, concern=i.concern.strip(),
                agreed=i.agreed.strip() or None, action=i.action.strip() or None, owner=i.owner,
                owner_name=i.owner_name.strip() or None, support=i.support,
                service_id=i.service_id if i.support is not Support.NONE else None,
            )
            for n, i in enumerate(items, start=1)
        ],
    )
    if not versioning.replace_current(current, plan):
        # Another save took the same version number a moment ago.
        raise PlanChanged(current_plan(patient))
    from ..reminders.tasks import notify_after_commit

    notify_after_commit(patient.user_id, f"care_plan_updated:{plan.id}")
    return plan


def same_content(plan: CarePlan, items: Sequence[ItemInput], review_date: date, summary: str | None) -> bool:
    """Whether `plan` already says exactly this (a retried or double-clicked save)."""
    stored = [ItemInput.from_item(i) for i in plan.items]
    typed = [
        ItemInput(
            concern=i.concern.strip(), concern_id=i.concern_id, domain=i.domain,
            agreed=i.agreed.strip(), action=i.action.strip(), owner=i.owner,
            owner_name=i.owner_name.strip(), support=i.support,
            service_id=i.service_id if i.support is not Support.NONE else None,
        )
        for i in items
    ]
    return (
        stored == typed and plan.review_date == review_date
        and (plan.summary or "") == (summary or "").strip()
    )


# ---------------------------------------------------------------- what changed


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ItemChange:
    concern: str
    fields: tuple[FieldChange, ...]
    # The concern as it was and as it is, for saying what changed in the person's own words.
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class PlanChanges:
    added: tuple[Any, ...] = ()
    removed: tuple[Any, ...] = ()
    changed: tuple[ItemChange, ...] = ()
    review_date: tuple[date, date] | None = None
    summary_changed: bool = False

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.review_date or self.summary_changed)


def _key(concern_id: str | None, concern: str) -> str:
    return f"id:{concern_id}" if concern_id else "text:" + " ".join(concern.casefold().split())


def _who(item) -> str:
    label = OWNER_LABELS[item.owner]
    return f"{label} ({item.owner_name})" if item.owner_name else label


def _support(item) -> str:
    if item.support is Support.NONE:
        return SUPPORT_LABELS[Support.NONE]
    name = item.service.name if item.service is not None else "no service chosen"
    return f"{SUPPORT_LABELS[item.support]}: {name}"


_COMPARED = (
    ("What was agreed", lambda i: i.agreed or ""),
    ("What will happen", lambda i: i.action or ""),
    ("Who will do it", _who),
    ("Support", _support),
)


def changes_between(old: CarePlan | None, new: CarePlan) -> PlanChanges:
    """What changed from `old` to `new`: concerns added or removed (matched by their HNA item,
    or by their words when typed in), changed fields of the others, the review date, the summary."""
    if old is None:
        return PlanChanges(added=tuple(new.items))
    before = {_key(i.concern_id, i.concern): i for i in old.items}
    after = {_key(i.concern_id, i.concern): i for i in new.items}
    changed = []
    for key, item in after.items():
        if key not in before:
            continue
        fields = tuple(
            FieldChange(label, read(before[key]), read(item))
            for label, read in _COMPARED
            if read(before[key]) != read(item)
        )
        if fields:
            changed.append(ItemChange(item.concern, fields, before[key], item))
    return PlanChanges(
        added=tuple(i for k, i in after.items() if k not in before),
        removed=tuple(i for k, i in before.items() if k not in after),
        changed=tuple(changed),
        review_date=(old.review_date, new.review_date) if old.review_date != new.review_date else None,
        summary_changed=(old.summary or "") != (new.summary or ""),
    )


# ---------------------------------------------------------------- what changed, for the person


def _last_seen_before(plan):
    """The id of the newest earlier version than `plan` (an entity in the outer statement) the
    person has opened: what they last knew of their plan. A scalar subquery."""
    earlier = aliased(CarePlan)
    return (select(earlier.id).where(earlier.patient_id == plan.patient_id, earlier.version < plan.version,
                                     earlier.seen_by_patient_at.is_not(None))
            .order_by(earlier.version.desc()).limit(1).scalar_subquery())


def mark_seen(plan: PlanOnPage) -> bool:
    """Record that the person has opened this version (the first time only). True if new. One
    UPDATE by id, only of a version not yet marked (another tab may have just marked it), sent
    through the session's connection in its transaction, as the audit's INSERT is: a plain
    statement needs none of the ORM's execution."""
    if plan.seen_by_patient_at is not None:
        return False
    db.session.connection().execute(_mark_seen_statement(), {"plan_id": plan.id, "now": utcnow()})
    return True


@cache
def _mark_seen_statement():
    return (update(CarePlan.__table__)
            .where(CarePlan.__table__.c.id == bindparam("plan_id"), CarePlan.__table__.c.seen_by_patient_at.is_(None))
            .values(seen_by_patient_at=bindparam("now")))


def _service_name(item) -> str:
    return item.service.name if item.service is not None else "a service"


def _support_sentence(concern: str, old, new) -> str:
    if new.support is Support.NONE:
        return f"{concern}: {_service_name(old)} is no longer part of your plan."
    if old.support is Support.NONE:
        verb = "we have referred you to" if new.support is Support.REFERRAL else "we suggest you contact"
        return f"{concern}: {verb} {_service_name(new)}."
    if old.support is new.support:
        what = "your referral" if new.support is Support.REFERRAL else "the service we suggest"
        return f"{concern}: {what} changed from {_service_name(old)} to {_service_name(new)}."
    if new.support is Support.REFERRAL:
        return f"{concern}: we have now referred you to {_service_name(new)}."
    return f"{concern}: instead of a referral, we suggest you contact {_service_name(new)}."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def changes_for_patient(changes: PlanChanges) -> list[str]:
    """What changed, in plain sentences about "you" ("Added: Pain.", "Your review date moved to
    3 March 2027."). Free text the person can read below is named, not quoted."""
    from ..timeutil import long_date

    lines = [f"Added: {i.concern}." for i in changes.added]
    lines += [f"Removed: {i.concern}." for i in changes.removed]
    for change in changes.changed:
        old, new = change.before, change.after
        for field in change.fields:
            if field.label == "What was agreed":
                lines.append(f"{change.concern}: what you agreed changed.")
            elif field.label == "What will happen":
                lines.append(f"{change.concern}: what will happen changed.")
            elif field.label == "Who will do it" and old is not None and new is not None:
                lines.append(f"{change.concern}: who will do it changed from "
                             f"{_lower_first(_who_for_patient(old))} to {_lower_first(_who_for_patient(new))}.")
            elif field.label == "Support" and old is not None and new is not None:
                lines.append(_support_sentence(change.concern, old, new))
            else:
                lines.append(f"{change.concern}: {field.label.lower()} changed.")
    if changes.review_date:
        lines.append(f"Your review date moved to {long_date(changes.review_date[1])}.")
    if changes.summary_changed:
        lines.append("What we agreed overall changed.")
    return lines


def _who_for_patient(item) -> str:
    label = OWNER_LABELS_FOR_PATIENT[item.owner]
    return f"{label} ({item.owner_name})" if item.owner_name else label


# ---------------------------------------------------------------- the queue items a plan answers

# Never closed without the nurse choosing to: she resolves these once she has spoken to the person.
URGENT_KINDS = frozenset({ItemKind.RED_FLAG, ItemKind.EMERGENCY})


def open_queue_items(hna: HNA | None, current: CarePlan | None) -> list:
    """The open queue items saving this plan can answer: the HNA's, and the current plan's
    due review. Most urgent first."""
    from ..triage.models import HNA_SOURCE, PLAN_REVIEW_SOURCE, QUEUE_ORDER, ItemStatus, QueueItem, source_key

    keys = ([source_key(HNA_SOURCE, hna.id)] if hna is not None else []) + (
        [source_key(PLAN_REVIEW_SOURCE, current.id)] if current is not None else [])
    if not keys:
        return []
    return list(db.session.scalars(
        select(QueueItem).where(QueueItem.source_key.in_(keys), QueueItem.status == ItemStatus.OPEN)
        .order_by(*QUEUE_ORDER)
    ))


def is_urgent(item) -> bool:
    return item.kind in URGENT_KINDS
