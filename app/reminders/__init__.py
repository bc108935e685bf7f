"""Reminders computed from the record (HNA offered, tests due or overdue, a result not heard
about, GP Cancer Care Reviews, care plan reviews, replies and request changes) and sent once each
by Web Push: `rules` is the plain schedule, `service` the facts and the claims, `tasks` the
background work. No pages of its own: people see their reminders where they manage
notifications, and nurses on the patient's page."""

from . import tasks  # noqa: F401  (registers the background tasks)
