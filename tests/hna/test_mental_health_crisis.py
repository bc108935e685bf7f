"""A person in crisis finds a mental health route beside the distress score, the emotional
concerns and every free-text answer: NHS 111 option 2 and Samaritans, as links that dial."""
from __future__ import annotations

import pytest

from app.hna.answers import shows_crisis_route
from tests.hna.test_journey import complete_required, start

pytestmark = pytest.mark.hazard("HAZ-010")

CRISIS = "If you are struggling to cope or feel you might harm yourself"


@pytest.mark.parametrize(("step", "shown"), [
    ("distress", True),
    ("domain:emotional", True),
    ("anything_else", True),
    ("matters:matters_most", True),
    ("matters:team_should_know", True),
    ("point", False),
    ("domain:physical", False),
    ("domain:practical", False),
    ("top", False),
])
def test_which_pages_show_the_crisis_route(step, shown):
    assert shows_crisis_route(step) is shown


def assert_crisis_route(html: str) -> None:
    assert CRISIS in html
    assert '<a href="tel:111" class="app-tel">111' in html and "option 2 for mental health" in html
    assert '<a href="tel:116123" class="app-tel">116 123' in html


@pytest.mark.parametrize(("page", "shown"), [
    ("/hna/questions/distress", True),
    ("/hna/questions/domain-emotional", True),
    ("/hna/questions/anything_else", True),
    ("/hna/questions/matters-matters_most", True),
    ("/hna/questions/domain-physical", False),
    ("/hna/questions/point", False),
])
def test_question_pages(patient, page, shown):
    start(patient)
    html = patient.get(page).get_data(as_text=True)
    if shown:
        assert_crisis_route(html)
    else:
        assert CRISIS not in html


def test_check_and_sent_pages_show_it_beside_the_answers(patient):
    complete_required(patient)
    assert_crisis_route(patient.get("/hna/check").get_data(as_text=True))
    sent = patient.post_form("/hna/submit").headers["Location"]
    assert_crisis_route(patient.get(sent).get_data(as_text=True))
    assert_crisis_route(patient.get(sent.split("?")[0]).get_data(as_text=True))
