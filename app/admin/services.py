"""The services directory (admin-managed)."""
from . import bp  # noqa: F401
