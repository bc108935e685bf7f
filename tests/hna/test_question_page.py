"""The question page's radios are made once for everyone on the step and the person's answer is
checked in them (app/hna/question_page.py): the page carries exactly what the design system's own
radios print with that answer's item checked, for every answer of each scale, no answer, an answer
that is no item's, an error and values that need escaping."""
from __future__ import annotations

import re

import pytest
from jinja2 import ChainableUndefined, PackageLoader
from sqlalchemy import select

from app.extensions import db
from app.hna.models import HNA, PATHWAY_POINT_CHOICES
from app.html_whitespace import without_indentation
from tests.component_harness import AFTER_A_TAG, STRAIGHT_BETWEEN_TAGS

UNDEFINED = ChainableUndefined()


def _items(choices, first_id: str, checked=None) -> list[dict]:
    # As templates/hna/question.html asks app/hna/routes.py radio_items for them.
    items = [{"value": value, "text": label, "checked": checked == value} for value, label in choices]
    items[0]["id"] = first_id
    return items


def _params(name: str, choices, error=None, checked=None) -> dict:
    return {"idPrefix": name, "name": name,
            "fieldset": {"legend": {"text": "How distressed have you been?", "isPageHeading": True, "size": "l"}},
            "hint": {"text": "0 is no distress, 10 is extreme distress."},
            "errorMessage": {"text": error} if error else UNDEFINED,
            "items": _items(choices, name, checked)}


DISTRESS = tuple((str(n), label) for n, label in
                 enumerate(["No distress", *map(str, range(1, 10)), "Extreme distress"]))
ODD_VALUES = (('a"b', "Quoted"), ("x&y", "Ampersand"), ("<z>", "Tag"), ("plain", "Plain"))
# Two items with one value: the value's tag is printed twice, so the radios are made the ordinary way.
TWICE = (("1", "One"), ("1", "One again"), ("2", "Two"))

CASES = (
    [("distress", DISTRESS, None, answer) for answer in [None, "None", "", "11", "abc", *(v for v, _ in DISTRESS)]]
    + [("distress", DISTRESS, "Choose a number from 0 to 10", answer) for answer in [None, "3"]]
    + [("pathway_point", PATHWAY_POINT_CHOICES, None, answer) for answer in [None, *(v for v, _ in PATHWAY_POINT_CHOICES)]]
    + [('odd"name&', ODD_VALUES, None, answer) for answer in [None, *(v for v, _ in ODD_VALUES)]]
    + [("twice", TWICE, None, answer) for answer in [None, "1", "2"]]
)


@pytest.mark.parametrize(("name", "choices", "error", "answer"), CASES)
# Where the page puts them (after a tag), and straight between two tags; never within a line of
# text, where what a memoised component starts and ends with is not kept (app/templating.py).
@pytest.mark.parametrize("around", [AFTER_A_TAG, STRAIGHT_BETWEEN_TAGS])
def test_radios_with_the_answer_are_the_design_systems_with_it_checked(app, name, choices, error, answer, around):
    theirs_environment = app.jinja_env.overlay(loader=PackageLoader("nhsuk_frontend_jinja"), cache_size=0)
    theirs_template = theirs_environment.from_string(
        '{% from "nhsuk/components/radios/macro.jinja" import radios %}{{ radios(params) }}')
    ours_template = app.jinja_env.from_string("{{ radios_with_answer(params, answer) }}")
    with app.test_request_context():
        for _ in range(2):  # made, then from the memo
            ours = ours_template.render(params=_params(name, choices, error), answer=answer)
            theirs = theirs_template.render(params=_params(name, choices, error, checked=answer))
            assert without_indentation(around[0] + ours + around[1]) == without_indentation(around[0] + theirs + around[1])
    assert (" checked" in ours) is (answer in {value for value, _ in choices})


def test_an_answer_is_never_part_of_the_memos_key(app):
    memoised_component = app.jinja_env.globals["memoised_component"]
    template = app.jinja_env.from_string("{{ radios_with_answer(params, answer) }}")
    with app.test_request_context():
        template.render(params=_params("distress", DISTRESS), answer=None)
        shapes = memoised_component.cache_info().currsize
        for answer, _ in DISTRESS:
            assert f'value="{answer}" checked' in template.render(params=_params("distress", DISTRESS), answer=answer)
        assert memoised_component.cache_info().currsize == shapes


def checked_values(html: str, name: str) -> list[str]:
    return re.findall(rf'<input [^>]*name="{name}" type="radio" value="([^"]*)" checked', html)


@pytest.mark.parametrize("stored", [None, 0, 6, 10])
def test_the_distress_page_checks_the_persons_own_answer_only(app, patient, stored):
    assert patient.post_form("/hna/start").status_code == 303
    if stored is not None:
        assert patient.post_form("/hna/questions/distress", {"distress": str(stored), "action": "later"}).status_code == 303
    html = patient.get("/hna/questions/distress").get_data(as_text=True)
    assert checked_values(html, "distress") == ([] if stored is None else [str(stored)])
    assert len(re.findall(r'name="distress" type="radio"', html)) == 11  # 0 to 10


def test_a_refused_answer_is_shown_back_unchecked_and_the_saved_one_checked_again(app, patient):
    assert patient.post_form("/hna/start").status_code == 303
    assert patient.post_form("/hna/questions/distress", {"distress": "8", "action": "later"}).status_code == 303
    refused = patient.post_form("/hna/questions/distress", {"distress": "11"})
    assert "Choose a number from 0 to 10" in refused.get_data(as_text=True)
    assert checked_values(refused.get_data(as_text=True), "distress") == []
    html = patient.get("/hna/questions/distress").get_data(as_text=True)
    assert checked_values(html, "distress") == ["8"]
    with app.app_context():
        assert db.session.scalar(select(HNA.answers)).get("distress") == 8


# The form's start tag as templates/hna/question.html printed it before question_form_tag.
TEMPLATE_FORM_TAG = """<form method="post" action="{{ action_url }}" novalidate
        data-module="hna-question" data-step="{{ step }}"{% if not offline_copy %} data-hna-id="{{ hna.id }}"{% endif %}
        data-journey-signature="{{ hna.questionnaire_version_id }}-{{ 'self' if hna.offered_by_id is none else 'offered' }}"
        data-api-url="{{ url_for('hna.api_save') }}"
        data-next-url="{{ next_url }}" data-later-url="{{ url_for('hna.start') }}"{% if return_url %} data-return-url="{{ return_url }}"{% endif %}
        data-journey="{{ journey_json }}"
        data-chosen="{{ chosen_concerns | tojson | forceescape }}"{% if offline_copy %} data-shell="1"{% endif %}>"""


class _Draft:
    def __init__(self, id, questionnaire_version_id, offered_by_id):
        self.id, self.questionnaire_version_id, self.offered_by_id = id, questionnaire_version_id, offered_by_id


FORMS = [
    # (the form's values, the site's root)
    (dict(action_url="/hna/questions/distress", step="distress", hna=_Draft(7, 3, None), offline_copy=False,
          next_url="/hna/questions/domain-physical", return_url=None, chosen_concerns=[]), ""),
    (dict(action_url="/hna/questions/distress?return=check", step="distress", hna=_Draft(7, 3, 12), offline_copy=False,
          next_url="/hna/check", return_url="/hna/check", chosen_concerns=["pain", "tiredness"]), ""),
    (dict(action_url="/hna/questions/top", step="top", hna=_Draft(None, 3, None), offline_copy=True,
          next_url="/hna/questions/anything_else", return_url=None, chosen_concerns=[]), "/mount"),
    # What must be escaped, wherever it might come from.
    (dict(action_url='/a?x=1&y="2"<3>', step="matters:odd id/with ?&#'", hna=_Draft(9, 4, 1), offline_copy=False,
          next_url="/n?a=1&b='2'", return_url='/r?"&<>', chosen_concerns=["a<b>", "c&d", "e'f\"g", "</script>"]), "/x&y"),
]


@pytest.mark.parametrize(("form", "root"), FORMS)
def test_the_form_tag_is_what_the_template_printed(app, form, root):
    from markupsafe import Markup

    journey = Markup('[&#34;/hna/questions/point&#34;, &#34;/hna/questions/a&amp;b&#34;]')
    with app.test_request_context("/hna/questions/distress", environ_overrides={"SCRIPT_NAME": root}):
        expected = app.jinja_env.from_string(TEMPLATE_FORM_TAG).render(**form, journey_json=journey)
        ours = app.jinja_env.from_string("{{ question_form_tag(**form) }}").render(
            form={**form, "journey_json": journey})
    assert ours == expected
    assert "<script>" not in ours and "</script>" not in ours
