"""The patient list's content from the components' memo (templates/nurse/_patients_page.html, its
values from app/nurse/patient_list.py patients_page_values) is what templates/nurse/patients.html's
content printed before, for a table of searches and lists, whether the memo renders it or serves
it; and no search or row is kept in the memo."""
from __future__ import annotations

import pytest
from markupsafe import Markup

from app.html_whitespace import without_indentation
from app.nurse.patient_list import patients_page_values

# The old patients.html's content, as it printed it from the view's values (rendered directly).
BEFORE = """<h1>Your team's patients</h1>
<form method="get" class="app-search" role="search">
  <div class="nhsuk-form-group">
    <label class="nhsuk-label" for="q">Search by name or NHS number</label>
    <input class="nhsuk-input nhsuk-u-width-one-half" id="q" name="q" type="search" value="{{ query }}" autocomplete="off">
  </div>
  {{ memoised_component("button", {"text": "Search", "classes": "nhsuk-button--secondary"}) }}
</form>
<p><a class="nhsuk-button" href="{{ url_for('nurse.new_patient') }}" role="button" draggable="false">Add a patient</a></p>
{% if patients %}
<table class="nhsuk-table">
  <caption class="nhsuk-table__caption">{{ patients|length }} patient{{ "" if patients|length == 1 else "s" }}{% if query %} matching ‘{{ query }}’{% endif %}</caption>
  <thead class="nhsuk-table__head"><tr>
    <th scope="col" class="nhsuk-table__header">Name</th>
    <th scope="col" class="nhsuk-table__header">NHS number</th>
    <th scope="col" class="nhsuk-table__header">Pathway</th>
    <th scope="col" class="nhsuk-table__header">Key worker</th>
    <th scope="col" class="nhsuk-table__header">Signed up</th>
  </tr></thead>
  <tbody class="nhsuk-table__body">
  {{ rows }}
  </tbody>
</table>
{% else %}
<p>{% if query %}No patients match ‘{{ query }}’.{% else %}Your team has no patients yet.{% endif %}</p>
{% endif %}"""

MEMOISED = """{{ memoised_component("nurse/_patients_page.html:patients_page", page) }}"""

ROW = '<tr class="nhsuk-table__row">\n<td class="nhsuk-table__cell">O&#39;Brien &amp; &lt;Sons&gt;</td>\n</tr>'
HOSTILE = "Ann <b>\"O'Able\"</b> & 943"


@pytest.mark.parametrize("count, query", [
    (0, ""), (0, HOSTILE), (1, ""), (1, "Able"), (2, ""), (50, HOSTILE), (3, "\u2003spaced\u2003"), (4, "9434765919"),
])
@pytest.mark.parametrize("root", ["", "/care"])
def test_the_patient_list_from_the_memo_is_what_the_template_printed(app, count, query, root):
    rows = Markup("\n".join([ROW] * count))
    before = app.jinja_env.from_string(BEFORE)
    memoised = app.jinja_env.from_string(MEMOISED)
    with app.test_request_context("/nurse/patients", base_url=f"http://localhost{root}"):
        expected = without_indentation(before.render(patients=[object()] * count, query=query, rows=rows))
        href = app.jinja_env.globals["url_for"]("nurse.new_patient")
        # Twice: the first render may fill the memo, the second is served from it.
        pages = [without_indentation(memoised.render(page=patients_page_values(count, query, rows, href)))
                 for _ in range(2)]
    assert f'href="{root}/nurse/patients/new"' in expected and "<b>" not in expected
    for page in pages:
        assert page == expected


def test_no_search_or_row_is_kept_in_the_memo(app):
    memo = app.jinja_env.globals["memoised_component"]
    memo.cache_clear()
    template = app.jinja_env.from_string(MEMOISED)
    with app.test_request_context("/nurse/patients"):
        first = template.render(page=patients_page_values(7, "Alice Ng", Markup("<tr><td>Row of Alice</td></tr>"), "/n"))
        second = template.render(page=patients_page_values(9, "Bob Oyelaran", Markup("<tr><td>Row of Bob</td></tr>"), "/n"))
    for value in ("7 patients", "Alice Ng", "Row of Alice"):
        assert value in first and value not in second
    for value in ("9 patients", "Bob Oyelaran", "Row of Bob"):
        assert value in second
    assert (memo.cache_info().misses, memo.cache_info().hits) == (1, 1)
