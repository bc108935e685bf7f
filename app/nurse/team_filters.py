"""The filters the nurse queue and remote monitoring share: the person's pathway and their key
worker, each with "All" first, as the design system's selects through the components' memo
(app/templating.py `memoised_component`).

Their arguments are made here rather than in a template's loops: the template built a dict per
pathway and per nurse, each with a `selected` flag, on every view of either page, and the memo
then walked all of it to make its key (issue 12). The pathways' items are made once per process,
the same for everyone, and which one is chosen is the select's `value`; each nurse's id and name
are put into the shape as personal values, never kept, and only the chosen nurse's item says it
is selected (an item without `selected` is not, as one with `selected: false`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from jinja2 import pass_context
from markupsafe import Markup

from ..pathways import PATHWAYS
from ..templating import personal
from ..triage.service import TeamNurse
from . import bp

PATHWAY_ITEMS = [{"value": "", "text": "All pathways"}] + [
    {"value": value, "text": label} for value, label in PATHWAYS.items()]
_ALL_KEY_WORKERS = {"value": "", "text": "All key workers"}
_CHOSEN = "selected"


def pathway_select(pathway: str | None) -> dict:
    return {"id": "pathway", "name": "pathway", "label": {"text": "Pathway"}, "items": PATHWAY_ITEMS,
            "value": pathway or ""}


def key_worker_select(nurses: Iterable[TeamNurse], key_worker_id: int | None) -> dict:
    items = [_ALL_KEY_WORKERS]
    for nurse_id, name in nurses:
        item = {"value": personal(nurse_id), "text": personal(name)}
        if nurse_id == key_worker_id:
            item[_CHOSEN] = True
        items.append(item)
    return {"id": "key_worker", "name": "key_worker", "label": {"text": "Key worker"}, "items": items}


def team_selects_html(select_html: Callable[[dict], Markup], nurses: Iterable[TeamNurse], filters) -> Markup:
    """Both selects (`filters.pathway`, `filters.key_worker_id`), one after the other, each
    rendered by `select_html` (the components' memo's "select"): for the remote monitoring
    page's template (below) and the queue's page values (app/nurse/queue_view.py)."""
    return select_html(pathway_select(filters.pathway)) + select_html(key_worker_select(nurses, filters.key_worker_id))


@bp.app_template_global()
@pass_context
def pathway_and_key_worker_selects(context, nurses: Iterable[TeamNurse], filters) -> Markup:
    """`team_selects_html` for a template."""
    return team_selects_html(partial(context.environment.globals["memoised_component"], "select"), nurses, filters)
