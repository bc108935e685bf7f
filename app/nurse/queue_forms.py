"""Forms on a queue item: claim, assign, release, resolve. Each carries the revision it was made from."""
from __future__ import annotations

from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..forms import PageForm

from ..triage.models import OUTCOME_LABELS, Outcome

NOTE_MAX = 2000
REVISION_MISSING = "This page is out of date. Reload it and try again"
REVISION_MISSING_RESOLVE = (
    "This page was out of date, so the item was not resolved. Check it below, then resolve it again"
)


class _ItemForm(PageForm):
    # The revision of the item the nurse was looking at (hidden); optimistic locking.
    revision = IntegerField("Revision", validators=[InputRequired(REVISION_MISSING)])


class ClaimForm(_ItemForm):
    pass


class ReleaseForm(_ItemForm):
    pass


class AssignForm(_ItemForm):
    assignee = SelectField("Give it to a colleague", coerce=int, validators=[DataRequired("Choose who to give it to")])

    def set_nurses(self, nurses) -> None:
        self.assignee.choices = [SelectChoice(0, "Choose a nurse")] + [
            SelectChoice(nurse.id, nurse.display_name) for nurse in nurses
        ]


class ResolveForm(_ItemForm):
    outcome = RadioField(
        "Resolve: what did you do?",
        choices=[SelectChoice(outcome.value, label) for outcome, label in OUTCOME_LABELS.items()],
        validators=[DataRequired("Choose what you did")],
    )
    note = TextAreaField(
        "Note",
        validators=[Length(max=NOTE_MAX, message=f"Note must be {NOTE_MAX:,} characters or fewer")],
    )

    def validate_note(self, field):
        # 'No action needed' is the outcome a later review asks about: it must say why.
        if self.outcome.data == Outcome.NO_ACTION_NEEDED.value and not (field.data or "").strip():
            raise ValidationError("Say why no action is needed")
