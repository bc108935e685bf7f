"""The queue page's content from the components' memo (templates/nurse/_queue_page.html, its values
from app/nurse/queue_view.py queue_page_values) is what templates/nurse/queue.html's content
printed before, for a table of teams, counts, filters and searches, whether the memo renders it or
serves it; and no team's counts, nurse, search or row is kept in the memo."""
from __future__ import annotations

from functools import partial
from types import SimpleNamespace

from flask import url_for

import pytest
from markupsafe import Markup

from app.html_whitespace import without_indentation
from app.nurse.queue_view import STATUS_ITEMS, STATUS_LABELS, queue_page_values
from app.triage.service import TeamNurse

# The old queue.html's content, as it printed it from the view's values (rendered directly).
BEFORE = """<h1>Team queue</h1>
{% if no_team %}
<p>You are not in a team, so you have no queue. Ask an admin to add you to a team.</p>
{% else %}
<p class="app-queue-summary" data-testid="queue-summary">
  {{ summary.open }} open item{{ "" if summary.open == 1 else "s" }}{% if summary.urgent %}: <strong>{{ summary.urgent }} red flag or emergency</strong>{% endif %}{% if summary.overdue %}{{ "," if summary.urgent else ":" }} <strong>{{ summary.overdue }} overdue</strong>{% endif %}.
  Most urgent first: red flags and emergencies, then re-entry requests, high distress, other needs assessments and overdue care plan reviews. Times are UK time.
</p>

<form method="get" action="{{ url_for('nurse.queue') }}" class="app-queue-filters" role="search" aria-label="Filter the queue">
  {{ memoised_component("select", {"id": "status", "name": "status", "label": {"text": "Show"}, "items": status_items, "value": filters.status}) }}
  {{- pathway_and_key_worker_selects(nurses, filters) }}
  <div class="nhsuk-form-group">
    <label class="nhsuk-label" for="q">Name or NHS number</label>
    <input class="nhsuk-input" id="q" name="q" type="search" value="{{ filters.search }}" autocomplete="off" spellcheck="false">
  </div>
  {{ memoised_component("button", {"text": "Show items", "classes": "nhsuk-button--secondary"}) }}
</form>

{% if lines %}
<div class="app-queue-table" role="region" aria-labelledby="queue-caption" tabindex="0">
<table class="nhsuk-table">
  <caption class="nhsuk-table__caption" id="queue-caption">{{ status_labels[filters.status] }}{% if first_url %}, continued{% endif %}{% if filters.search %} matching ‘{{ filters.search }}’{% endif %}</caption>
  <thead class="nhsuk-table__head"><tr>
    <th scope="col" class="nhsuk-table__header">Priority</th>
    <th scope="col" class="nhsuk-table__header">Patient</th>
    <th scope="col" class="nhsuk-table__header">Why</th>
    <th scope="col" class="nhsuk-table__header">Received</th>
    <th scope="col" class="nhsuk-table__header">{{ "Resolved" if filters.status == "resolved" else "Response" }}</th>
    <th scope="col" class="nhsuk-table__header">Who has it</th>
  </tr></thead>
  <tbody class="nhsuk-table__body">
  {{ rows }}
  </tbody>
</table>
</div>
{% else %}
<p>{% if filters.search %}No items match ‘{{ filters.search }}’.{% elif first_url %}No more items.{% else %}No items to show.{% endif %}</p>
{% endif %}
{% endif %}"""

MEMOISED = """{{ memoised_component("nurse/_queue_page.html:queue_page", page) }}"""

ROW = Markup('<tr class="nhsuk-table__row">\n<td class="nhsuk-table__cell">Ann &amp; &lt;Co&gt;</td>\n</tr>')
HOSTILE = "Ann <b>\"O'Able\"</b> & 943"
NURSES = [TeamNurse(3, "Ann <b>Bold</b> & Co"), TeamNurse(12, "Sam Taylor"), TeamNurse(40, "\u2003Em\u2003spaced")]


def filters(status="open", pathway=None, key_worker_id=None, search=""):
    return SimpleNamespace(status=status, pathway=pathway, key_worker_id=key_worker_id, search=search)


CASES = [
    # (summary or None for no team, filters, nurses, rows, a page after the first)
    (None, filters(), [], "", False),
    (None, filters(search="x"), NURSES, "", True),
    ({"open": 0, "urgent": 0, "overdue": 0}, filters(), [], "", False),
    ({"open": 1, "urgent": 0, "overdue": 0}, filters(), NURSES[:1], ROW, False),
    ({"open": 1, "urgent": 1, "overdue": 0}, filters(key_worker_id=3), NURSES, ROW, False),
    ({"open": 5, "urgent": 0, "overdue": 3}, filters("mine", "breast"), NURSES, ROW + ROW, False),
    ({"open": 12, "urgent": 2, "overdue": 3}, filters("unassigned", "lung", 40), NURSES, ROW, True),
    ({"open": 12, "urgent": 2, "overdue": 3}, filters("resolved"), NURSES, ROW, False),
    ({"open": 12, "urgent": 2, "overdue": 3}, filters("resolved", key_worker_id=999), NURSES, "", True),
    ({"open": 3, "urgent": 3, "overdue": 0}, filters(search=HOSTILE), NURSES, ROW, False),
    ({"open": 3, "urgent": 0, "overdue": 0}, filters(search=HOSTILE), NURSES, "", False),
    ({"open": 3, "urgent": 0, "overdue": 0}, filters(search="\u2003spaced\u2003"), NURSES, "", True),
    ({"open": 3, "urgent": 0, "overdue": 0}, filters("open", "breast", 12, "9434765919"), NURSES, ROW, True),
]


def select_html(app):
    """The selects as the view renders them: each through the components' memo."""
    return partial(app.jinja_env.globals["memoised_component"], "select")


def render_both(app, summary, given, nurses, rows, continued):
    """The content as the old template printed it, and from the memo twice (the first render may
    fill the memo, the second is served from it), each as the page's whitespace pass leaves it."""
    before = app.jinja_env.from_string(BEFORE)
    memoised = app.jinja_env.from_string(MEMOISED)
    with app.test_request_context("/nurse/queue"):
        expected = without_indentation(before.render(
            no_team=summary is None, summary=summary, filters=given, nurses=nurses, lines=[1] if rows else [],
            rows=Markup(rows), status_items=STATUS_ITEMS, status_labels=STATUS_LABELS,
            first_url="/nurse/queue" if continued else None))
        pages = [without_indentation(memoised.render(
            page=queue_page_values(summary, given, nurses, Markup(rows), continued, url_for("nurse.queue"),
                                   select_html(app)))) for _ in range(2)]
    return expected, pages


@pytest.mark.parametrize("summary, given, nurses, rows, continued", CASES)
def test_the_queue_page_from_the_memo_is_what_the_template_printed(app, summary, given, nurses, rows, continued):
    expected, pages = render_both(app, summary, given, nurses, rows, continued)
    assert "<script" not in expected.replace("&lt;script", "") and "<b>" not in expected
    for page in pages:
        assert page == expected


def test_no_team_s_values_are_kept_in_the_memo(app):
    """Two teams' pages of one shape: the second is served from the entry the first made, with
    none of the first's counts, nurses, search or rows."""
    memo = app.jinja_env.globals["memoised_component"]
    memo.cache_clear()
    template = app.jinja_env.from_string(MEMOISED)
    first_team = queue_page_values({"open": 17, "urgent": 4, "overdue": 9}, filters(search="Alice Ng", key_worker_id=1),
                                   [TeamNurse(1, "Nurse Nadia")], Markup("<tr><td>Row of Alice</td></tr>"), False, "/q",
                                   select_html(app))
    second_team = queue_page_values({"open": 23, "urgent": 6, "overdue": 8}, filters(search="Bob Oyelaran", key_worker_id=2),
                                    [TeamNurse(2, "Nurse Omar")], Markup("<tr><td>Row of Bob</td></tr>"), False, "/q",
                                    select_html(app))
    with app.test_request_context("/nurse/queue"):
        first = template.render(page=first_team)
        second = template.render(page=second_team)
    for value in ("17 open items", ">4 red flag", ">9 overdue", "Alice Ng", "Nurse Nadia", 'value="1"', "Row of Alice"):
        assert value in first and value not in second
    for value in ("23 open items", ">6 red flag", ">8 overdue", "Bob Oyelaran", "Nurse Omar", 'value="2"', "Row of Bob"):
        assert value in second
    # The page's shape and its three selects: each made by the first team's page, served to the second's.
    assert (memo.cache_info().misses, memo.cache_info().hits) == (4, 4)


def test_one_team_browsing_its_filters_stays_within_the_memo(app):
    """Every filter a team's nurse can choose, with and without a search and rows: the page's
    shape is keyed by its flags only, each select is its own small entry (their counts add up, not
    multiply), so browsing the queue never fills the memo the layout and every page's components
    share (review of ff263a8: 840 shapes, every one a miss, the memo full of queue pages)."""
    import itertools

    from app.nurse.team_filters import PATHWAY_ITEMS
    from app.templating import COMPONENT_MEMO_SIZE

    memo = app.jinja_env.globals["memoised_component"]
    memo.cache_clear()
    template = app.jinja_env.from_string(MEMOISED)
    nurses = [TeamNurse(number, f"Nurse {number}") for number in range(1, 7)]
    row = Markup("<tr><td>x</td></tr>")
    with app.test_request_context("/nurse/queue"):
        for status, pathway, key_worker in itertools.product(
                STATUS_LABELS, [item["value"] or None for item in PATHWAY_ITEMS], [None] + [nurse.id for nurse in nurses]):
            for search, rows in (("", row), ("", ""), ("smith", row)):
                template.render(page=queue_page_values(
                    {"open": 5, "urgent": 1, "overdue": 2}, filters(status, pathway, key_worker, search), nurses, rows,
                    False, "/nurse/queue", select_html(app)))
    info = memo.cache_info()
    assert info.currsize < COMPONENT_MEMO_SIZE // 4, info
    assert info.hits > 10 * info.misses, info
