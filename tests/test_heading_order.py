"""Headings go down one level at a time on the patient's pages (WCAG 1.3.1; Lighthouse and axe's
heading-order): a screen reader user moving by heading never lands on a level with no parent."""
from __future__ import annotations

import re

import pytest

from tests.helpers import sign_in_as

HEADING = re.compile(r"<h([1-6])\b")
PATIENT_PAGES = ["/my-care", "/hna", "/my-care/plan", "/my-care/follow-up", "/my-care/symptoms",
                 "/my-care/results", "/my-care/contacts"]


def skipped_levels(html: str) -> list[tuple[int, int]]:
    """Each (from, to) where a heading is more than one level below the one before it."""
    levels = [int(level) for level in HEADING.findall(html)]
    return [(before, after) for before, after in zip(levels, levels[1:], strict=False) if after > before + 1]


@pytest.mark.parametrize(("html", "skips"), [
    ("<h1>a</h1><h2>b</h2><h3>c</h3><h2>d</h2>", []),
    ("<h1>a</h1><h3 class='x'>b</h3>", [(1, 3)]),
    ("<h1>a</h1><h2>b</h2><h4>c</h4><h1>d</h1>", [(2, 4)]),
    ("<header>no headings</header>", []),
])
def test_skipped_levels(html, skips):
    assert skipped_levels(html) == skips


@pytest.mark.parametrize("path", PATIENT_PAGES)
def test_no_heading_level_is_skipped_on_a_patient_page(client, actors, path):
    sign_in_as(client, actors.patient_a)
    response = client.get(path)
    assert response.status_code == 200
    assert skipped_levels(response.get_data(as_text=True)) == []
