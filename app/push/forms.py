"""The notification settings form: which kinds to send and the quiet hours."""
from __future__ import annotations

from datetime import time

from wtforms import SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ..forms import PageForm
from .kinds import KINDS
from .service import Settings



def hour_words(at: time) -> str:
    """'9pm', 'midnight', 'midday' (NHS.UK style) for a wall-clock hour."""
    if at.hour == 0:
        return "midnight"
    if at.hour == 12:
        return "midday"
    return f"{at.hour % 12}{'am' if at.hour < 12 else 'pm'}"


# Quiet hours start and end on the hour, London time.
HOUR_CHOICES = [SelectChoice(f"{hour:02d}:00", hour_words(time(hour))) for hour in range(24)]
HOUR_VALUES = frozenset(choice.value for choice in HOUR_CHOICES)


def _time_of(value: str) -> time:
    return time(int(value[:2]), int(value[3:]))


def _one_of_the_hours(form, field):
    if field.data not in HOUR_VALUES:
        raise ValidationError("Choose a time from the list")


class NotificationSettingsForm(PageForm):
    kinds = SelectMultipleField("What should we tell you about?", choices=[SelectChoice(k.id, k.label) for k in KINDS.values()],
                                validate_choice=False)
    quiet_start = SelectField("Quiet from", choices=HOUR_CHOICES, validate_choice=False, validators=[_one_of_the_hours])
    quiet_end = SelectField("Until", choices=HOUR_CHOICES, validate_choice=False, validators=[_one_of_the_hours])

    def validate_kinds(self, field):
        if any(value not in KINDS for value in field.data or ()):
            raise ValidationError("Choose from the list")

    @classmethod
    def showing(cls, settings: Settings) -> "NotificationSettingsForm":
        return cls(formdata=None, data={
            "kinds": [kind_id for kind_id in KINDS if settings.is_on(kind_id)],
            "quiet_start": settings.quiet_start.strftime("%H:%M"),
            "quiet_end": settings.quiet_end.strftime("%H:%M"),
        })

    def kinds_on(self) -> set[str]:
        return set(self.kinds.data or ())

    def quiet_hours(self) -> tuple[time, time]:
        return _time_of(self.quiet_start.data), _time_of(self.quiet_end.data)
