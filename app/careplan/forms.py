"""The care plan editor: one group of fields per concern, as many as the nurse needs.

The form class is made for the number of rows being shown, with flat field names
(`item_0_concern`, `item_0_owner`, ...), so every field maps onto the NHS.UK macros and the
error summary (app/forms.py) links to the exact box, and "Add another concern" works without
JavaScript: it posts everything typed and comes back with one more empty row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Sequence

from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ..forms import DateInputField, PageForm
from ..followup.schedule import add_months
from ..timeutil import london_today
from .models import ActionOwner, Support
from .service import OWNER_LABELS, SUPPORT_LABELS, ItemInput

MAX_ROWS = 30
MAX_REVIEW_DAYS = 2 * 366
_ID = re.compile(r"[a-z][a-z0-9_]{0,79}")
ROW_FIELDS = ("concern", "agreed", "action", "owner", "owner_name", "support", "service_id",
              "remove", "concern_id", "domain")


def suggested_review_date(start: date | None = None) -> date:
    """Three months on (the last day of the month when it is shorter)."""
    return add_months(start or london_today(), 3)


class PlanFormBase(PageForm):
    base_version = HiddenField()
    hna_id = HiddenField()
    rows = HiddenField()

    row_count: int = 0

    def row(self, n: int) -> "Row":
        return Row(n, {name: self[f"item_{n}_{name}"] for name in ROW_FIELDS})

    @property
    def all_rows(self) -> list["Row"]:
        return [self.row(n) for n in range(self.row_count)]


@dataclass
class Row:
    number: int
    fields: dict

    def __getattr__(self, name):
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def removed(self) -> bool:
        return self.fields["remove"].data == "yes"

    @property
    def blank(self) -> bool:
        return not any((self.fields[n].data or "").strip() for n in ("concern", "agreed", "action", "owner_name"))

    def as_input(self) -> ItemInput:
        f = self.fields
        support = Support(f["support"].data)
        return ItemInput(
            concern=(f["concern"].data or "").strip(), concern_id=f["concern_id"].data or None,
            domain=f["domain"].data or None, agreed=f["agreed"].data or "",
            action=f["action"].data or "", owner=ActionOwner(f["owner"].data),
            owner_name=f["owner_name"].data or "", support=support,
            service_id=int(f["service_id"].data) if support is not Support.NONE and f["service_id"].data else None,
        )


def _length(limit: int, what: str):
    def check(form, field):
        if field.data and len(field.data.strip()) > limit:
            raise ValidationError(f"{what} must be {limit} characters or fewer")
    return check


def _clean_id(value):
    return value if isinstance(value, str) and _ID.fullmatch(value) else ""


def plan_form(row_count: int, service_choices: Sequence[Sequence[tuple[int, str]]], **kwargs) -> PlanFormBase:
    """A form with `row_count` concern rows. `service_choices[n]` lists row n's services."""
    row_count = max(1, min(row_count, MAX_ROWS))

    class PlanForm(PlanFormBase):
        pass

    for n in range(row_count):
        setattr(PlanForm, f"item_{n}_concern", StringField(
            "The concern you discussed", filters=[_strip],
            validators=[_length(200, "The concern")]))
        setattr(PlanForm, f"item_{n}_agreed", TextAreaField(
            "What you agreed", filters=[_strip], validators=[_length(2000, "What you agreed")]))
        setattr(PlanForm, f"item_{n}_action", TextAreaField(
            "What will happen", filters=[_strip], validators=[_length(2000, "What will happen")]))
        setattr(PlanForm, f"item_{n}_owner", RadioField(
            "Who will do it", default=ActionOwner.KEY_WORKER.value, validate_choice=False,
            choices=[SelectChoice(o.value, OWNER_LABELS[o]) for o in ActionOwner]))
        setattr(PlanForm, f"item_{n}_owner_name", StringField(
            "Their name (optional)", filters=[_strip], validators=[_length(200, "The name")]))
        setattr(PlanForm, f"item_{n}_support", RadioField(
            "Referral or signposting to a service", default=Support.NONE.value, validate_choice=False,
            choices=[SelectChoice(s.value, SUPPORT_LABELS[s]) for s in Support]))
        choices = service_choices[n] if n < len(service_choices) else []
        setattr(PlanForm, f"item_{n}_service_id", SelectField(
            "Service", default="", validate_choice=False,
            choices=[SelectChoice("", "Choose a service")] + [SelectChoice(str(i), label) for i, label in choices]))
        setattr(PlanForm, f"item_{n}_remove", StringField("Remove this concern"))
        setattr(PlanForm, f"item_{n}_concern_id", HiddenField(filters=[_clean_id]))
        setattr(PlanForm, f"item_{n}_domain", HiddenField(filters=[_clean_id]))
    PlanForm.review_date = DateInputField("Review date", missing_message="Enter a review date")
    PlanForm.summary = TextAreaField("Summary (optional)", filters=[_strip], validators=[_length(2000, "The summary")])
    PlanForm.change_note = StringField("Why are you changing the plan? (optional)", filters=[_strip],
                                       validators=[_length(300, "The reason")])

    form = PlanForm(**kwargs)
    form.row_count = row_count
    form.service_ids = [{str(i) for i, _ in (service_choices[n] if n < len(service_choices) else [])}
                        for n in range(row_count)]
    return form


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def fill(form: PlanFormBase, items: Sequence[ItemInput], review_date: date | None,
         summary: str | None, base_version: int, hna_id: int | None) -> None:
    """Prefill a fresh (GET) form."""
    for n, item in enumerate(items[: form.row_count]):
        row = form.row(n)
        row.concern.data = item.concern
        row.concern_id.data = item.concern_id or ""
        row.domain.data = item.domain or ""
        row.agreed.data = item.agreed
        row.action.data = item.action
        row.owner.data = item.owner.value
        row.owner_name.data = item.owner_name
        row.support.data = item.support.value
        row.service_id.data = str(item.service_id) if item.service_id else ""
    if review_date is not None:
        form.review_date.data = review_date
        form.review_date.process(None, review_date)
    form.summary.data = summary or ""
    form.base_version.data = str(base_version)
    form.hna_id.data = str(hna_id) if hna_id else ""
    form.rows.data = str(form.row_count)


def validate_plan(form: PlanFormBase) -> list[ItemInput] | None:
    """The rows to save, or None with errors on the fields (and nothing typed thrown away)."""
    ok = form.validate()
    items: list[ItemInput] = []
    kept = [r for r in form.all_rows if not r.removed and not r.blank]
    owners = {o.value for o in ActionOwner}
    supports = {s.value for s in Support}
    for row in form.all_rows:
        if row.removed or row.blank:
            continue
        number = row.number + 1
        if not row.concern.data:
            row.concern.errors.append(f"Enter concern {number}, or tick ‘Remove this concern’")
        if not row.agreed.data:
            row.agreed.errors.append(f"Enter what you agreed about ‘{row.concern.data or f'concern {number}'}’")
        if row.owner.data not in owners:
            row.owner.errors.append(f"Select who will do it for concern {number}")
        elif row.owner.data == ActionOwner.OTHER.value and not row.owner_name.data:
            row.owner_name.errors.append(f"Enter who will do it for concern {number}")
        if row.support.data not in supports:
            row.support.errors.append(f"Select whether there is a referral or signposting for concern {number}")
        elif row.support.data != Support.NONE.value:
            if not form.service_ids[row.number]:
                row.support.errors.append(
                    f"There are no services in the directory to choose for concern {number}: "
                    "select ‘No referral or signposting’ and write the service in ‘What will happen’")
            elif not row.service_id.data:
                row.service_id.errors.append(f"Select the service for concern {number}")
            elif row.service_id.data not in form.service_ids[row.number]:
                row.service_id.errors.append(f"Select a service from the list for concern {number}")
        if any(row.fields[name].errors for name in ROW_FIELDS):
            ok = False
        else:
            items.append(row.as_input())
    if not kept:
        form.item_0_concern.errors.append("Enter at least one concern you discussed")
        ok = False
    if form.review_date.data is not None and not form.review_date.errors:
        if form.review_date.data <= london_today():
            form.review_date.errors.append("Review date must be in the future")
            ok = False
        elif (form.review_date.data - london_today()).days > MAX_REVIEW_DAYS:
            form.review_date.errors.append("Review date must be within 2 years")
            ok = False
    return items if ok else None
