"""The form macros' same_for_everyone=true (templates/macros/form.html, the queue item's resolve
and assign forms) renders what the macros render without it, in every state the form is shown in: blank,
a choice kept, an error, and what the nurse typed (put in as her own, never kept in the memo)."""
from __future__ import annotations

import pytest

from app.html_whitespace import without_indentation
from app.nurse.queue_forms import AssignForm, ResolveForm
from app.triage.models import Outcome
from app.triage.service import TeamNurse

SOURCE = """{%- from "macros/form.html" import radio_field, textarea_field -%}
[{{ radio_field(form.outcome, same_for_everyone=memoised) }}]
[{{ textarea_field(form.note, hint="Optional, except when no action is needed: then say why.", rows=4,
                   same_for_everyone=memoised) }}]"""

NOTES = ["", "Phoned: <b>fine</b> & well", "  first line\n  second line\n", "\u2003odd & spaced\u2003"]


@pytest.mark.parametrize("outcome", [None, Outcome.PHONED.value, Outcome.NO_ACTION_NEEDED.value])
@pytest.mark.parametrize("note", NOTES)
@pytest.mark.parametrize("with_errors", [False, True])
def test_the_resolve_forms_fields_memoised_are_the_fields_rendered(app, outcome, note, with_errors):
    template = app.jinja_env.from_string(SOURCE)
    with app.test_request_context("/nurse/queue/1"):
        form = ResolveForm(formdata=None, meta={"csrf": False})
        form.outcome.data, form.note.data = outcome, note
        if with_errors:
            form.outcome.errors, form.note.errors = ["Choose what you did"], ["Say why no action is needed"]
        direct = without_indentation(template.render(form=form, memoised=False))
        # Twice: the first render fills the memo, the second is served from it.
        memoised = [without_indentation(template.render(form=form, memoised=True)) for _ in range(2)]
    assert memoised == [direct, direct]


def test_what_was_typed_is_never_part_of_the_memo(app):
    """Two nurses' notes: the second is served from the entry the first made (the note is a
    placeholder there), each page with its own note."""
    template = app.jinja_env.from_string(SOURCE)
    memo = app.jinja_env.globals["memoised_component"]
    memo.cache_clear()
    pages = []
    with app.test_request_context("/nurse/queue/1"):
        for note in ("Hers: call back at 4pm", "His: <seen> & done"):
            form = ResolveForm(formdata=None, meta={"csrf": False})
            form.note.data = note
            pages.append(template.render(form=form, memoised=True))
    assert "Hers: call back at 4pm" in pages[0] and "His: &lt;seen&gt; &amp; done" in pages[1]
    assert "Hers" not in pages[1]
    # The radios and the textarea: made once each, by the first note.
    assert (memo.cache_info().misses, memo.cache_info().hits) == (2, 2)


SELECT_SOURCE = """{%- from "macros/form.html" import select_field -%}
[{{ select_field(form.assignee, same_for_everyone=memoised) }}]"""

TEAMS = [
    [],
    [TeamNurse(7, "Sam Taylor")],
    [TeamNurse(3, "Ann <b>Bold</b> & Co"), TeamNurse(12, "  Spaced  Out "), TeamNurse(40, "\u2003Em\u2003spaced")],
]


@pytest.mark.parametrize("nurses", TEAMS)
@pytest.mark.parametrize("chosen", [None, 0, "last"])
@pytest.mark.parametrize("with_errors", [False, True])
def test_the_assign_forms_select_memoised_is_the_select_rendered(app, nurses, chosen, with_errors):
    """The choices (a team's nurses) are put in as personal values: the same HTML as the select
    rendered directly, blank, with the placeholder choice or a nurse chosen, with an error."""
    template = app.jinja_env.from_string(SELECT_SOURCE)
    with app.test_request_context("/nurse/queue/1"):
        form = AssignForm(formdata=None, meta={"csrf": False})
        form.set_nurses(nurses)
        form.assignee.data = nurses[-1].id if chosen == "last" and nurses else chosen
        if with_errors:
            form.assignee.errors = ["Choose who to give it to"]
        direct = without_indentation(template.render(form=form, memoised=False))
        memoised = [without_indentation(template.render(form=form, memoised=True)) for _ in range(2)]
    assert memoised == [direct, direct]


def test_no_nurse_of_the_assign_form_is_kept_in_the_memo(app):
    template = app.jinja_env.from_string(SELECT_SOURCE)
    memo = app.jinja_env.globals["memoised_component"]
    memo.cache_clear()
    pages = []
    with app.test_request_context("/nurse/queue/1"):
        for nurse in (TeamNurse(1, "Alice Ng"), TeamNurse(2, "Bob Oyelaran")):
            form = AssignForm(formdata=None, meta={"csrf": False})
            form.set_nurses([nurse])
            pages.append(template.render(form=form, memoised=True))
    assert "Alice Ng" in pages[0] and "Bob Oyelaran" in pages[1] and "Alice" not in pages[1]
    assert (memo.cache_info().misses, memo.cache_info().hits) == (1, 1)
