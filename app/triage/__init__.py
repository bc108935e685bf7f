"""Triage: what needs a person on the team, in what order, and by when (domain rules only),
and `tasks`, its periodic background work."""

from . import tasks  # noqa: E402,F401  (registers the background tasks)
