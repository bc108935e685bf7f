"""The triage queue: list, claim, assign, resolve."""
from . import bp  # noqa: F401
