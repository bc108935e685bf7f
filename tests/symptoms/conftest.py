"""Fixtures for the symptom log tests (a fixture imported into a test module reads to linters as
an unused import redefined by every test that takes it)."""
from tests.symptoms.helpers import clock  # noqa: F401
