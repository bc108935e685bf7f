"""The design system's form components (radios, checkboxes, inputs, ...)."""
from __future__ import annotations
