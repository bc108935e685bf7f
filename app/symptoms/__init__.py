"""Symptoms: the person's symptom log and the rules that say how urgent each entry is.

``rules`` is the plain engine (no Flask, no database) over the versioned pathway content.
"""
