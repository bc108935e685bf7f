"""Imports every module that defines tables, so metadata is complete wherever it is used."""
from . import idempotency, models  # noqa: F401
from .hna import models as hna_models  # noqa: F401
