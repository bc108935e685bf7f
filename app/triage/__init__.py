"""Triage: what needs a person on the team, in what order, and by when (domain rules only)."""
