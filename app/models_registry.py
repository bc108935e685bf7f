"""Imports every module that defines tables, so metadata is complete wherever it is used."""
from . import models  # noqa: F401
