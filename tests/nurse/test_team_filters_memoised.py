"""The key worker filter (templates/macros/team_filters.html, the queue and remote monitoring) is
rendered through the memo with each nurse's id and name put in as personal values: it renders
what the design system's select renders with the values in place, and no name is kept."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.html_whitespace import without_indentation
from app.triage.service import TeamNurse

MEMOISED = """{%- from "macros/team_filters.html" import pathway_and_key_worker_selects -%}
[{{ pathway_and_key_worker_selects(pathways, nurses, filters) }}]"""

# The macro's key worker select as it was, rendered directly each time.
DIRECT = """{%- set worker_items = [{"value": "", "text": "All key workers"}] -%}
{%- for nurse in nurses -%}{%- set _ = worker_items.append({"value": nurse.id, "text": nurse.display_name, "selected": nurse.id == filters.key_worker_id}) -%}{%- endfor -%}
{{ select({"id": "key_worker", "name": "key_worker", "label": {"text": "Key worker"}, "items": worker_items}) }}]"""

TEAMS = [
    [],
    [TeamNurse(7, "Sam Taylor")],
    [TeamNurse(3, "Ann <b>Bold</b> & Co"), TeamNurse(12, "  Spaced  Out "), TeamNurse(40, "\u2003Em\u2003spaced")],
    [TeamNurse(n, f"Nurse {n}") for n in range(1, 12)],
]


@pytest.mark.parametrize("nurses", TEAMS)
@pytest.mark.parametrize("chosen", ["none", "first", "last"])
def test_the_key_worker_filter_memoised_is_the_select_rendered(app, nurses, chosen):
    key_worker_id = {"none": None, "first": nurses[0].id if nurses else None,
                     "last": nurses[-1].id if nurses else None}[chosen]
    filters = SimpleNamespace(pathway=None, key_worker_id=key_worker_id)
    memoised_template = app.jinja_env.from_string(MEMOISED)
    direct_template = app.jinja_env.from_string(DIRECT)
    with app.test_request_context("/nurse/queue"):
        direct = without_indentation(direct_template.render(nurses=nurses, filters=filters))
        # Twice: the first render fills the memo, the second is served from it.
        pages = [without_indentation(memoised_template.render(pathways={}, nurses=nurses, filters=filters))
                 for _ in range(2)]
    for page in pages:
        assert page.endswith(direct)


def test_no_nurse_is_kept_in_the_memo(app):
    """Two teams of as many nurses: the second is served from the entry the first made."""
    template = app.jinja_env.from_string(MEMOISED)
    memo = app.jinja_env.globals["memoised_component"]
    memo.cache_clear()
    filters = SimpleNamespace(pathway=None, key_worker_id=None)
    with app.test_request_context("/nurse/queue"):
        first = template.render(pathways={}, nurses=[TeamNurse(1, "Alice Ng")], filters=filters)
        second = template.render(pathways={}, nurses=[TeamNurse(2, "Bob Oyelaran")], filters=filters)
    assert "Alice Ng" in first and "Bob Oyelaran" in second and "Alice" not in second
    assert 'value="2"' in second and 'value="1"' not in second
    # The pathway select and the key worker select: made once each, by the first team.
    assert (memo.cache_info().misses, memo.cache_info().hits) == (2, 2)
