"""The form macros' same_for_everyone=true (templates/macros/form.html, the queue item's resolve
form) renders what the macros render without it, in every state the form is shown in: blank,
a choice kept, an error, and what the nurse typed (put in as her own, never kept in the memo)."""
from __future__ import annotations

import pytest

from app.html_whitespace import without_indentation
from app.nurse.queue_forms import ResolveForm
from app.triage.models import Outcome

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
