"""The pathway and key worker filters (app/nurse/team_filters.py, the queue and remote monitoring)
are rendered through the memo with each nurse's id and name put in as personal values: they render
what the design system's select renders from the arguments the template used to build (a
`selected` flag on every item), and no name is kept."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.html_whitespace import without_indentation
from app.pathways import PATHWAYS
from app.triage.service import TeamNurse

MEMOISED = """[{{ pathway_and_key_worker_selects(nurses, filters) }}]"""

# The two selects as the template's macro made them, rendered directly each time.
DIRECT = """[{%- set pathway_items = [{"value": "", "text": "All pathways"}] -%}
{%- for value, label in pathways.items() -%}{%- set _ = pathway_items.append({"value": value, "text": label, "selected": value == filters.pathway}) -%}{%- endfor -%}
{{ select({"id": "pathway", "name": "pathway", "label": {"text": "Pathway"}, "items": pathway_items}) }}
{%- set worker_items = [{"value": "", "text": "All key workers"}] -%}
{%- for nurse in nurses -%}{%- set _ = worker_items.append({"value": nurse.id, "text": nurse.display_name, "selected": nurse.id == filters.key_worker_id}) -%}{%- endfor -%}
{{ select({"id": "key_worker", "name": "key_worker", "label": {"text": "Key worker"}, "items": worker_items}) }}]"""

TEAMS = [
    [],
    [TeamNurse(7, "Sam Taylor")],
    [TeamNurse(3, "Ann <b>Bold</b> & Co"), TeamNurse(12, "  Spaced  Out "), TeamNurse(40, "\u2003Em\u2003spaced")],
    [TeamNurse(n, f"Nurse {n}") for n in range(1, 12)],
]


@pytest.mark.parametrize("nurses", TEAMS)
@pytest.mark.parametrize("chosen", ["none", "first", "last", "someone else"])
@pytest.mark.parametrize("pathway", [None, "breast", "lung"])
def test_the_filters_memoised_are_the_selects_rendered(app, nurses, chosen, pathway):
    key_worker_id = {"none": None, "first": nurses[0].id if nurses else None,
                     "last": nurses[-1].id if nurses else None, "someone else": 999}[chosen]
    filters = SimpleNamespace(pathway=pathway, key_worker_id=key_worker_id)
    memoised_template = app.jinja_env.from_string(MEMOISED)
    direct_template = app.jinja_env.from_string(DIRECT)
    with app.test_request_context("/nurse/queue"):
        direct = without_indentation(direct_template.render(nurses=nurses, filters=filters, pathways=PATHWAYS))
        # Twice: the first render fills the memo, the second is served from it.
        pages = [without_indentation(memoised_template.render(nurses=nurses, filters=filters)) for _ in range(2)]
    assert 'id="pathway"' in direct and 'id="key_worker"' in direct
    assert direct.count(" selected") == bool(pathway) + (chosen in ("first", "last") and bool(nurses))
    for page in pages:
        assert page == direct


def test_no_nurse_is_kept_in_the_memo(app):
    """Two teams of as many nurses: the second is served from the entry the first made."""
    template = app.jinja_env.from_string(MEMOISED)
    memo = app.jinja_env.globals["memoised_component"]
    memo.cache_clear()
    filters = SimpleNamespace(pathway=None, key_worker_id=None)
    with app.test_request_context("/nurse/queue"):
        first = template.render(nurses=[TeamNurse(1, "Alice Ng")], filters=filters)
        second = template.render(nurses=[TeamNurse(2, "Bob Oyelaran")], filters=filters)
    assert "Alice Ng" in first and "Bob Oyelaran" in second and "Alice" not in second
    assert 'value="2"' in second and 'value="1"' not in second
    # The pathway select and the key worker select: made once each, by the first team.
    assert (memo.cache_info().misses, memo.cache_info().hits) == (2, 2)
