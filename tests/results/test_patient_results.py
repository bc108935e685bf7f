"""The patient sees their own results with the team's comment; a series as an SVG chart drawn on
the server, beside a table of the same numbers."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.followup.models import SurveillanceTest
from app.results.models import ResultRule, TestResult
from tests.helpers import page

SERIES = [(date(2025, 9, 1), "1.9", False), (date(2026, 3, 2), "2.2", False), (date(2026, 9, 1), "3.1", True)]


@pytest.fixture
def psa_series(app, actors):
    with app.app_context():
        for profile_id, comment in ((actors.profile_a, "Steady, nothing to do."), (actors.profile_b, "Someone else's")):
            test = SurveillanceTest(patient_id=profile_id, name="PSA blood test", interval_months=6, next_due=date(2027, 3, 1))
            db.session.add(test)
            db.session.flush()
            db.session.add(ResultRule(surveillance_test_id=test.id, patient_id=profile_id, unit="ng/mL",
                                      upper_limit=4, updated_by_id=actors.nurse_a))
            for taken, value, flagged in SERIES:
                db.session.add(TestResult(surveillance_test_id=test.id, patient_id=profile_id, value=Decimal(value),
                                          unit="ng/mL", taken_on=taken, resulted_on=taken, comment=comment,
                                          abnormal=flagged, needs_review=flagged, recorded_by_id=actors.nurse_a))
        db.session.commit()


def test_the_patient_sees_their_results_with_the_teams_comment(patient, psa_series):
    response = patient.get("/my-care/results")
    assert response.status_code == 200
    html = page(response)
    table = html[html.index("<table"):]
    assert [cell for cell in re.findall(r'<td class="nhsuk-table__cell">([^<]*)</td>', table)][:3] == [
        "1 September 2026", "3.1 ng/mL", "Steady, nothing to do."]
    assert "Someone else's" not in html
    assert "Your team is looking at your latest result and will contact you" in html


def test_the_series_is_an_svg_chart_with_no_style_or_script(patient, psa_series):
    html = patient.get("/my-care/results").get_data(as_text=True)
    start = html.index('<svg class="app-chart"')
    svg = html[start:html.index("</svg>", start)]
    assert 'role="img"' in svg and "PSA blood test results from 1 September 2025 to 1 September 2026" in svg
    assert svg.count("<circle") == 3 and svg.count("app-chart__point--flagged") == 1
    assert "app-chart__limit" in svg  # the person's level, as a line
    # The strict CSP allows no inline style and no inline script anywhere.
    assert " style=" not in html and "<style" not in html and "<script>" not in html


def test_a_patient_with_no_results_is_told_plainly(patient):
    html = page(patient.get("/my-care/results"))
    assert "Your team has not recorded any test results here yet" in html
    assert "<svg class=\"app-chart\"" not in html


def test_the_panels_are_one_read_however_many_tests_and_results(app, actors, psa_series):
    """Each test with its safe range and its series in one statement (it was two for every test)."""
    from app.models import PatientProfile
    from app.results.service import nurse_panels
    from tests.test_query_counts import counting_statements

    def read_panels():
        with app.app_context(), counting_statements() as statements:
            panels = nurse_panels(db.session.get(PatientProfile, actors.profile_a))
            found = [(p.test.name, p.rule.unit if p.rule else None, [float(r.value) for r in p.results]) for p in panels]
        return found, len(statements) - 1  # less the read of the person

    assert read_panels() == ([("PSA blood test", "ng/mL", [1.9, 2.2, 3.1])], 1)
    with app.app_context():
        # A test with no results yet (shown while active), and a stopped one with a result.
        db.session.add(SurveillanceTest(patient_id=actors.profile_a, name="CT scan", interval_months=12, next_due=date(2027, 1, 1)))
        stopped = SurveillanceTest(patient_id=actors.profile_a, name="Bone scan", interval_months=12,
                                   next_due=date(2027, 1, 1), active=False)
        db.session.add(stopped)
        db.session.flush()
        db.session.add(TestResult(surveillance_test_id=stopped.id, patient_id=actors.profile_a, value=Decimal("1"), unit="",
                                  taken_on=date(2026, 1, 5), resulted_on=date(2026, 1, 5), recorded_by_id=actors.nurse_a))
        db.session.commit()
    assert read_panels() == ([("CT scan", None, []), ("PSA blood test", "ng/mL", [1.9, 2.2, 3.1]),
                              ("Bone scan", None, [1.0])], 1)


def test_opening_the_page_marks_what_it_showed_as_seen_and_writes_nothing_when_all_was_seen(app, actors, patient, psa_series):
    """The results it shows are seen (they leave the home page's "To do now"), only the person's;
    a view with nothing new makes no write at all (issue 12: it was an UPDATE on every view)."""
    from sqlalchemy import select

    from tests.test_query_counts import counting_statements

    def seen(profile_id) -> list[bool]:
        with app.app_context():
            return [r.seen_by_patient_at is not None for r in db.session.scalars(
                select(TestResult).where(TestResult.patient_id == profile_id))]

    assert seen(actors.profile_a) == [False] * 3
    patient.get("/my-care/results")
    assert seen(actors.profile_a) == [True] * 3 and seen(actors.profile_b) == [False] * 3
    with app.app_context(), counting_statements() as statements:
        assert patient.get("/my-care/results").status_code == 200
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
