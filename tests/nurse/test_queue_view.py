"""What each line of the queue page says (app/nurse/queue_view.py): plain values, one table."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from markupsafe import Markup

from app.nurse.queue_view import item_href_prefix, queue_lines, who_has
from app.triage.models import ItemStatus, Outcome
from app.triage.queue import ItemKind
from app.triage.service import QueueRow
from app.triage.working_days import due_in_words

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=timezone.utc)  # a Thursday afternoon
DUE_PAST = datetime(2026, 11, 24, 17, 0, tzinfo=timezone.utc)
DUE_LATER = datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc)
ME, COLLEAGUE = 7, 8
HREF = "/nurse/queue/"


def row(kind=ItemKind.HNA_NEW, status=ItemStatus.OPEN, due_at=DUE_LATER, assignee_id=None, assignee_name=None,
        outcome=None, resolved_at=None) -> QueueRow:
    from app.triage.queue import KIND_RANK

    return QueueRow(id=3, kind=kind, rank=KIND_RANK[kind], status=status, reason="Needs assessment: sent",
                    received_at=datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc), due_at=due_at,
                    resolved_at=resolved_at, outcome=outcome, assignee_id=assignee_id, assignee_name=assignee_name,
                    patient_id=11, given_name="Ann", family_name="Able", nhs_number="9434765919")


@pytest.mark.parametrize("given, urgent, overdue, words, when, tag", [
    (row(ItemKind.EMERGENCY, due_at=DUE_PAST), True, True, "Overdue by 1 working day", "Tue 24 Nov, 5pm", "nhsuk-tag--red"),
    (row(ItemKind.RED_FLAG), True, False, "Due by 5pm tomorrow", "Fri 27 Nov, 5pm", "nhsuk-tag--red"),
    (row(ItemKind.HNA_NEW, due_at=DUE_PAST), False, True, "Overdue by 1 working day", "Tue 24 Nov, 5pm", "nhsuk-tag--blue"),
    # Resolved: never urgent nor overdue, whatever its target; the outcome and when it was resolved.
    (row(ItemKind.RED_FLAG, ItemStatus.RESOLVED, DUE_PAST, ME, "Sam Taylor", Outcome.PHONED,
         datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)), False, False, "Phoned the patient", "Wed 25 Nov, 10am",
     "nhsuk-tag--red"),
])
def test_each_line_says_how_the_item_stands(given, urgent, overdue, words, when, tag):
    [line] = queue_lines([given], NOW, ME, HREF)
    assert (line.urgent, line.overdue, line.response_words, line.response_when, line.kind_tag_class) == (
        urgent, overdue, words, when, tag)
    assert (line.patient_name, line.nhs_number, line.received) == ("Ann Able", "943 476 5919", "Tue 24 Nov, 9:30am")
    assert line.resolved is (given.status is ItemStatus.RESOLVED)
    assert line.href == "/nurse/queue/3"


@pytest.mark.parametrize("root", ["", "/care"])
@pytest.mark.parametrize("record_id", [1, 42, 1234567])
def test_an_address_from_its_prefix_is_the_one_url_for_builds(app, root, record_id):
    from flask import url_for

    from app.nurse import href_prefix

    with app.test_request_context("/nurse/queue", base_url=f"http://localhost{root}"):
        assert item_href_prefix() + str(record_id) == url_for("nurse.queue_item", item_id=record_id)
        assert href_prefix("nurse.patient", "patient_id") + str(record_id) == url_for("nurse.patient",
                                                                                     patient_id=record_id)


@pytest.mark.parametrize("assignee_id, name, words", [
    (None, None, "Nobody yet"), (ME, "Sam Taylor", "You"), (COLLEAGUE, "Alex Morgan", "Alex Morgan"),
])
def test_who_has_it(assignee_id, name, words):
    assert who_has(assignee_id, name, ME) == words
    assert queue_lines([row(assignee_id=assignee_id, assignee_name=name)], NOW, ME, HREF)[0].who_has == words


@pytest.mark.parametrize("due", [
    DUE_PAST, DUE_LATER, NOW, NOW - timedelta(minutes=30), NOW - timedelta(hours=3), NOW + timedelta(days=40),
    datetime(2026, 1, 2, 17, 0, tzinfo=timezone.utc),
])
def test_lines_sharing_a_deadline_say_it_as_due_in_words_says_it(due):
    # Two open lines with the deadline (put into words once for both) and one with another.
    lines = queue_lines([row(due_at=due), row(due_at=due), row(due_at=DUE_LATER + timedelta(days=7))], NOW, ME, HREF)
    assert [line.response_words for line in lines[:2]] == [due_in_words(due, NOW)] * 2
    assert lines[2].response_words == due_in_words(DUE_LATER + timedelta(days=7), NOW)


# The queue page's rows as its template printed them before queue_rows_html: the reference.
TEMPLATE_ROWS = """{%- set tags = {} -%}
  {% for line in lines %}
    {%- if line.kind_label not in tags %}{% set _ = tags.update({line.kind_label: memoised_component("tag", {"text": line.kind_label, "classes": line.kind_tag_class})}) %}{% endif -%}
    {%- if line.overdue and "Overdue" not in tags %}{% set _ = tags.update({"Overdue": memoised_component("tag", {"text": "Overdue", "classes": "nhsuk-tag--red"})}) %}{% endif %}
    <tr class="nhsuk-table__row{% if line.urgent %} app-queue-row--urgent{% endif %}">
      <td class="nhsuk-table__cell">{{ tags[line.kind_label] }}{% if line.overdue %} {{ tags["Overdue"] }}{% endif %}</td>
      <td class="nhsuk-table__cell"><a href="{{ line.href }}">{{ line.patient_name }}</a><span class="app-queue-secondary app-queue-nowrap">{{ line.nhs_number }}</span></td>
      <td class="nhsuk-table__cell">{{ line.reason }}</td>
      <td class="nhsuk-table__cell">{{ line.received }}</td>
      {% if line.resolved %}
      <td class="nhsuk-table__cell">{{ line.response_when }}<span class="app-queue-secondary">{{ line.response_words }}</span></td>
      {% else %}
      <td class="nhsuk-table__cell">{% if line.overdue %}<strong>{{ line.response_words }}</strong>{% else %}{{ line.response_words }}{% endif %}<span class="app-queue-secondary">{{ line.response_when }}</span></td>
      {% endif %}
      <td class="nhsuk-table__cell">{{ line.who_has }}</td>
    </tr>
  {% endfor %}"""


def rows_of_every_kind() -> list[QueueRow]:
    """A line of each kind, open and overdue, open and not, resolved; names and reasons holding
    what must be escaped; a colleague's and one's own."""
    rows = []
    for number, kind in enumerate(ItemKind):
        rows.append(row(kind, due_at=DUE_PAST if number % 2 else DUE_LATER,
                        assignee_id=(None, ME, COLLEAGUE)[number % 3],
                        assignee_name=(None, "Sam Taylor", "Al <i>\"Quoted\"</i> & 'co'")[number % 3]))
    rows.append(row(ItemKind.RED_FLAG, ItemStatus.RESOLVED, DUE_PAST, ME, "Sam Taylor", Outcome.PHONED,
                    datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)))
    rows.append(row(ItemKind.HNA_NEW, ItemStatus.RESOLVED, DUE_LATER, COLLEAGUE, "<b>Bo</b>", Outcome.NO_ACTION_NEEDED,
                    datetime(2026, 11, 26, 11, 0, tzinfo=timezone.utc)))
    return [given._replace(id=number + 1, reason=f"Said: <script>alert({number})</script> & \"{number}\" 'it'",
                           given_name="Ann & <Co>", family_name="O'Able")
            for number, given in enumerate(rows)]


def rows_printed_as_the_template_printed_them(app, lines):
    """The queue's rows as queue_rows_html prints them, checked against the old template's rows
    for the same lines, within the table's body as the page prints either (its whitespace pass
    after)."""
    from app.html_whitespace import without_indentation
    from app.nurse.queue_view import queue_rows_html

    with app.test_request_context("/nurse/queue"):
        memoised_component = app.jinja_env.globals["memoised_component"]
        expected = app.jinja_env.from_string(TEMPLATE_ROWS).render(lines=lines)
        rows = queue_rows_html(lines, lambda params: memoised_component("tag", params))
    assert without_indentation(f"<tbody>\n  {rows}\n  </tbody>") == without_indentation(
        f"<tbody>\n  {expected}\n  </tbody>")
    return rows


@pytest.mark.parametrize("count", [0, 1, 3, 8])
def test_the_rows_are_what_the_template_printed(app, count):

    lines = queue_lines(rows_of_every_kind()[:count], NOW, ME, HREF)
    assert len(lines) == count
    rows = rows_printed_as_the_template_printed_them(app, lines)
    assert rows.count("<tr") == count and "<script>" not in rows
    if count == 8:
        # The table holds every variant of a line the template knew.
        for shown in ("Overdue", "app-queue-row--urgent", "<strong>Overdue by", "Phoned the patient",
                      "&lt;b&gt;Bo&lt;/b&gt;", "O&#39;Able"):
            assert shown in rows


@pytest.mark.parametrize("field, value", [
    # Text already made safe (a Markup) is printed as it is, as autoescape printed it: never twice.
    ("patient_name", Markup("Ann <abbr>&amp;</abbr> Bo")),
    ("reason", Markup("<em>Fever</em> &amp; chills")),
    ("who_has", Markup("Sam &lt;Taylor&gt;")),
    # A str of another type is escaped as autoescape escaped it.
    ("response_words", type("Words", (str,), {})("Due <today> & 'soon'")),
])
def test_a_value_that_is_not_a_plain_str_is_printed_as_the_template_printed_it(app, field, value):

    lines = [dataclasses.replace(line, **{field: value}) for line in queue_lines(rows_of_every_kind()[:2], NOW, ME, HREF)]
    rows_printed_as_the_template_printed_them(app, lines)
